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

#define MAX_IMPORT_DEPTH 100


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

/* Submodules that CPython makes by storing another module under their
   name in sys.modules (3.14's collections.abc is _collections_abc, and
   there is no collections/abc.py).  objcap never reads a name back from
   the stand-in sys.modules, where the script writes too: the same module
   is loaded and registered under the name here.  NULL without an error
   when `name` is no such submodule. */
static PyObject *
load_alias(ocap_sandbox *sb, const char *name)
{
    static const char *const aliases[][2] = {
        {"collections.abc", "_collections_abc"},
        {NULL, NULL},
    };
    for (int i = 0; aliases[i][0] != NULL; i++) {
        if (strcmp(aliases[i][0], name) == 0) {
            PyObject *module = ocap_importer_load_support(sb, aliases[i][1]);
            if (module != NULL &&
                ocap_importer_register(sb, name, module) == NULL) {
                Py_CLEAR(module);
            }
            return module;
        }
    }
    return NULL;
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
        PyObject *parent = ocap_module_parent(name);
        parent_entry = parent ? PyDict_GetItem(im->package_dirs, parent)
                              : NULL;
        Py_XDECREF(parent);
    }

    if (dot == NULL && is_builtin_name(name)) {
        return kind_allowed(sb, OCAP_KIND_BUILTIN, name, top, support)
            ? ocap_load_builtin(sb, name)
            : not_allowed(name);
    }
    /* The boot modules are frozen for CPython's importer only
       (boot_modules.c): here they are the source modules they are. */
    PyObject *frozen = ocap_boot_module(cname)
        ? Py_NewRef(Py_False)
        : PyObject_CallMethod(im->imp, "is_frozen", "O", name);
    int is_frozen = frozen ? PyObject_IsTrue(frozen) : -1;
    Py_XDECREF(frozen);
    if (is_frozen < 0) {
        return NULL;
    }
    if (is_frozen && kind_allowed(sb, OCAP_KIND_FROZEN, name, top, support)) {
        return ocap_load_frozen(sb, name);
    }

    char path[4096];
    int is_package = 0;
    if (parent_entry != NULL) {
        /* A submodule comes from its package's directory, and is host code
           exactly when the package is. */
        const char *dir = PyUnicode_AsUTF8(PyTuple_GET_ITEM(parent_entry, 0));
        int parent_support =
            (int)PyLong_AsLong(PyTuple_GET_ITEM(parent_entry, 1));
        int allowed = parent_support
            ? kind_allowed(sb, OCAP_KIND_SOURCE, name, top, support)
            : 1;
        if (dir && allowed &&
            ocap_find_source(dir, leaf, path, sizeof path, &is_package)) {
            return ocap_load_source(sb, name, path, is_package,
                                    parent_support);
        }
        if (!allowed) {
            return not_allowed(name);
        }
        PyObject *alias = parent_support ? load_alias(sb, cname) : NULL;
        if (alias != NULL || PyErr_Occurred()) {
            return alias;
        }
    }
    /* Only a top-level name is looked for in the standard library's root:
       a submodule whose package has no directory here (one loaded some
       other way) is not the root's file of the same leaf name. */
    else if (dot == NULL &&
             kind_allowed(sb, OCAP_KIND_SOURCE, name, top, support) &&
             ocap_find_source(ocap_stdlib_dir(), leaf, path, sizeof path,
                              &is_package)) {
        return ocap_load_source(sb, name, path, is_package, 1);
    }
    if (dot == NULL &&
        kind_allowed(sb, OCAP_KIND_EXTENSION, name, top, support)) {
        PyObject *module = ocap_load_extension_file(sb, name, leaf);
        if (module != NULL || PyErr_Occurred()) {
            return module;
        }
    }
    if (dot == NULL) {
        for (Py_ssize_t i = 0; i < PyList_GET_SIZE(im->source_paths); i++) {
            const char *dir =
                PyUnicode_AsUTF8(PyList_GET_ITEM(im->source_paths, i));
            if (dir &&
                ocap_find_source(dir, leaf, path, sizeof path, &is_package)) {
                return ocap_load_source(sb, name, path, is_package, 0);
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
    return ocap_module_parent(modname);
}

/* The absolute name for a relative import, as importlib computes it. */
static PyObject *
resolve_relative(PyObject *name, PyObject *globals, int level)
{
    PyObject *package = package_of(globals);
    if (package == NULL || PyUnicode_GET_LENGTH(package) == 0) {
        Py_XDECREF(package);
        if (!PyErr_Occurred()) {
            PyErr_SetString(PyExc_ImportError,
                            "attempted relative import "
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
            PyErr_SetString(PyExc_ImportError,
                            "attempted relative import "
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
    static char *kwlist[] = {"name",     "globals", "locals",
                             "fromlist", "level",   NULL};
    PyObject *name, *globals = NULL, *locals = NULL, *fromlist = NULL;
    int level = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "U|OOOi:__import__", kwlist,
                                     &name, &globals, &locals, &fromlist,
                                     &level)) {
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
    int support = ocap_support_requester(sb, name, full, globals, fromlist,
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
            ? NULL
            : Py_NewRef(module);
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
    "Import a module that this sandbox's policy allows."};

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
    PyObject *old = startup
        ? PyObject_GetAttrString(startup, "search_function")
        : NULL;
    if (old == NULL) {
        PyErr_Clear(); /* nothing registered to replace */
    }
    int rc = (old == NULL || PyCodec_Unregister(old) == 0)
        ? PyCodec_Register(search)
        : -1;
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
    if (im->host_names == NULL || im->visible_modules == NULL ||
        im->hidden == NULL || im->support_code == NULL ||
        im->package_dirs == NULL || ocap_policy_build(sb) < 0) {
        return -1;
    }
    im->imp = Py_XNewRef(PyDict_GetItemString(im->modules, "_imp"));
    im->builtins = Py_XNewRef(PyDict_GetItemString(im->modules, "builtins"));
    PyObject *implementation = PySys_GetObject("implementation");
    if (im->imp == NULL || im->builtins == NULL || implementation == NULL) {
        PyErr_SetString(PyExc_RuntimeError,
                        "the interpreter lacks _imp, "
                        "builtins or sys.implementation");
        return -1;
    }
    im->namespace_type = Py_NewRef((PyObject *)Py_TYPE(implementation));
    im->extension_suffixes = PyObject_CallMethod(im->imp, "extension_suffixes",
                                                 NULL);
    if (im->extension_suffixes == NULL ||
        !PyList_Check(im->extension_suffixes) ||
        hide_startup_modules(im) < 0) {
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
        PyDict_SetItemString(im->visible_modules, "__main__", main_module) <
            0) {
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
