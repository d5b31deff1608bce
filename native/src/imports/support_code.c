/*
 * Which requests come from support code: the standard-library modules
 * objcap loads for the sandbox, which may import what the script may not.
 * Reads the asking frame's code and its current instruction, so it
 * follows CPython's bytecode from version to version.
 */
#include "base/base.h"
#include "imports/imports.h"

#include <opcode.h>

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
mark(ocap_sandbox *sb, PyObject *code, PyObject *dict, int depth)
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
        rc = mark(sb, PyTuple_GET_ITEM(consts, i), dict, depth + 1);
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
    for (Py_ssize_t p = at - 2;
         p >= 0 && code[p] == EXTENDED_ARG && shift < 32; p -= 2, shift += 8) {
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
        ? PyTuple_GET_ITEM(co->co_consts, i)
        : NULL;
}

/* The int pushed at `at`, by LOAD_CONST or (3.14+) LOAD_SMALL_INT, into
   *value; 0 when it is neither. */
static int
int_at(PyCodeObject *co, const unsigned char *code, Py_ssize_t size,
       Py_ssize_t at, long *value)
{
#ifdef LOAD_SMALL_INT
    if (at >= 0 && code[at] == LOAD_SMALL_INT) {
        *value = oparg_at(code, size, at);
        return *value >= 0;
    }
#endif
    PyObject *c = const_at(co, code, size, at);
    if (c == NULL || !PyLong_CheckExact(c)) {
        return 0;
    }
    *value = PyLong_AsLong(c);
    return !(*value == -1 && PyErr_Occurred());
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
        long level_pushed = -1;
        int has_level = int_at(co, code, size, before(code, fromlist_at),
                               &level_pushed);
        PyObject *fromlist_const = const_at(co, code, size, fromlist_at);
        same = i >= 0 && i < PyTuple_GET_SIZE(names) &&
            PyUnicode_Check(name) &&
            PyUnicode_Compare(PyTuple_GET_ITEM(names, i), name) == 0 &&
            fromlist_const != NULL &&
            (fromlist == fromlist_const ||
             (fromlist == NULL && fromlist_const == Py_None)) &&
            has_level && level_pushed == level;
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
int
ocap_support_requester(ocap_sandbox *sb, PyObject *name, PyObject *full,
                       PyObject *globals, PyObject *fromlist, int level)
{
    PyFrameObject *frame = PyEval_GetFrame(); /* borrowed */
    PyObject *dict = support_module_dict(sb, frame);
    return dict != NULL && globals == dict &&
        (is_import_statement(frame, name, fromlist, level) ||
         ocap_policy_imported_by_c(full));
}

int
ocap_support_code_contains(ocap_sandbox *sb, PyObject *code)
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
ocap_support_stdlib_probe(ocap_sandbox *sb, const char *attribute)
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

/* Records `code` (and every code object among its constants) as support
   code running in `dict`.  0, or -1 with an exception set. */
int
ocap_support_code_mark(ocap_sandbox *sb, PyObject *code, PyObject *dict)
{
    return mark(sb, code, dict, 0);
}

/* The innermost frame runs support code in its own module's dict. */
int
ocap_support_caller(ocap_sandbox *sb)
{
    return support_module_dict(sb, PyEval_GetFrame()) != NULL;
}
