/*
 * deque.index holds the item it compares.
 *
 * CPython 3.11's deque_index compares each item through a borrowed pointer
 * (b->data[index]).  The item's __eq__ can clear the deque, dropping the
 * item's last reference as __eq__ returns; do_richcompare then calls the
 * reflected __eq__ of the value searched for with the freed item, handing
 * Python a deallocated object (gh-115243).  In-process that is a
 * use-after-free under the script's control.  It also takes the deque's
 * first block before converting start and stop, whose __index__ may free
 * that block.  3.13 converts the arguments first (Argument Clinic,
 * gh-112050) and holds the item; 3.11.9 and 3.12.3 hold the item only, so
 * the guard is left off from 3.13.0 (cpython_bugs.c).
 *
 * deque.index is replaced by a method with the same arguments, results
 * and errors, walking the deque with the deque's own iterator: that holds
 * each item it returns and raises RuntimeError("deque mutated during
 * iteration") once the deque has changed, the same check (the deque's
 * state counter) CPython's index makes after each comparison.  The
 * iterator is taken before start and stop are converted, so a deque that
 * their __index__ changes raises RuntimeError too (CPython compares one
 * item, maybe freed, first).
 *
 * On 3.11 deque is a static type shared by every interpreter: its index is
 * replaced once, in the main interpreter, when the runtime starts (the new
 * descriptor must not belong to a sandbox's interpreter, which goes away).
 * From 3.12 each _collections module has a heap type of its own, changed
 * when a sandbox imports the module (ocap_harden_module).
 */
#include "base/base.h"
#include "bare/guards/guards.h"

/* The deque type's tp_iter (deque_iter): the same function in every
   interpreter and for every _collections module.  Called directly, so a
   subclass's __iter__ is not involved, as in CPython's index. */
static getiterfunc deque_iter;

/* _PyEval_SliceIndexNotNone, which is not public API on every version. */
static int
slice_index(PyObject *v, Py_ssize_t *pi)
{
    if (!PyIndex_Check(v)) {
        PyErr_SetString(PyExc_TypeError,
                        "slice indices must be integers or "
                        "have an __index__ method");
        return 0;
    }
    Py_ssize_t x = PyNumber_AsSsize_t(v, NULL);
    if (x == -1 && PyErr_Occurred()) {
        return 0;
    }
    *pi = x;
    return 1;
}

/* The next item (a new reference); NULL with an error set when the deque
   changed or ended early (it cannot end early without changing). */
static PyObject *
next_item(PyObject *it)
{
    PyObject *item = Py_TYPE(it)->tp_iternext(it);
    if (item == NULL && !PyErr_Occurred()) {
        PyErr_SetString(PyExc_RuntimeError, "deque mutated during iteration");
    }
    return item;
}

static PyObject *
deque_index_holding(PyObject *deque, PyObject *args)
{
    Py_ssize_t start = 0, stop = Py_SIZE(deque);
    PyObject *v;
    PyObject *it = deque_iter(deque);
    if (it == NULL) {
        return NULL;
    }
    if (!PyArg_ParseTuple(args, "O|O&O&:index", &v, slice_index, &start,
                          slice_index, &stop)) {
        Py_DECREF(it);
        return NULL;
    }
    Py_ssize_t size = Py_SIZE(deque);
    if (start < 0) {
        start += size;
        if (start < 0) {
            start = 0;
        }
    }
    if (stop < 0) {
        stop += size;
        if (stop < 0) {
            stop = 0;
        }
    }
    if (stop > size) {
        stop = size;
    }
    if (start > stop) {
        start = stop;
    }
    Py_ssize_t i;
    PyObject *item;
    for (i = 0; i < start && start < stop; i++) {
        if ((item = next_item(it)) == NULL) {
            goto error;
        }
        Py_DECREF(item);
    }
    for (i = start; i < stop; i++) {
        if ((item = next_item(it)) == NULL) {
            goto error;
        }
        int cmp = PyObject_RichCompareBool(item, v, Py_EQ);
        Py_DECREF(item);
        if (cmp > 0) {
            Py_DECREF(it);
            return PyLong_FromSsize_t(i);
        }
        if (cmp < 0) {
            goto error;
        }
    }
    if (start < stop) {
        /* CPython checks the state after the last comparison too. */
        item = Py_TYPE(it)->tp_iternext(it);
        if (item == NULL && PyErr_Occurred()) {
            goto error;
        }
        Py_XDECREF(item);
    }
    Py_DECREF(it);
    PyErr_Format(PyExc_ValueError, "%R is not in deque", v);
    return NULL;
error:
    Py_DECREF(it);
    return NULL;
}

/* Its doc is the replaced method's own (it differs between versions),
   taken by the main interpreter at start-up, before any sandbox runs. */
static PyMethodDef index_def = {"index", deque_index_holding, METH_VARARGS,
                                NULL};

static int
replace_index(PyTypeObject *type)
{
    PyObject *dict = ocap_type_dict(type);
    PyObject *old = dict ? PyDict_GetItemString(dict, "index") : NULL;
    if (old == NULL || !PyObject_TypeCheck(old, &PyMethodDescr_Type)) {
        PyErr_Format(PyExc_ImportError, "%s has no index method",
                     type->tp_name);
        return -1;
    }
    if (((PyMethodDescrObject *)old)->d_method == &index_def) {
        return 0;
    }
    if (!(type->tp_flags & Py_TPFLAGS_HEAPTYPE) &&
        PyInterpreterState_Get() != PyInterpreterState_Main()) {
        PyErr_Format(PyExc_ImportError,
                     "%s.index was not replaced at "
                     "start-up",
                     type->tp_name);
        return -1;
    }
    if (type->tp_iter == NULL ||
        (deque_iter != NULL && deque_iter != type->tp_iter)) {
        PyErr_Format(PyExc_ImportError, "%s has an unexpected iterator",
                     type->tp_name);
        return -1;
    }
    /* Set by the main interpreter at start (it imports _collections
       then) and only read after: sandboxes run in parallel with GILs of
       their own on 3.12+. */
    if (deque_iter == NULL) {
        if (PyInterpreterState_Get() != PyInterpreterState_Main()) {
            PyErr_Format(PyExc_ImportError, "%s was not seen at start-up",
                         type->tp_name);
            return -1;
        }
        deque_iter = type->tp_iter;
        index_def.ml_doc = ((PyMethodDescrObject *)old)->d_method->ml_doc;
    }
    PyObject *mine = PyDescr_NewMethod(type, &index_def);
    int rc = mine ? PyDict_SetItemString(dict, "index", mine) : -1;
    Py_XDECREF(mine);
    ocap_type_modified(type);
    return rc;
}

int
ocap_deque_index_module(PyObject *collections)
{
    if (!ocap_cpython_has_bug(OCAP_BUG_DEQUE_INDEX)) {
        return 0;
    }
    PyObject *type = PyObject_GetAttrString(collections, "deque");
    if (type == NULL || !PyType_Check(type)) {
        Py_XDECREF(type);
        PyErr_Format(PyExc_ImportError, "_collections has no deque type");
        return -1;
    }
    int rc = replace_index((PyTypeObject *)type);
    Py_DECREF(type);
    return rc;
}

int
ocap_deque_index_start(void)
{
    if (!ocap_cpython_has_bug(OCAP_BUG_DEQUE_INDEX)) {
        return 0;
    }
    PyObject *collections = PyImport_ImportModule("_collections");
    if (collections == NULL) {
        return -1;
    }
    int rc = ocap_deque_index_module(collections);
    Py_DECREF(collections);
    return rc;
}
