/*
 * Layer 2, imports (paper 5.5, 6.3): builtins.__import__ is a C function
 * with no self, so nothing in Python leads from it to the importer, whose
 * state lives in the sandbox's C struct.  Modules are allowed per kind
 * (built-in, frozen, extension, source; bytecode never), each sandbox gets
 * its own instances with inert __loader__/__spec__, and everything the
 * interpreter loaded before the sandbox existed is hidden in a C-side dict.
 *
 * The paper hid such modules under sys.modules['.hidden']; CPython 3.11's
 * IMPORT_FROM falls back to sys.modules[f"{mod.__name__}.{attr}"], so with
 * json.__name__ = '' the statement `from json import hidden` would fetch
 * that entry.  Nothing is therefore hidden anywhere Python can look up.
 */
#include "base/base.h"
#include "bare/bare.h"
#include "imports/imports.h"

#include <opcode.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_SOURCE_SIZE (16 * 1024 * 1024)
#define MAX_IMPORT_DEPTH 100

/* ---- module objects ---- */

static PyObject *
inert_spec(ocap_sandbox *sb, PyObject *name, const char *origin,
           int is_package)
{
    PyObject *kwargs = Py_BuildValue(
        "{s:O,s:s,s:O,s:O,s:O,s:O}", "name", name, "origin", origin,
        "loader", Py_None, "cached", Py_None, "has_location", Py_False,
        "submodule_search_locations", Py_None);
    if (kwargs == NULL) {
        return NULL;
    }
    if (is_package) {
        PyObject *empty = PyList_New(0);
        if (empty == NULL ||
            PyDict_SetItemString(kwargs, "submodule_search_locations",
                                 empty) < 0) {
            Py_XDECREF(empty);
            Py_DECREF(kwargs);
            return NULL;
        }
        Py_DECREF(empty);
    }
    PyObject *args = PyTuple_New(0);
    PyObject *spec = args ? PyObject_Call(sb->importer.namespace_type, args,
                                          kwargs) : NULL;
    Py_XDECREF(args);
    Py_DECREF(kwargs);
    return spec;
}

