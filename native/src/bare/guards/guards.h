/*
 * Run-time guards for CPython memory bugs reachable from the default
 * whitelist, one file per bug; each file's comment tells the bug.  Uses
 * base/ only.  Each guard is installed only on the CPython versions that
 * have its bug: cpython_bugs.c decides, by the running version, and holds
 * the evidence (the upstream fix's release per minor version).
 *
 *   file               CPython issues                  guard left off from
 *   list_compare.c     gh-120298                       3.12.5, 3.13.0, 3.14.0
 *   deque_index.c      gh-115243 (+ gh-112050)         3.13.0, 3.14.0
 *   set_guard.c        gh-141805, gh-139071            3.13.12, 3.14.3
 *   bytearray_guard.c  gh-142558/9/60, gh-112625,      never (fixed upstream
 *                      gh-91153, gh-142557             method by method)
 *   iterator_guard.c   gh-109786, gh-149557, gh-142732, never (zip_longest,
 *                      gh-154670, gh-143543, gh-146613 count re-enter on 3.14.3)
 *
 * 3.11 keeps every guard.  The module hardenings (hardening.c) ask the
 * same table and are kept on every version today.
 */
#ifndef OBJCAP_BARE_GUARDS_GUARDS_H
#define OBJCAP_BARE_GUARDS_GUARDS_H

#include "base/state.h"

/* cpython_bugs.c: which CPython versions have which bug */
typedef enum {
    OCAP_BUG_LIST_COMPARE,
    OCAP_BUG_DEQUE_INDEX,
    OCAP_BUG_SET_ADD_REENTRY,
    OCAP_BUG_BYTEARRAY_RESIZE,
    OCAP_BUG_ITERATOR_REENTRY,
    OCAP_BUG_STRUCT_REINIT,
    OCAP_BUG_ITERTOOLS_SETSTATE,
    OCAP_BUG_PARTIAL_SETSTATE,
    OCAP_BUG_C_ORDEREDDICT,
    OCAP_BUG_CMP_TO_KEY,
    OCAP_BUG_ARRAY_STORE,
    OCAP_BUG_COUNT
} ocap_cpython_bug;

/* 1 when the running CPython (Py_Version) has the bug, or when unsure;
   0 when it has the upstream fix. */
int ocap_cpython_has_bug(ocap_cpython_bug bug);
/* The same for a given PY_VERSION_HEX-style version. */
int ocap_cpython_has_bug_in(ocap_cpython_bug bug, unsigned long version);
/* The bug's short name, NULL for none. */
const char *ocap_cpython_bug_name(ocap_cpython_bug bug);

/* list_compare.c: list comparison holds the items it compares */
int ocap_list_compare_patch(void);

/* iterator_guard.c: itertools iterators refuse re-entry */
int ocap_iterator_guard_start(void);
int ocap_iterator_guard_module(PyObject *itertools);
int ocap_iterator_guard_builtins(void);

/* set_guard.c: a set is not added to while an add to it runs */
int ocap_set_guard_start(void);
int ocap_set_guard_abc(PyObject *module_dict);
int ocap_set_guard_abc_modules(void);

/* bytearray_guard.c: bytearray methods cannot resize what they read */
int ocap_bytearray_guard_start(void);

/* deque_index.c: deque.index holds the item it compares */
int ocap_deque_index_start(void);
int ocap_deque_index_module(PyObject *collections);

#endif
