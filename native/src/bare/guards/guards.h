/*
 * Run-time guards for CPython memory bugs reachable from the default
 * whitelist, one file per bug; each file's comment tells the bug.  Uses
 * base/ only.
 *
 *   file               CPython issues                   fixed upstream
 *   list_compare.c     gh-120298                        3.12, 3.13
 *   deque_index.c      gh-115243                        3.12, 3.13
 *   bytearray_guard.c  gh-142558/9/60, gh-112625,       gh-142938 (2025),
 *                      gh-91153, one found here         3.11.8, gh-132379
 *   iterator_guard.c   gh-109786, gh-149557, gh-142732, partly (pairwise)
 *                      gh-154670, gh-143543, gh-146613
 *   set_guard.c        gh-139071, gh-141805             late 2025
 *
 * Every guard is installed on every supported version today: the escape
 * corpus passes with them on 3.11 and 3.14, but no run has yet shown a
 * guard unneeded on 3.14 (a guard left off where the bug remains is a
 * use-after-free in-process).
 */
#ifndef OBJCAP_BARE_GUARDS_GUARDS_H
#define OBJCAP_BARE_GUARDS_GUARDS_H

#include "base/state.h"

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
