/*
 * Memory-safety bugs in CPython's C modules that the default whitelist
 * reaches, closed by removing the method that triggers them.  Found by an
 * independent attack (see the escape corpus, group "memory-safety"):
 *  - struct.Struct.__init__ on a live Struct: iter_unpack/pack_into keep
 *    using the old codes and size, giving an out-of-bounds read and write
 *    (a full escape in-process);
 *  - itertools' __setstate__ (cycle and others) keep a borrowed view of a
 *    list the caller still owns: a use-after-free; functools.partial's
 *    __setstate__ frees the args its repr or call is still reading;
 *  - array.array stores a value after checking the index and resizing,
 *    converting it only then (through __index__/__float__, which may shrink
 *    the array): an 8-byte write past the buffer, a full escape in-process
 *    and an arbitrary read/write in a worker.  Values are converted first;
 *  - itertools iterators re-entered from their own next free what the
 *    outer call still uses (iterator_guard.c);
 *  - the C OrderedDict follows nodes a key's __eq__ can free: the sandbox
 *    gets collections' pure-Python OrderedDict instead;
 *  - bytearray methods and stores resized or freed under them by an
 *    argument's __index__ (bytearray_guard.c);
 *  - deque.index compares an item its own __eq__ can free: replaced by
 *    one that holds the item (deque_index.c).
 * Each is applied on the CPython versions that have its bug, as
 * guards/cpython_bugs.c says (today: every version).
 * In-process mode cannot be made memory-safe this way in general; process
 * isolation (objcap-worker) is what contains the next such bug.
 */
#include "base/base.h"
#include "bare/guards/guards.h"
#include "bare/bare.h"

#include <string.h>

static int
drop_from_type(PyObject *type, const char *name)
{
    if (!PyType_Check(type)) {
        return 0;
    }
    PyObject *dict = ocap_type_dict((PyTypeObject *)type);
    if (dict == NULL || PyDict_GetItemString(dict, name) == NULL) {
        return 0;
    }
    if (PyDict_DelItemString(dict, name) < 0) {
        return -1;
    }
    ocap_type_modified((PyTypeObject *)type);
    return 0;
}

/* Every type the module exports loses `name` (where it defines one). */
static int
drop_from_all_types(PyObject *module, const char *name)
{
    PyObject *dict = PyModule_GetDict(module);
    Py_ssize_t pos = 0;
    PyObject *key, *value;
    while (PyDict_Next(dict, &pos, &key, &value)) {
        if (drop_from_type(value, name) < 0) {
            return -1;
        }
    }
    return 0;
}

/* ---- array: convert values before the array's own code runs ---- */

/* The array type's own stores: the same functions in every interpreter.
   Each array module has types of its own on 3.12+, and sandboxes import
   it in parallel (GILs of their own): the first import records them,
   atomically, and every later one must find the same. */
static _Atomic(ssizeobjargproc) array_ass_item;
static _Atomic(objobjargproc) array_ass_subscr;

#define KEEP_ONCE(kept, function)                                             \
    ({                                                                        \
        __typeof__(function) expected_ = NULL;                                \
        atomic_compare_exchange_strong(&(kept), &expected_, (function)) ||    \
            expected_ == (function);                                          \
    })

/* An exact int or float for numeric arrays; anything else is left as is
   (the array refuses it, or it is a character for 'u'/'w'). */
static PyObject *
plain_value(PyObject *array, PyObject *value)
{
    if (value == NULL || PyLong_CheckExact(value) ||
        PyFloat_CheckExact(value) || PyUnicode_CheckExact(value)) {
        return Py_XNewRef(value);
    }
    PyObject *code = PyObject_GetAttrString(array, "typecode");
    const char *c = code && PyUnicode_Check(code) ? PyUnicode_AsUTF8(code)
                                                  : NULL;
    PyObject *plain;
    if (c != NULL && c[0] && strchr("bBhHiIlLqQ", c[0]) != NULL) {
        plain = PyNumber_Index(value);
    }
    else if (c != NULL && (c[0] == 'f' || c[0] == 'd')) {
        double d = PyFloat_AsDouble(value);
        plain = d == -1.0 && PyErr_Occurred() ? NULL : PyFloat_FromDouble(d);
    }
    else {
        plain = c != NULL ? Py_NewRef(value) : NULL;
    }
    Py_XDECREF(code);
    return plain;
}

static int
safe_ass_item(PyObject *self, Py_ssize_t i, PyObject *value)
{
    PyObject *plain = plain_value(self, value);
    if (plain == NULL && value != NULL) {
        return -1;
    }
    int rc = atomic_load_explicit(&array_ass_item,
                                  memory_order_relaxed)(self, i, plain);
    Py_XDECREF(plain);
    return rc;
}

