/*
 * Layer 2, imports (paper 5.5, 6.3): the C __import__ delegate
 * (importer.c), its loaders (loaders.c), who asks (support_code.c), the
 * per-kind whitelists (policy.c), the stand-ins
 * for sys, os and friends (standins.c) and the compiled-code cache
 * (code_cache.c).  Uses bare/, values/ and base/.
 */
#ifndef OBJCAP_IMPORTS_IMPORTS_H
#define OBJCAP_IMPORTS_IMPORTS_H

#include "base/state.h"

/* policy.c */
int ocap_policy_is_dangerous(const char *name, size_t len);
int ocap_policy_imported_by_c(PyObject *name);
void ocap_policy_clear(ocap_policy *p);
const char *ocap_policy_read_list(const msgpack_object *o,
                                  ocap_string_list *list, int module_names);
const char *ocap_policy_validate(const ocap_policy *p, char *buffer,
                                 size_t size);
int ocap_policy_build(ocap_sandbox *sb);

/* importer.c */
int ocap_importer_install(ocap_sandbox *sb);
void ocap_importer_clear(ocap_sandbox *sb);
PyObject *ocap_importer_register(ocap_sandbox *sb, const char *name,
                                 PyObject *module);
PyObject *ocap_importer_load_support(ocap_sandbox *sb, const char *name);
int ocap_importer_own_codec_search(ocap_sandbox *sb);

/* loaders.c: one module of a known kind; its parent is loaded already */
PyObject *ocap_module_parent(PyObject *name);
PyObject *ocap_load_builtin(ocap_sandbox *sb, PyObject *name);
PyObject *ocap_load_frozen(ocap_sandbox *sb, PyObject *name);
PyObject *ocap_load_source(ocap_sandbox *sb, PyObject *name, const char *path,
                           int is_package, int support);
PyObject *ocap_load_extension_file(ocap_sandbox *sb, PyObject *name,
                                   const char *leaf);
/* Compiles a source file into the code cache as an import would, without
   running it (objcap-worker's zygote, ahead of its workers); GIL held.  0,
   or -1 with nothing cached and no error set. */
int ocap_code_cache_prepare(const char *path);
/* The code of a source file as an import compiles it (through the code
   cache), or NULL with an error set; GIL held. */
PyObject *ocap_compile_source_file(const char *path);

/* boot_modules.c: the modules every new interpreter imports before
   objcap's importer is installed, offered as frozen modules compiled once;
   after the runtime started, GIL held.  How many (0 changes nothing). */
int ocap_boot_modules_freeze(void);
/* Whether `name` is one of them: frozen for CPython's importer only, a
   source module to objcap's. */
int ocap_boot_module(const char *name);
int ocap_find_source(const char *dir, const char *leaf, char *path,
                     size_t size, int *is_package);

/* support_code.c: which requests come from the stdlib modules objcap
   loaded, never from the globals a caller passes */
int ocap_support_code_mark(ocap_sandbox *sb, PyObject *code, PyObject *dict);
int ocap_support_code_contains(ocap_sandbox *sb, PyObject *code);
int ocap_support_requester(ocap_sandbox *sb, PyObject *name, PyObject *full,
                           PyObject *globals, PyObject *fromlist, int level);
int ocap_support_stdlib_probe(ocap_sandbox *sb, const char *attribute);
int ocap_support_caller(ocap_sandbox *sb);

/* code_cache.c: compiled module code shared by the process's sandboxes */
struct stat;
PyObject *ocap_code_cache_get(const char *path, const struct stat *st);
void ocap_code_cache_put(const char *path, const struct stat *st,
                         PyObject *code);

/* standins.c */
PyObject *ocap_standin_build(ocap_sandbox *sb, const char *name);
int ocap_standin_preload(ocap_sandbox *sb);
int ocap_standin_known(const char *name);
int ocap_standin_for_scripts(const char *name);

/* policy.c: each extension module of the dynload directory, printed */
void ocap_policy_each_extension(const char *dynload_dir);
/* Calls fn with each source module a sandbox may import by default, the
   script's and what those import (the zygote compiles them ahead). */
void ocap_policy_each_default_source(void (*fn)(const char *name, void *ctx),
                                     void *ctx);

#endif
