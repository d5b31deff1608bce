/*
 * Layer 1, the bare interpreter (paper 5.4, 6.1, 6.2): builtins that carry
 * authority removed, type constructors closed, introspection into trusted
 * frames cut (bare.c), and whitelisted modules hardened on import
 * (hardening.c).  Uses bare/guards/ and base/.
 */
#ifndef OBJCAP_BARE_BARE_H
#define OBJCAP_BARE_BARE_H

#include "base/state.h"

/* bare.c */
int ocap_bare_patch_builtins(PyObject *builtins_dict);
int ocap_bare_patch_types(void);
const char *ocap_bare_cpython_patches(void);
PyObject *ocap_bare_new_file(PyObject *type, PyObject *args);

/* hardening.c */
int ocap_harden_module(const char *name, PyObject *module);

#endif