static int
safe_ass_subscr(PyObject *self, PyObject *key, PyObject *value)
{
    if (value == NULL || PySlice_Check(key) ||
        PyObject_TypeCheck(value, Py_TYPE(self))) {
        return atomic_load_explicit(&array_ass_subscr,
                                    memory_order_relaxed)(self, key, value);
    }
    PyObject *plain = plain_value(self, value);
    if (plain == NULL) {
        return -1;
    }
    int rc = atomic_load_explicit(&array_ass_subscr,
                                  memory_order_relaxed)(self, key, plain);
    Py_DECREF(plain);
    return rc;
}

/* The array's own methods, {(id(type), name): descriptor}, kept per
   sandbox (they belong to its interpreter) where the sandbox cannot reach. */
static PyObject *
originals(void)
{
    ocap_sandbox *sb = ocap_trust_sandbox();
    if (sb == NULL) {
        return NULL;
    }
    if (sb->importer.array_methods == NULL) {
        sb->importer.array_methods = PyDict_New();
    }
    return sb->importer.array_methods;
}

static PyObject *
original(PyObject *self, const char *name)
{
    PyObject *key = Py_BuildValue("(ns)", (Py_ssize_t)(uintptr_t)Py_TYPE(self),
                                  name);
    PyObject *table = originals();
    PyObject *d = key && table ? PyDict_GetItemWithError(table, key) : NULL;
    Py_XDECREF(key);
    if (d == NULL && !PyErr_Occurred()) {
        PyErr_Format(PyExc_TypeError, "array.%s is not available", name);
    }
    return d;
}

/* A list of plain values from any iterable (its own code runs now, before
   the array's). */
static PyObject *
plain_list(PyObject *self, PyObject *iterable)
{
    PyObject *list = PySequence_List(iterable);
    for (Py_ssize_t i = 0; list != NULL && i < PyList_GET_SIZE(list); i++) {
        PyObject *plain = plain_value(self, PyList_GET_ITEM(list, i));
        if (plain == NULL) {
            Py_CLEAR(list);
            break;
        }
        PyList_SetItem(list, i, plain);
    }
    return list;
}

static PyObject *
safe_append(PyObject *self, PyObject *value)
{
    PyObject *d = original(self, "append");
    PyObject *plain = d ? plain_value(self, value) : NULL;
    PyObject *r = plain ? PyObject_CallFunctionObjArgs(d, self, plain, NULL)
                        : NULL;
    Py_XDECREF(plain);
    return r;
}

static PyObject *
safe_insert(PyObject *self, PyObject *args)
{
    PyObject *index, *value;
    if (!PyArg_ParseTuple(args, "OO:insert", &index, &value)) {
        return NULL;
    }
    PyObject *d = original(self, "insert");
    PyObject *i = d ? PyNumber_Index(index) : NULL;
    PyObject *plain = i ? plain_value(self, value) : NULL;
    PyObject *r = plain ? PyObject_CallFunctionObjArgs(d, self, i, plain, NULL)
                        : NULL;
    Py_XDECREF(i);
    Py_XDECREF(plain);
    return r;
}

static PyObject *
safe_extend(PyObject *self, PyObject *iterable)
{
    PyObject *d = original(self, "extend");
    if (d == NULL) {
        return NULL;
    }
    if (PyObject_TypeCheck(iterable, Py_TYPE(self))) {
        return PyObject_CallFunctionObjArgs(d, self, iterable, NULL);
    }
    PyObject *list = plain_list(self, iterable);
    PyObject *r = list ? PyObject_CallFunctionObjArgs(d, self, list, NULL)
                       : NULL;
    Py_XDECREF(list);
    return r;
}

static PyObject *
safe_fromlist(PyObject *self, PyObject *list)
{
    PyObject *d = original(self, "fromlist");
    if (d == NULL) {
        return NULL;
    }
    if (!PyList_Check(list)) {
        return PyObject_CallFunctionObjArgs(d, self, list, NULL);
    }
    PyObject *plain = plain_list(self, list);
    PyObject *r = plain ? PyObject_CallFunctionObjArgs(d, self, plain, NULL)
                        : NULL;
    Py_XDECREF(plain);
    return r;
}

static PyMethodDef safe_methods[] = {
    {"append", safe_append, METH_O, "Append a value (converted first)."},
    {"insert", safe_insert, METH_VARARGS, "Insert a value (converted first)."},
    {"extend", safe_extend, METH_O, "Append values (converted first)."},
    {"fromlist", safe_fromlist, METH_O,
     "Append list items (converted first)."},
    {NULL, NULL, 0, NULL}};