/* The parent package's name ("" for a top-level module). */
static PyObject *
parent_of(PyObject *name)
{
    Py_ssize_t dot = PyUnicode_FindChar(name, '.', 0, PyUnicode_GET_LENGTH(name),
                                        -1);
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
    PyObject *package = is_package ? Py_NewRef(name) : parent_of(name);
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

/*
 * Who asks.  Modules objcap loaded for the standard library may import the
 * support modules; the script may not.  The requester is never taken from
 * the globals a caller passes (any script can pass vars(json)): objcap
 * records every code object it runs as such a module (the body and,
 * through co_consts, every function and class body in it) together with
 * that module's dict, and a frame speaks for the module only while it runs
 * one of those code objects in that very dict.
 */
static int
mark_support_code(ocap_sandbox *sb, PyObject *code, PyObject *dict, int depth)
{
    if (!PyCode_Check(code) || depth > 100) {
        return 0;
    }
    PyObject *key = PyLong_FromVoidPtr(code);
    PyObject *entry = key ? PyTuple_Pack(2, code, dict) : NULL;
    int rc = entry ? PyDict_SetItem(sb->importer.support_code, key, entry)
                   : -1;
    Py_XDECREF(entry);
    Py_XDECREF(key);
    PyObject *consts = ((PyCodeObject *)code)->co_consts;
    for (Py_ssize_t i = 0; rc == 0 && i < PyTuple_GET_SIZE(consts); i++) {
        rc = mark_support_code(sb, PyTuple_GET_ITEM(consts, i), dict,
                               depth + 1);
    }
    return rc;
}

/* The dict of the support module whose code `frame` runs in that module's
   own dict, or NULL (borrowed: the record keeps it). */
static PyObject *
support_module_dict(ocap_sandbox *sb, PyFrameObject *frame)
{
    if (frame == NULL || sb->importer.support_code == NULL) {
        return NULL; /* no Python caller, or the sandbox is ending */
    }
    PyCodeObject *code = PyFrame_GetCode(frame);
    PyObject *globals = PyFrame_GetGlobals(frame);
    PyObject *key = PyLong_FromVoidPtr(code);
    PyObject *entry = key ? PyDict_GetItem(sb->importer.support_code, key)
                          : NULL;
    PyObject *dict = NULL;
    if (entry != NULL && PyTuple_GET_ITEM(entry, 0) == (PyObject *)code &&
        PyTuple_GET_ITEM(entry, 1) == globals) {
        dict = globals;
    }
    Py_XDECREF(key);
    Py_XDECREF(globals);
    Py_DECREF(code);
    if (key == NULL) {
        PyErr_Clear();
    }
    return dict;
}

/* The oparg of the instruction at `at` in deoptimized code, with its
   EXTENDED_ARG prefixes; -1 if `at` is out of range. */
static long
oparg_at(const unsigned char *code, Py_ssize_t size, Py_ssize_t at)
{
    if (at < 0 || at + 1 >= size) {
        return -1;
    }
    long arg = code[at + 1];
    int shift = 8;
    for (Py_ssize_t p = at - 2; p >= 0 && code[p] == EXTENDED_ARG && shift < 32;
         p -= 2, shift += 8) {
        arg |= (long)code[p + 1] << shift;
    }
    return arg;
}

/* The start of the instruction before the one at `at`, skipping the
   EXTENDED_ARG prefixes of `at`'s own. */
static Py_ssize_t
before(const unsigned char *code, Py_ssize_t at)
{
    Py_ssize_t p = at - 2;
    while (p >= 0 && code[p] == EXTENDED_ARG) {
        p -= 2;
    }
    return p;
}

/* A LOAD_CONST at `at`, or NULL (borrowed). */
static PyObject *
const_at(PyCodeObject *co, const unsigned char *code, Py_ssize_t size,
         Py_ssize_t at)
{
    if (at < 0 || code[at] != LOAD_CONST) {
        return NULL;
    }
    long i = oparg_at(code, size, at);
    return i >= 0 && i < PyTuple_GET_SIZE(co->co_consts)
        ? PyTuple_GET_ITEM(co->co_consts, i) : NULL;
}

/*
 * The frame executes an import statement and this request is exactly
 * that statement's: IMPORT_NAME at the frame's instruction with this name,
 * after LOAD_CONSTs of this level and fromlist.  Not a call that reached
 * __import__ some other way (a key function, a functools.partial), nor C
 * code that runs under the statement and asks for something else (a
 * script's __import__ replacement answering the statement).
 */
static int
is_import_statement(PyFrameObject *frame, PyObject *name, PyObject *fromlist,
                    int level)
{
    int lasti = PyFrame_GetLasti(frame);
    PyCodeObject *co = PyFrame_GetCode(frame);
    PyObject *bytes = PyCode_GetCode(co); /* without specialization */
    int same = 0;
    if (bytes != NULL && lasti >= 0 && lasti < PyBytes_GET_SIZE(bytes)) {
        const unsigned char *code =
            (const unsigned char *)PyBytes_AS_STRING(bytes);
        Py_ssize_t size = PyBytes_GET_SIZE(bytes);
        long i = code[lasti] == IMPORT_NAME ? oparg_at(code, size, lasti) : -1;
        PyObject *names = co->co_names;
        Py_ssize_t fromlist_at = before(code, lasti);
        PyObject *level_const = const_at(co, code, size,
                                         before(code, fromlist_at));
        PyObject *fromlist_const = const_at(co, code, size, fromlist_at);
        same = i >= 0 && i < PyTuple_GET_SIZE(names) &&
            PyUnicode_Check(name) &&
            PyUnicode_Compare(PyTuple_GET_ITEM(names, i), name) == 0 &&
            fromlist_const != NULL &&
            (fromlist == fromlist_const ||
             (fromlist == NULL && fromlist_const == Py_None)) &&
            level_const != NULL && PyLong_CheckExact(level_const) &&
            PyLong_AsLong(level_const) == level;
    }
    if (bytes == NULL || PyErr_Occurred()) {
        PyErr_Clear();
        same = 0;
    }
    Py_XDECREF(bytes);
    Py_DECREF(co);
    return same;
}

/* An import on behalf of a support module: its own import statement,
   which passes its own globals (or C code it called, for the CJK codecs:
   ocap_policy_imported_by_c).  `name` is the request as made, before a relative one is
   resolved. */
static int
is_support_requester(ocap_sandbox *sb, PyObject *name, PyObject *full,
                     PyObject *globals, PyObject *fromlist, int level)
{
    PyFrameObject *frame = PyEval_GetFrame(); /* borrowed */
    PyObject *dict = support_module_dict(sb, frame);
    return dict != NULL && globals == dict &&
        (is_import_statement(frame, name, fromlist, level) ||
         ocap_policy_imported_by_c(full));
}

int
ocap_importer_is_support_code(ocap_sandbox *sb, PyObject *code)
{
    if (!PyCode_Check(code) || sb->importer.support_code == NULL) {
        return 0;
    }
    PyObject *key = PyLong_FromVoidPtr(code);
    PyObject *entry = key ? PyDict_GetItem(sb->importer.support_code, key)
                          : NULL;
    if (key == NULL) {
        PyErr_Clear();
    }
    Py_XDECREF(key);
    return entry != NULL && PyTuple_GET_ITEM(entry, 0) == code;
}

/* `name` appears in the code: as a name it loads or as a str constant,
   alone or in a tuple of them. */
static int
code_names(PyCodeObject *code, const char *name)
{
    PyObject *lists[2] = {code->co_names, code->co_consts};
    for (int l = 0; l < 2; l++) {
        for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(lists[l]); i++) {
            PyObject *item = PyTuple_GET_ITEM(lists[l], i);
            Py_ssize_t n = PyTuple_Check(item) ? PyTuple_GET_SIZE(item) : 1;
            for (Py_ssize_t j = 0; j < n; j++) {
                PyObject *s = PyTuple_Check(item) ? PyTuple_GET_ITEM(item, j)
                                                  : item;
                if (PyUnicode_CheckExact(s) &&
                    PyUnicode_CompareWithASCIIString(s, name) == 0) {
                    return 1;
                }
            }
        }
    }
    return 0;
}

