/*
 * Loading one module of a known kind into the sandbox: built-in, frozen,
 * extension, or source read from a file and compiled (bytecode never),
 * each with inert __loader__/__spec__ and hardened as it is registered.
 * Which kind a name may be loaded as is importer.c's decision, made
 * before any of these runs.
 */
#include "base/base.h"
#include "bare/bare.h"
#include "imports/imports.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_SOURCE_SIZE (16 * 1024 * 1024)

static PyObject *
inert_spec(ocap_sandbox *sb, PyObject *name, const char *origin,
           int is_package)
{
    PyObject *kwargs = Py_BuildValue(
        "{s:O,s:s,s:O,s:O,s:O,s:O}", "name", name, "origin", origin, "loader",
        Py_None, "cached", Py_None, "has_location", Py_False,
        "submodule_search_locations", Py_None);
    if (kwargs == NULL) {
        return NULL;
    }
    if (is_package) {
        PyObject *empty = PyList_New(0);
        if (empty == NULL ||
            PyDict_SetItemString(kwargs, "submodule_search_locations", empty) <
                0) {
            Py_XDECREF(empty);
            Py_DECREF(kwargs);
            return NULL;
        }
        Py_DECREF(empty);
    }
    PyObject *args = PyTuple_New(0);
    PyObject *spec = args
        ? PyObject_Call(sb->importer.namespace_type, args, kwargs)
        : NULL;
    Py_XDECREF(args);
    Py_DECREF(kwargs);
    return spec;
}

/* The parent package's name ("" for a top-level module). */
PyObject *
ocap_module_parent(PyObject *name)
{
    Py_ssize_t dot = PyUnicode_FindChar(name, '.', 0,
                                        PyUnicode_GET_LENGTH(name), -1);
    if (dot < 0) {
        return dot == -2 ? NULL : PyUnicode_FromString("");
    }
    return PyUnicode_Substring(name, 0, dot);
}

/* Sets the module attributes every module gets from objcap. */
static int
init_module_attrs(ocap_sandbox *sb, PyObject *module, PyObject *name,
                  const char *origin, int is_package)
{
    PyObject *spec = inert_spec(sb, name, origin, is_package);
    PyObject *package = is_package ? Py_NewRef(name)
                                   : ocap_module_parent(name);
    int rc = -1;
    if (spec && package &&
        PyObject_SetAttrString(module, "__loader__", Py_None) == 0 &&
        PyObject_SetAttrString(module, "__spec__", spec) == 0 &&
        PyObject_SetAttrString(module, "__package__", package) == 0) {
        rc = 0;
        if (is_package) {
            PyObject *path = PyList_New(0);
            rc = path ? PyObject_SetAttrString(module, "__path__", path) : -1;
            Py_XDECREF(path);
        }
    }
    Py_XDECREF(spec);
    Py_XDECREF(package);
    return rc;
}

PyObject *
ocap_importer_register(ocap_sandbox *sb, const char *name, PyObject *module)
{
    if (ocap_harden_module(name, module) < 0 ||
        PyDict_SetItemString(sb->importer.modules, name, module) < 0 ||
        PyDict_SetItemString(sb->importer.visible_modules, name, module) < 0) {
        return NULL;
    }
    return module;
}

static void
unregister(ocap_sandbox *sb, PyObject *name)
{
    PyObject *exc = PyErr_GetRaisedException_compat();
    if (PyDict_DelItem(sb->importer.modules, name) < 0) {
        PyErr_Clear();
    }
    if (PyDict_DelItem(sb->importer.visible_modules, name) < 0) {
        PyErr_Clear();
    }
    PyErr_SetRaisedException_compat(exc);
}

/* Runs a code object as a new module's body. */
static PyObject *
exec_module(ocap_sandbox *sb, PyObject *name, PyObject *code,
            const char *origin, int is_package, int support)
{
    PyObject *module = PyModule_NewObject(name);
    if (module == NULL) {
        return NULL;
    }
    PyObject *dict = PyModule_GetDict(module);
    if (init_module_attrs(sb, module, name, origin, is_package) < 0 ||
        PyDict_SetItemString(dict, "__builtins__", sb->importer.builtins) <
            0 ||
        (support && ocap_support_code_mark(sb, code, dict) < 0) ||
        ocap_importer_register(sb, PyUnicode_AsUTF8(name), module) == NULL) {
        Py_DECREF(module);
        return NULL;
    }
    PyObject *result = PyEval_EvalCode(code, dict, dict);
    if (result == NULL) {
        unregister(sb, name);
        Py_DECREF(module);
        return NULL;
    }
    Py_DECREF(result);
    return module;
}