static int
harden_array(PyObject *module)
{
    PyObject *t = PyObject_GetAttrString(module, "array");
    if (t == NULL || !PyType_Check(t)) {
        Py_XDECREF(t);
        PyErr_Clear();
        return 0;
    }
    PyTypeObject *type = (PyTypeObject *)t;
    int rc = -1;
    PyObject *table = originals();
    if (table == NULL) {
        if (!PyErr_Occurred()) {
            rc = 0; /* not a sandbox's interpreter: nothing to protect */
        }
        goto done;
    }
    if (type->tp_as_sequence &&
        type->tp_as_sequence->sq_ass_item != safe_ass_item) {
        if (!KEEP_ONCE(array_ass_item, type->tp_as_sequence->sq_ass_item)) {
            PyErr_SetString(PyExc_ImportError,
                            "array has an unexpected item store");
            goto done;
        }
        type->tp_as_sequence->sq_ass_item = safe_ass_item;
    }
    if (type->tp_as_mapping &&
        type->tp_as_mapping->mp_ass_subscript != safe_ass_subscr) {
        if (!KEEP_ONCE(array_ass_subscr,
                       type->tp_as_mapping->mp_ass_subscript)) {
            PyErr_SetString(PyExc_ImportError,
                            "array has an unexpected subscript store");
            goto done;
        }
        type->tp_as_mapping->mp_ass_subscript = safe_ass_subscr;
    }
    /* The dict's __setitem__ wraps the original function, not the slot. */
    if (drop_from_type(t, "__setitem__") < 0) {
        goto done;
    }
    PyObject *dict = ocap_type_dict(type);
    for (PyMethodDef *m = safe_methods; m->ml_name; m++) {
        PyObject *orig = PyDict_GetItemString(dict, m->ml_name);
        PyObject *key = Py_BuildValue("(ns)", (Py_ssize_t)(uintptr_t)type,
                                      m->ml_name);
        PyObject *mine = PyDescr_NewMethod(type, m);
        int failed = orig == NULL || key == NULL || mine == NULL ||
            PyDict_SetItem(table, key, orig) < 0 ||
            PyDict_SetItemString(dict, m->ml_name, mine) < 0;
        Py_XDECREF(key);
        Py_XDECREF(mine);
        if (failed) {
            goto done;
        }
    }
    ocap_type_modified(type);
    rc = 0;
done:
    Py_DECREF(t);
    return rc;
}

int
ocap_harden_module(const char *name, PyObject *module)
{
    if (strcmp(name, "array") == 0) {
        return ocap_cpython_has_bug(OCAP_BUG_ARRAY_STORE)
            ? harden_array(module)
            : 0;
    }
    if (strcmp(name, "_struct") == 0 &&
        ocap_cpython_has_bug(OCAP_BUG_STRUCT_REINIT)) {
        PyObject *type = PyObject_GetAttrString(module, "Struct");
        if (type == NULL) {
            PyErr_Clear();
            return 0;
        }
        int rc = drop_from_type(type, "__init__");
        Py_DECREF(type);
        return rc;
    }
    if (strcmp(name, "_abc") == 0) {
        return ocap_set_guard_abc(PyModule_GetDict(module));
    }
    if (strcmp(name, "_functools") == 0) {
        /* partial's repr and call read its args through borrowed pointers
           while running code that may call __setstate__ on it (gh-144475,
           gh-154189); it exists for pickle and copy only. */
        PyObject *type = PyObject_GetAttrString(module, "partial");
        if (type == NULL) {
            PyErr_Clear();
            return 0;
        }
        int rc = ocap_cpython_has_bug(OCAP_BUG_PARTIAL_SETSTATE)
            ? drop_from_type(type, "__setstate__")
            : 0;
        Py_DECREF(type);
        /* The C cmp_to_key passes the objects it wraps to cmp borrowed,
           while its writable `obj` lets an __eq__ free them: functools
           keeps its pure-Python cmp_to_key when the C one is missing. */
        PyObject *dict = PyModule_GetDict(module);
        if (rc == 0 && ocap_cpython_has_bug(OCAP_BUG_CMP_TO_KEY) &&
            PyDict_GetItemString(dict, "cmp_to_key") != NULL &&
            PyDict_DelItemString(dict, "cmp_to_key") < 0) {
            rc = -1;
        }
        return rc;
    }
    if (strcmp(name, "_collections") == 0) {
        /* collections keeps its pure-Python OrderedDict when the C one is
           missing; the C one's __eq__, __delitem__, pop and copy follow
           nodes that a key's __eq__ can free (gh-119004, gh-142637,
           gh-142734). */
        PyObject *dict = PyModule_GetDict(module);
        if (ocap_cpython_has_bug(OCAP_BUG_C_ORDEREDDICT) &&
            PyDict_GetItemString(dict, "OrderedDict") != NULL &&
            PyDict_DelItemString(dict, "OrderedDict") < 0) {
            return -1;
        }
        /* deque.index compares a borrowed item (gh-115243): deque_index.c.
           A static deque (3.11) was changed at start-up; this checks it.
           deque_index.c asks the version table itself. */
        return ocap_deque_index_module(module);
    }
    if (strcmp(name, "itertools") == 0) {
        int drop = ocap_cpython_has_bug(OCAP_BUG_ITERTOOLS_SETSTATE);
        return (drop && drop_from_all_types(module, "__setstate__") < 0) ||
                ocap_iterator_guard_module(module) < 0
            ? -1
            : 0;
    }
    return 0;
}