int
ocap_importer_stdlib_probe(ocap_sandbox *sb, const char *attribute)
{
    PyFrameObject *frame = PyEval_GetFrame(); /* borrowed */
    if (support_module_dict(sb, frame) == NULL) {
        return 0;
    }
    PyCodeObject *code = PyFrame_GetCode(frame);
    int named = code_names(code, attribute);
    Py_DECREF(code);
    return named;
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
        PyDict_SetItemString(dict, "__builtins__", sb->importer.builtins) < 0 ||
        (support && mark_support_code(sb, code, dict, 0) < 0) ||
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

static PyObject *
load_builtin(ocap_sandbox *sb, PyObject *name)
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

static PyObject *
load_frozen(ocap_sandbox *sb, PyObject *name)
{
    PyObject *code = PyObject_CallMethod(sb->importer.imp, "get_frozen_object",
                                         "O", name);
    if (code == NULL) {
        return NULL;
    }
    PyObject *pkg = PyObject_CallMethod(sb->importer.imp, "is_frozen_package",
                                        "O", name);
    int is_package = pkg ? PyObject_IsTrue(pkg) : -1;
    Py_XDECREF(pkg);
    PyObject *module = is_package < 0 ? NULL
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
static int
find_source(const char *dir, const char *leaf, char *path, size_t size,
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

static PyObject *
load_source(ocap_sandbox *sb, PyObject *name, const char *path, int is_package,
            int support)
{
    struct stat st;
    PyObject *code = NULL;
    if (stat(path, &st) == 0) {
        code = ocap_code_cache_get(path, &st);
    }
    if (code == NULL) {
        PyObject *source = read_source(path, &st);
        if (source == NULL) {
            if (!PyErr_Occurred()) {
                PyErr_Format(PyExc_ImportError,
                             "cannot read the source of '%U'", name);
            }
            return NULL;
        }
        PyObject *filename = PyUnicode_DecodeFSDefault(path);
        /* Compiled from bytes, so a PEP 263 coding cookie is honoured. */
        code = filename ? Py_CompileStringObject(
            PyBytes_AS_STRING(source), filename, Py_file_input, NULL, -1)
                        : NULL;
        Py_DECREF(source);
        Py_XDECREF(filename);
        if (code == NULL) {
            return NULL;
        }
        /* Keyed by the file that was read, not the one stat() saw. */
        ocap_code_cache_put(path, &st, code);
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

static PyObject *
load_extension_file(ocap_sandbox *sb, PyObject *name, const char *leaf)
{
    PyObject *suffixes = sb->importer.extension_suffixes;
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(suffixes); i++) {
        const char *suffix = PyUnicode_AsUTF8(PyList_GET_ITEM(suffixes, i));
        char path[4096];
        if (suffix && (size_t)snprintf(path, sizeof path, "%s/%s%s",
                                       ocap_dynload_dir(), leaf, suffix)
                          < sizeof path && is_file(path)) {
            return load_extension(sb, name, path);
        }
    }
    return NULL;
}

/* ---- policy ---- */

static int
in_set(PyObject *set, PyObject *name)
{
    int r = PySet_Contains(set, name);
    if (r < 0) {
        PyErr_Clear();
        return 0;
    }
    return r;
}

/* May a module of `kind` named `name` be loaded for this requester? */
static int
kind_allowed(ocap_sandbox *sb, int kind, PyObject *name, PyObject *top,
             int support)
{
    ocap_importer *im = &sb->importer;
    if (in_set(im->dangerous, name)) {
        return 1;
    }
    /* A whitelisted source package covers its submodules. */
    if (in_set(im->user[kind], name) ||
        (kind == OCAP_KIND_SOURCE && in_set(im->user[kind], top))) {
        return 1;
    }
    /* Codec lookups import encodings.* (ocap_importer_own_codec_search),
       on behalf of whatever code encodes. */
    if (kind == OCAP_KIND_SOURCE &&
        PyUnicode_CompareWithASCIIString(top, "encodings") == 0) {
        return 1;
    }
    if (!support) {
        return 0;
    }
    return in_set(im->support[kind], name) ||
        (kind == OCAP_KIND_SOURCE && in_set(im->support[kind], top));
}

static PyObject *
not_allowed(PyObject *name)
{
    ocap_sandbox *sb = ocap_trust_sandbox();
    /* The stdlib probes optional modules (try: import x except ImportError):
       only the script's own attempts are reported. */
    if (sb != NULL && !sb->importer.requester_support) {
        char what[96];
        snprintf(what, sizeof what, "import %s", PyUnicode_AsUTF8(name));
        PyErr_Clear();
        ocap_sandbox_count_denial(sb, what);
    }
    PyObject *msg = PyUnicode_FromFormat(
        "import of '%U' is not allowed in this sandbox", name);
    if (msg != NULL) {
        PyErr_SetImportErrorSubclass(PyExc_ModuleNotFoundError, msg, name,
                                     NULL);
        Py_DECREF(msg);
    }
    return NULL;
}

static int
is_builtin_name(PyObject *name)
{
    const char *s = PyUnicode_AsUTF8(name);
    for (struct _inittab *p = PyImport_Inittab; s && p->name; p++) {
        if (strcmp(p->name, s) == 0) {
            return 1;
        }
    }
    return 0;
}

/* Loads one module (its parent is loaded already), choosing its kind. */
static PyObject *
load_one(ocap_sandbox *sb, PyObject *name, PyObject *top, int support)
{
    ocap_importer *im = &sb->importer;
    const char *cname = PyUnicode_AsUTF8(name);
    if (cname == NULL) {
        return NULL;
    }
    if (ocap_standin_known(cname) && !in_set(im->dangerous, name)) {
        if (!support && !ocap_standin_for_scripts(cname)) {
            return not_allowed(name);
        }
        return ocap_standin_build(sb, cname);
    }
    const char *dot = strrchr(cname, '.');
    const char *leaf = dot ? dot + 1 : cname;
    PyObject *parent_entry = NULL;
    if (dot != NULL) {
        PyObject *parent = parent_of(name);
        parent_entry = parent ? PyDict_GetItem(im->package_dirs, parent) : NULL;
        Py_XDECREF(parent);
    }

    if (dot == NULL && is_builtin_name(name)) {
        return kind_allowed(sb, OCAP_KIND_BUILTIN, name, top, support)
            ? load_builtin(sb, name) : not_allowed(name);
    }
    PyObject *frozen = PyObject_CallMethod(im->imp, "is_frozen", "O", name);
    int is_frozen = frozen ? PyObject_IsTrue(frozen) : -1;
    Py_XDECREF(frozen);
    if (is_frozen < 0) {
        return NULL;
    }
    if (is_frozen && kind_allowed(sb, OCAP_KIND_FROZEN, name, top, support)) {
        return load_frozen(sb, name);
    }

    char path[4096];
    int is_package = 0;
    if (parent_entry != NULL) {
        /* A submodule comes from its package's directory, and is host code
           exactly when the package is. */
        const char *dir = PyUnicode_AsUTF8(PyTuple_GET_ITEM(parent_entry, 0));
        int parent_support = (int)PyLong_AsLong(PyTuple_GET_ITEM(parent_entry,
                                                                 1));
        int allowed = parent_support
            ? kind_allowed(sb, OCAP_KIND_SOURCE, name, top, support) : 1;
        if (dir && allowed && find_source(dir, leaf, path, sizeof path,
                                          &is_package)) {
            return load_source(sb, name, path, is_package, parent_support);
        }
        if (!allowed) {
            return not_allowed(name);
        }
    }
    else if (kind_allowed(sb, OCAP_KIND_SOURCE, name, top, support) &&
             find_source(ocap_stdlib_dir(), leaf, path, sizeof path,
                         &is_package)) {
        return load_source(sb, name, path, is_package, 1);
    }
    if (dot == NULL &&
        kind_allowed(sb, OCAP_KIND_EXTENSION, name, top, support)) {
        PyObject *module = load_extension_file(sb, name, leaf);
        if (module != NULL || PyErr_Occurred()) {
            return module;
        }
    }
    if (dot == NULL) {
        for (Py_ssize_t i = 0; i < PyList_GET_SIZE(im->source_paths); i++) {
            const char *dir = PyUnicode_AsUTF8(
                PyList_GET_ITEM(im->source_paths, i));
            if (dir && find_source(dir, leaf, path, sizeof path, &is_package)) {
                return load_source(sb, name, path, is_package, 0);
            }
        }
    }
    return not_allowed(name);
}

/* ---- __import__ ---- */

static int
valid_module_name(PyObject *name)
{
    PyObject *dot = PyUnicode_FromString(".");
    PyObject *parts = dot ? PyUnicode_Split(name, dot, -1) : NULL;
    Py_XDECREF(dot);
    if (parts == NULL) {
        return -1;
    }
    int ok = PyList_GET_SIZE(parts) > 0;
    for (Py_ssize_t i = 0; ok && i < PyList_GET_SIZE(parts); i++) {
        ok = PyUnicode_IsIdentifier(PyList_GET_ITEM(parts, i)) == 1;
    }
    Py_DECREF(parts);
    return ok;
}

/* The package a module's globals import relative to, or NULL. */
static PyObject *
package_of(PyObject *globals)
{
    if (globals == NULL || !PyDict_Check(globals)) {
        return NULL;
    }
    PyObject *package = PyDict_GetItemString(globals, "__package__");
    if (package != NULL && PyUnicode_Check(package)) {
        return Py_NewRef(package);
    }
    PyObject *modname = PyDict_GetItemString(globals, "__name__");
    if (modname == NULL || !PyUnicode_Check(modname)) {
        return NULL;
    }
    if (PyDict_GetItemString(globals, "__path__") != NULL) {
        return Py_NewRef(modname);
    }
    return parent_of(modname);
}

/* The absolute name for a relative import, as importlib computes it. */
static PyObject *
resolve_relative(PyObject *name, PyObject *globals, int level)
{
    PyObject *package = package_of(globals);
    if (package == NULL || PyUnicode_GET_LENGTH(package) == 0) {
        Py_XDECREF(package);
        if (!PyErr_Occurred()) {
            PyErr_SetString(PyExc_ImportError, "attempted relative import "
                            "with no known parent package");
        }
        return NULL;
    }
    Py_ssize_t end = PyUnicode_GET_LENGTH(package);
    for (int i = 1; i < level && end >= 0; i++) {
        end = PyUnicode_FindChar(package, '.', 0, end, -1);
    }
    if (end < 0) {
        Py_DECREF(package);
        if (!PyErr_Occurred()) {
            PyErr_SetString(PyExc_ImportError, "attempted relative import "
                            "beyond top-level package");
        }
        return NULL;
    }
    PyObject *base = PyUnicode_Substring(package, 0, end);
    Py_DECREF(package);
    if (base == NULL || PyUnicode_GET_LENGTH(name) == 0) {
        return base;
    }
    PyObject *full = PyUnicode_FromFormat("%U.%U", base, name);
    Py_DECREF(base);
    return full;
}

/* May this requester have a module that is loaded already? */
static int
loaded_allowed(ocap_sandbox *sb, PyObject *name, PyObject *top, int support)
{
    const char *cname = PyUnicode_AsUTF8(name);
    if (cname == NULL) {
        PyErr_Clear();
        return 0;
    }
    if (support || strcmp(cname, "__main__") == 0) {
        return 1;
    }
    if (ocap_standin_known(cname)) {
        return ocap_standin_for_scripts(cname);
    }
    for (int k = 0; k < OCAP_KIND_COUNT; k++) {
        if (kind_allowed(sb, k, name, top, 0)) {
            return 1;
        }
    }
    /* Host modules (and their submodules) are the script's to import. */
    return in_set(sb->importer.host_names, top);
}

/* Imports every prefix of a dotted name; returns the last module. */
static PyObject *
import_dotted(ocap_sandbox *sb, PyObject *full, int support)
{
    ocap_importer *im = &sb->importer;
    Py_ssize_t length = PyUnicode_GET_LENGTH(full);
    PyObject *top = NULL, *module = NULL, *parent = NULL;
    Py_ssize_t start = 0;
    while (start <= length) {
        Py_ssize_t dot = PyUnicode_FindChar(full, '.', start, length, 1);
        Py_ssize_t end = dot < 0 ? length : dot;
        PyObject *name = PyUnicode_Substring(full, 0, end);
        if (name == NULL) {
            goto error;
        }
        if (top == NULL) {
            top = Py_NewRef(name);
        }
        PyObject *existing = PyDict_GetItemWithError(im->modules, name);
        if (existing != NULL) {
            if (!loaded_allowed(sb, name, top, support)) {
                not_allowed(name);
                Py_DECREF(name);
                goto error;
            }
            Py_XSETREF(module, Py_NewRef(existing));
        }
        else if (PyErr_Occurred()) {
            Py_DECREF(name);
            goto error;
        }
        else {
            PyObject *loaded = load_one(sb, name, top, support);
            if (loaded == NULL) {
                Py_DECREF(name);
                goto error;
            }
            if (parent != NULL) {
                PyObject *leaf = PyUnicode_Substring(full, start, end);
                int rc = leaf ? PyObject_SetAttr(parent, leaf, loaded) : -1;
                Py_XDECREF(leaf);
                if (rc < 0) {
                    Py_DECREF(loaded);
                    Py_DECREF(name);
                    goto error;
                }
            }
            Py_XSETREF(module, loaded);
        }
        Py_DECREF(name);
        Py_XSETREF(parent, Py_NewRef(module));
        if (dot < 0) {
            break;
        }
        start = dot + 1;
    }
    Py_XDECREF(top);
    Py_XDECREF(parent);
    return module;
error:
    Py_XDECREF(top);
    Py_XDECREF(parent);
    Py_XDECREF(module);
    return NULL;
}

/* `from package import submodule` imports the submodule if needed. */
static int
handle_fromlist(ocap_sandbox *sb, PyObject *module, PyObject *full,
                PyObject *fromlist, int support)
{
    if (!PyObject_HasAttrString(module, "__path__")) {
        return 0;
    }
    PyObject *items = PySequence_Fast(fromlist, "fromlist must be a sequence");
    if (items == NULL) {
        return -1;
    }
    for (Py_ssize_t i = 0; i < PySequence_Fast_GET_SIZE(items); i++) {
        PyObject *item = PySequence_Fast_GET_ITEM(items, i);
        if (!PyUnicode_Check(item) ||
            PyUnicode_CompareWithASCIIString(item, "*") == 0 ||
            PyObject_HasAttr(module, item)) {
            continue;
        }
        PyObject *sub = PyUnicode_FromFormat("%U.%U", full, item);
        PyObject *loaded = sub ? import_dotted(sb, sub, support) : NULL;
        Py_XDECREF(sub);
        if (loaded == NULL) {
            /* A missing name is IMPORT_FROM's error to raise, not ours. */
            if (!PyErr_ExceptionMatches(PyExc_ModuleNotFoundError)) {
                Py_DECREF(items);
                return -1;
            }
            PyErr_Clear();
        }
        Py_XDECREF(loaded);
    }
    Py_DECREF(items);
    return 0;
}

static PyObject *
import_delegate(PyObject *self, PyObject *args, PyObject *kwargs)
{
    static char *kwlist[] = {"name", "globals", "locals", "fromlist",
                             "level", NULL};
    PyObject *name, *globals = NULL, *locals = NULL, *fromlist = NULL;
    int level = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "U|OOOi:__import__",
                                     kwlist, &name, &globals, &locals,
                                     &fromlist, &level)) {
        return NULL;
    }
    ocap_sandbox *sb = ocap_trust_sandbox();
    if (sb == NULL) {
        PyErr_SetString(PyExc_ImportError, "no sandbox on this thread");
        return NULL;
    }
    if (sb->importer.modules == NULL) {
        /* A finalizer that imports while the interpreter ends. */
        PyErr_SetString(PyExc_ImportError, "the sandbox is closing");
        return NULL;
    }
    if (level < 0) {
        PyErr_SetString(PyExc_ValueError, "level must be >= 0");
        return NULL;
    }
    PyObject *full = level > 0 ? resolve_relative(name, globals, level)
                               : Py_NewRef(name);
    if (full == NULL) {
        return NULL;
    }
    int valid = valid_module_name(full);
    if (valid <= 0) {
        if (valid == 0) {
            not_allowed(full); /* '.hidden', 'a..b', '': no module has it */
        }
        Py_DECREF(full);
        return NULL;
    }
    if (sb->importer.depth >= MAX_IMPORT_DEPTH) {
        Py_DECREF(full);
        PyErr_SetString(PyExc_RecursionError, "imports nest too deeply");
        return NULL;
    }
    int support = is_support_requester(sb, name, full, globals, fromlist,
                                       level);
    int outer_support = sb->importer.requester_support;
    sb->importer.requester_support = support;
    sb->importer.depth++;
    PyObject *module = import_dotted(sb, full, support);
    sb->importer.depth--;
    sb->importer.requester_support = outer_support;
    if (module == NULL) {
        Py_DECREF(full);
        return NULL;
    }
    PyObject *result;
    if (fromlist != NULL && fromlist != Py_None &&
        PyObject_IsTrue(fromlist) == 1) {
        result = handle_fromlist(sb, module, full, fromlist, support) < 0
            ? NULL : Py_NewRef(module);
    }
    else {
        /* `import a.b` binds a: the top-level package. */
        Py_ssize_t dot = PyUnicode_FindChar(full, '.', 0,
                                            PyUnicode_GET_LENGTH(full), 1);
        if (dot < 0) {
            result = Py_NewRef(module);
        }
        else {
            PyObject *top = PyUnicode_Substring(full, 0, dot);
            result = top ? PyDict_GetItemWithError(sb->importer.modules, top)
                         : NULL;
            Py_XINCREF(result);
            if (result == NULL && !PyErr_Occurred()) {
                PyErr_Format(PyExc_ModuleNotFoundError, "No module named '%U'",
                             top);
            }
            Py_XDECREF(top);
        }
    }
    Py_DECREF(module);
    Py_DECREF(full);
    return result;
}

static PyMethodDef import_def = {
    "__import__", (PyCFunction)(void (*)(void))import_delegate,
    METH_VARARGS | METH_KEYWORDS,
    "__import__(name, globals=None, locals=None, fromlist=(), level=0)\n"
    "Import a module that this sandbox's policy allows."
};

/* Loads a module that objcap's stand-ins need, as a support import. */
PyObject *
ocap_importer_load_support(ocap_sandbox *sb, const char *name)
{
    PyObject *full = PyUnicode_FromString(name);
    if (full == NULL) {
        return NULL;
    }
    PyObject *module = import_dotted(sb, full, 1);
    Py_DECREF(full);
    return module;
}

/*
 * Codec lookups go through the sandbox's own encodings package.  The
 * interpreter registered its start-up package, whose codec modules, once
 * hidden, come back as the sandbox's (importing the sandbox's codecs), so
 * its isinstance(entry, codecs.CodecInfo) failed and it rebuilt each entry
 * from the 4-tuple, without incremental codecs: TextIOWrapper then called
 * None for every encoding not cached at start-up.  Unregistering clears
 * the lookup cache too.
 */
int
ocap_importer_own_codec_search(ocap_sandbox *sb)
{
    PyObject *fresh = ocap_importer_load_support(sb, "encodings");
    PyObject *search = fresh ? PyObject_GetAttrString(fresh, "search_function")
                             : NULL;
    Py_XDECREF(fresh);
    if (search == NULL) {
        return -1;
    }
    PyObject *startup = PyDict_GetItemString(sb->importer.hidden, "encodings");
    PyObject *old = startup ? PyObject_GetAttrString(startup, "search_function")
                            : NULL;
    if (old == NULL) {
        PyErr_Clear(); /* nothing registered to replace */
    }
    int rc = (old == NULL || PyCodec_Unregister(old) == 0)
        ? PyCodec_Register(search) : -1;
    Py_XDECREF(old);
    Py_DECREF(search);
    return rc;
}

/* Moves everything the interpreter loaded at start-up out of reach. */
static int
hide_startup_modules(ocap_importer *im)
{
    PyObject *names = PyDict_Keys(im->modules);
    if (names == NULL) {
        return -1;
    }
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(names); i++) {
        PyObject *name = PyList_GET_ITEM(names, i);
        if (PyUnicode_Check(name) &&
            (PyUnicode_CompareWithASCIIString(name, "builtins") == 0 ||
             PyUnicode_CompareWithASCIIString(name, "__main__") == 0)) {
            continue;
        }
        PyObject *module = PyDict_GetItem(im->modules, name);
        if (module == NULL || PyDict_SetItem(im->hidden, name, module) < 0 ||
            PyDict_DelItem(im->modules, name) < 0) {
            Py_DECREF(names);
            return -1;
        }
    }
    Py_DECREF(names);
    return 0;
}

int
ocap_importer_install(ocap_sandbox *sb)
{
    ocap_importer *im = &sb->importer;
    im->load_support = ocap_importer_load_support;
    im->register_module = ocap_importer_register;
    im->modules = Py_NewRef(PyImport_GetModuleDict());
    im->visible_modules = PyDict_New();
    im->hidden = PyDict_New();
    im->support_code = PyDict_New();
    im->package_dirs = PyDict_New();
    im->host_names = PySet_New(NULL);
    if (im->host_names == NULL || im->visible_modules == NULL || im->hidden == NULL ||
        im->support_code == NULL || im->package_dirs == NULL ||
        ocap_policy_build(sb) < 0) {
        return -1;
    }
    im->imp = Py_XNewRef(PyDict_GetItemString(im->modules, "_imp"));
    im->builtins = Py_XNewRef(PyDict_GetItemString(im->modules, "builtins"));
    PyObject *implementation = PySys_GetObject("implementation");
    if (im->imp == NULL || im->builtins == NULL || implementation == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "the interpreter lacks _imp, "
                        "builtins or sys.implementation");
        return -1;
    }
    im->namespace_type = Py_NewRef((PyObject *)Py_TYPE(implementation));
    im->extension_suffixes = PyObject_CallMethod(im->imp,
                                                 "extension_suffixes", NULL);
    if (im->extension_suffixes == NULL || !PyList_Check(im->extension_suffixes)
        || hide_startup_modules(im) < 0) {
        return -1;
    }
    PyObject *builtins_dict = PyModule_GetDict(im->builtins);
    PyObject *delegate = PyCFunction_New(&import_def, NULL);
    if (delegate == NULL ||
        PyDict_SetItemString(builtins_dict, "__import__", delegate) < 0 ||
        ocap_bare_patch_builtins(builtins_dict) < 0) {
        Py_XDECREF(delegate);
        return -1;
    }
    Py_DECREF(delegate);
    /* The real import machinery is not used: leave it nothing to find
       with, should anything ever reach the real sys. */
    static const char *const emptied[] = {"meta_path", "path_hooks", "path",
                                          NULL};
    for (const char *const *n = emptied; *n; n++) {
        PyObject *empty = PyList_New(0);
        if (empty == NULL || PySys_SetObject(*n, empty) < 0) {
            Py_XDECREF(empty);
            return -1;
        }
        Py_DECREF(empty);
    }
    PyObject *cache = PyDict_New();
    if (cache == NULL || PySys_SetObject("path_importer_cache", cache) < 0) {
        Py_XDECREF(cache);
        return -1;
    }
    Py_DECREF(cache);
    /* __main__ got BuiltinImporter as __loader__: it creates any built-in
       module (posix included) and raises no audit event. */
    if (PyDict_SetItemString(sb->globals, "__loader__", Py_None) < 0 ||
        PyDict_SetItemString(sb->globals, "__spec__", Py_None) < 0) {
        return -1;
    }
    /* The script's own module is in its sys.modules, as in CPython
       (dataclasses resolves string annotations through it). */
    PyObject *main_module = PyDict_GetItemString(im->modules, "__main__");
    if (main_module != NULL &&
        PyDict_SetItemString(im->visible_modules, "__main__", main_module) < 0) {
        return -1;
    }
    return 0;
}

void
ocap_importer_clear(ocap_sandbox *sb)
{
    ocap_importer *im = &sb->importer;
    for (int k = 0; k < OCAP_KIND_COUNT; k++) {
        Py_CLEAR(im->user[k]);
        Py_CLEAR(im->support[k]);
    }
    Py_CLEAR(im->dangerous);
    Py_CLEAR(im->source_paths);
    Py_CLEAR(im->modules);
    Py_CLEAR(im->visible_modules);
    Py_CLEAR(im->hidden);
    Py_CLEAR(im->support_code);
    Py_CLEAR(im->package_dirs);
    Py_CLEAR(im->host_names);
    Py_CLEAR(im->imp);
    Py_CLEAR(im->namespace_type);
    Py_CLEAR(im->builtins);
    Py_CLEAR(im->extension_suffixes);
    Py_CLEAR(im->array_methods);
}