/* ---- loaders, one per kind ---- */

PyObject *
ocap_load_builtin(ocap_sandbox *sb, PyObject *name)
{
    PyObject *spec = inert_spec(sb, name, "built-in", 0);
    if (spec == NULL) {
        return NULL;
    }
    PyObject *module = PyObject_CallMethod(sb->importer.imp, "create_builtin",
                                           "O", spec);
    Py_DECREF(spec);
    if (module == NULL) {
        return NULL;
    }
    PyObject *r = PyObject_CallMethod(sb->importer.imp, "exec_builtin", "O",
                                      module);
    if (r == NULL || init_module_attrs(sb, module, name, "built-in", 0) < 0 ||
        ocap_importer_register(sb, PyUnicode_AsUTF8(name), module) == NULL) {
        Py_XDECREF(r);
        Py_DECREF(module);
        return NULL;
    }
    Py_DECREF(r);
    return module;
}

PyObject *
ocap_load_frozen(ocap_sandbox *sb, PyObject *name)
{
    /* From 3.13 CPython unmarshals a frozen module's code, which raises
       marshal.loads: the audit hook lets exactly that module's frozen
       bytes through, which find_frozen shows (3.11 has no such event). */
    PyObject *find = PyObject_GetAttrString(sb->importer.imp, "find_frozen");
    PyObject *args = find ? PyTuple_Pack(1, name) : NULL;
    PyObject *kwargs = args ? Py_BuildValue("{s:O}", "withdata", Py_True)
                            : NULL;
    PyObject *found = kwargs ? PyObject_Call(find, args, kwargs) : NULL;
    Py_XDECREF(kwargs);
    Py_XDECREF(args);
    Py_XDECREF(find);
    if (found == NULL) {
        return NULL;
    }
    Py_buffer frozen = {0};
    int has_data = PyTuple_Check(found) && PyTuple_GET_SIZE(found) >= 1 &&
        PyMemoryView_Check(PyTuple_GET_ITEM(found, 0));
    if (has_data &&
        PyObject_GetBuffer(PyTuple_GET_ITEM(found, 0), &frozen, PyBUF_SIMPLE) <
            0) {
        Py_DECREF(found);
        return NULL;
    }
    ocap_trust_pass outer = has_data
        ? ocap_trust_expect_bytes("marshal.loads", frozen.buf,
                                  (size_t)frozen.len)
        : ocap_trust_expect(NULL, NULL);
    PyObject *code = PyObject_CallMethod(sb->importer.imp, "get_frozen_object",
                                         "O", name);
    ocap_trust_end(outer);
    if (has_data) {
        PyBuffer_Release(&frozen);
    }
    Py_DECREF(found);
    if (code == NULL) {
        return NULL;
    }
    PyObject *pkg = PyObject_CallMethod(sb->importer.imp, "is_frozen_package",
                                        "O", name);
    int is_package = pkg ? PyObject_IsTrue(pkg) : -1;
    Py_XDECREF(pkg);
    PyObject *module = is_package < 0
        ? NULL
        : exec_module(sb, name, code, "frozen", is_package, 1);
    Py_DECREF(code);
    return module;
}

static PyObject *
load_extension(ocap_sandbox *sb, PyObject *name, const char *path)
{
    PyObject *spec = inert_spec(sb, name, path, 0);
    if (spec == NULL) {
        return NULL;
    }
    ocap_trust_pass outer = ocap_trust_expect("import", name);
    PyObject *module = PyObject_CallMethod(sb->importer.imp, "create_dynamic",
                                           "O", spec);
    ocap_trust_end(outer);
    Py_DECREF(spec);
    if (module == NULL) {
        return NULL;
    }
    if (PyModule_Check(module)) {
        PyObject *r = PyObject_CallMethod(sb->importer.imp, "exec_dynamic",
                                          "O", module);
        if (r == NULL) {
            Py_DECREF(module);
            return NULL;
        }
        Py_DECREF(r);
    }
    if (init_module_attrs(sb, module, name, "extension", 0) < 0 ||
        ocap_importer_register(sb, PyUnicode_AsUTF8(name), module) == NULL) {
        Py_DECREF(module);
        return NULL;
    }
    return module;
}

/* Reads a whole source file from objcap's C code (no Python I/O); *st
   describes the file that was read. */
