/* Which kind a module is on this CPython, for hosts that whitelist by name. */
#include "base/base.h"
#include "imports/imports.h"
#include "core/core.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

static int
exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static int
frozen(const char *name)
{
    if (ocap_boot_module(name)) {
        return 0; /* frozen for CPython's importer only (boot_modules.c) */
    }
    /* The main interpreter's import machinery, as the host (trust.c). */
    ocap_host_state m;
    if (ocap_host_enter(ocap_runtime_main_interpreter(), &m) < 0) {
        return 0;
    }
    PyObject *imp = PyImport_ImportModule("_imp");
    PyObject *r = imp ? PyObject_CallMethod(imp, "is_frozen", "s", name)
                      : NULL;
    int result = r ? PyObject_IsTrue(r) == 1 : 0;
    Py_XDECREF(r);
    Py_XDECREF(imp);
    PyErr_Clear();
    ocap_host_leave(&m);
    return result;
}

static int
extension(const char *name)
{
    /* The main interpreter's import machinery, as the host (trust.c). */
    ocap_host_state m;
    if (ocap_host_enter(ocap_runtime_main_interpreter(), &m) < 0) {
        return 0;
    }
    PyObject *imp = PyImport_ImportModule("_imp");
    PyObject *suffixes = imp
        ? PyObject_CallMethod(imp, "extension_suffixes", NULL)
        : NULL;
    int found = 0;
    for (Py_ssize_t i = 0; suffixes && PyList_Check(suffixes) &&
         i < PyList_GET_SIZE(suffixes) && !found;
         i++) {
        const char *suffix = PyUnicode_AsUTF8(PyList_GET_ITEM(suffixes, i));
        char path[4096];
        found = suffix &&
            (size_t)snprintf(path, sizeof path, "%s/%s%s", ocap_dynload_dir(),
                             name, suffix) < sizeof path &&
            exists(path);
    }
    Py_XDECREF(suffixes);
    Py_XDECREF(imp);
    PyErr_Clear();
    ocap_host_leave(&m);
    return found;
}

static int
source(const char *name)
{
    /* a.b.c lives at <stdlib>/a/b/c.py or <stdlib>/a/b/c/__init__.py */
    char rel[1024];
    if (snprintf(rel, sizeof rel, "%s", name) >= (int)sizeof rel) {
        return 0;
    }
    for (char *p = rel; *p; p++) {
        if (*p == '.') {
            *p = '/';
        }
    }
    char path[4096];
    const char *dir = ocap_stdlib_dir();
    return ((size_t)snprintf(path, sizeof path, "%s/%s.py", dir, rel) <
                sizeof path &&
            exists(path)) ||
        ((size_t)snprintf(path, sizeof path, "%s/%s/__init__.py", dir, rel) <
             sizeof path &&
         exists(path));
}

objcap_status
objcap_module_kind(const char *name, size_t len, int *kind)
{
    if (name == NULL || kind == NULL || len == 0 || len > 512 ||
        memchr(name, '\0', len) != NULL || !ocap_utf8_valid(name, len)) {
        return OBJCAP_ERR_ARGUMENT;
    }
    *kind = OBJCAP_MODULE_NOT_FOUND;
    for (size_t i = 0; i < len; i++) {
        char c = name[i];
        if (!(c == '.' || c == '_' || (c >= '0' && c <= '9') ||
              (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))) {
            return OBJCAP_OK; /* not a name any module has */
        }
    }
    if (name[0] == '.') {
        return OBJCAP_OK;
    }
    objcap_status st = ocap_runtime_start(NULL, NULL, NULL, 0);
    if (st != OBJCAP_OK) {
        return st;
    }
    char copy[513];
    memcpy(copy, name, len);
    copy[len] = '\0';
    for (struct _inittab *p = PyImport_Inittab; p->name; p++) {
        if (strcmp(p->name, copy) == 0) {
            *kind = OBJCAP_MODULE_BUILTIN;
            return OBJCAP_OK;
        }
    }
    if (frozen(copy)) {
        *kind = OBJCAP_MODULE_FROZEN;
    }
    else if (source(copy)) {
        *kind = OBJCAP_MODULE_SOURCE;
    }
    else if (strchr(copy, '.') == NULL && extension(copy)) {
        *kind = OBJCAP_MODULE_EXTENSION;
    }
    return OBJCAP_OK;
}
