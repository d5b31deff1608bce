/*
 * Run-time guards for CPython memory bugs reachable from the default
 * whitelist, one file per bug.  Each file names the CPython issue and the
 * versions that have it.  Uses base/ only.
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