static PyObject *
read_source(const char *path, struct stat *st_out)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return NULL;
    }
    struct stat st;
    PyObject *bytes = NULL;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
        st.st_size <= MAX_SOURCE_SIZE) {
        *st_out = st;
        bytes = PyBytes_FromStringAndSize(NULL, st.st_size);
        size_t got = 0;
        while (bytes && got < (size_t)st.st_size) {
            ssize_t n = read(fd, PyBytes_AS_STRING(bytes) + got,
                             (size_t)st.st_size - got);
            if (n < 0 && errno == EINTR) {
                continue;
            }
            if (n <= 0) {
                Py_CLEAR(bytes);
                PyErr_Clear();
                break;
            }
            got += (size_t)n;
        }
    }
    close(fd);
    return bytes;
}

/*
 * The code of a source file: from the cache, or compiled and cached.  NULL
 * with an error set, or with none when the file could not be read.  Every
 * import and the zygote's warming compile here, so both give the same
 * code under the same key.
 */
static PyObject *
code_of_file(const char *path)
{
    struct stat st;
    PyObject *code = stat(path, &st) == 0 ? ocap_code_cache_get(path, &st)
                                          : NULL;
    if (code != NULL) {
        return code;
    }
    PyObject *source = read_source(path, &st);
    if (source == NULL) {
        return NULL;
    }
    PyObject *filename = PyUnicode_DecodeFSDefault(path);
    /* Compiled from bytes, so a PEP 263 coding cookie is honoured. */
    code = filename ? Py_CompileStringObject(PyBytes_AS_STRING(source),
                                             filename, Py_file_input, NULL, -1)
                    : NULL;
    Py_DECREF(source);
    Py_XDECREF(filename);
    if (code != NULL) {
        /* Keyed by the file that was read, not the one stat() saw. */
        ocap_code_cache_put(path, &st, code);
    }
    return code;
}

PyObject *
ocap_compile_source_file(const char *path)
{
    PyObject *code = path != NULL ? code_of_file(path) : NULL;
    if (code == NULL && !PyErr_Occurred()) {
        PyErr_Format(PyExc_ImportError, "cannot read %s", path ? path : "");
    }
    return code;
}

int
ocap_code_cache_prepare(const char *path)
{
    PyObject *code = path != NULL ? code_of_file(path) : NULL;
    PyErr_Clear();
    int ok = code != NULL;
    Py_XDECREF(code);
    return ok ? 0 : -1;
}

static int
is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/*
 * Finds `leaf` (the last component of a module name) in dir as leaf.py or
 * leaf/__init__.py.  Bytecode is never considered.
 */
int
ocap_find_source(const char *dir, const char *leaf, char *path, size_t size,
                 int *is_package)
{
    if ((size_t)snprintf(path, size, "%s/%s/__init__.py", dir, leaf) < size &&
        is_file(path)) {
        *is_package = 1;
        return 1;
    }
    if ((size_t)snprintf(path, size, "%s/%s.py", dir, leaf) < size &&
        is_file(path)) {
        *is_package = 0;
        return 1;
    }
    return 0;
}

PyObject *
ocap_load_source(ocap_sandbox *sb, PyObject *name, const char *path,
                 int is_package, int support)
{
    PyObject *code = code_of_file(path);
    if (code == NULL) {
        if (!PyErr_Occurred()) {
            PyErr_Format(PyExc_ImportError, "cannot read the source of '%U'",
                         name);
        }
        return NULL;
    }
    if (is_package) {
        /* Where submodules live, and whether they are host code; known
           before the body runs, since it imports its own submodules. */
        char dir[4096];
        snprintf(dir, sizeof dir, "%s", path);
        char *slash = strrchr(dir, '/');
        if (slash) {
            *slash = '\0';
        }
        PyObject *entry = Py_BuildValue("(si)", dir, support);
        if (entry == NULL ||
            PyDict_SetItem(sb->importer.package_dirs, name, entry) < 0) {
            Py_XDECREF(entry);
            Py_DECREF(code);
            return NULL;
        }
        Py_DECREF(entry);
    }
    if (!support && PySet_Add(sb->importer.host_names, name) < 0) {
        Py_DECREF(code);
        return NULL;
    }
    PyObject *module = exec_module(sb, name, code, path, is_package, support);
    Py_DECREF(code);
    return module;
}

PyObject *
ocap_load_extension_file(ocap_sandbox *sb, PyObject *name, const char *leaf)
{
    PyObject *suffixes = sb->importer.extension_suffixes;
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(suffixes); i++) {
        const char *suffix = PyUnicode_AsUTF8(PyList_GET_ITEM(suffixes, i));
        char path[4096];
        if (suffix &&
            (size_t)snprintf(path, sizeof path, "%s/%s%s", ocap_dynload_dir(),
                             leaf, suffix) < sizeof path &&
            is_file(path)) {
            return load_extension(sb, name, path);
        }
    }
    return NULL;
}
