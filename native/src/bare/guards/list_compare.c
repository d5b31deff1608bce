/*
 * List comparison holds the items it compares.
 *
 * CPython 3.11's list_richcompare makes its final comparison (<, <=, >, >=
 * on the first items that differ) through borrowed pointers.  The left
 * item's __lt__ may drop the right list's item; CPython then calls the
 * freed object's reflected __gt__, handing Python a deallocated object
 * (gh-120298, fixed in 3.12.5, 3.13.0 and 3.14.0, where this guard is left
 * off: cpython_bugs.c; heapq, bisect and sorting of lists of lists reach
 * it too).  In-process that is a use-after-free
 * under the script's control.  The slot is replaced by the same function
 * with the upstream fix: both items are held during that comparison.
 *
 * The slot is shared by every interpreter; the __lt__ ... __ge__ wrappers
 * in the type's dict are pointed at the replacement in place.  Called by
 * ocap_bare_patch_types() for every interpreter, the main one first;
 * idempotent.
 */
#include "base/base.h"
#include "bare/guards/guards.h"

static PyObject *
list_richcompare_holding(PyObject *v, PyObject *w, int op)
{
    if (!PyList_Check(v) || !PyList_Check(w)) {
        Py_RETURN_NOTIMPLEMENTED;
    }
    if (Py_SIZE(v) != Py_SIZE(w) && (op == Py_EQ || op == Py_NE)) {
        return Py_NewRef(op == Py_EQ ? Py_False : Py_True);
    }
    /* The first index where the items differ. */
    Py_ssize_t i;
    for (i = 0; i < Py_SIZE(v) && i < Py_SIZE(w); i++) {
        PyObject *vitem = Py_NewRef(PyList_GET_ITEM(v, i));
        PyObject *witem = Py_NewRef(PyList_GET_ITEM(w, i));
        int k = vitem == witem ? 1
                               : PyObject_RichCompareBool(vitem, witem, Py_EQ);
        Py_DECREF(vitem);
        Py_DECREF(witem);
        if (k < 0) {
            return NULL;
        }
        if (!k) {
            break;
        }
    }
    if (i >= Py_SIZE(v) || i >= Py_SIZE(w)) {
        Py_RETURN_RICHCOMPARE(Py_SIZE(v), Py_SIZE(w), op);
    }
    if (op == Py_EQ || op == Py_NE) {
        return Py_NewRef(op == Py_EQ ? Py_False : Py_True);
    }
    /* The final comparison, with both items held (the fix). */
    PyObject *vitem = Py_NewRef(PyList_GET_ITEM(v, i));
    PyObject *witem = Py_NewRef(PyList_GET_ITEM(w, i));
    PyObject *result = PyObject_RichCompare(vitem, witem, op);
    Py_DECREF(vitem);
    Py_DECREF(witem);
    return result;
}

int
ocap_list_compare_patch(void)
{
    if (!ocap_cpython_has_bug(OCAP_BUG_LIST_COMPARE)) {
        return 0;
    }
    richcmpfunc original = PyList_Type.tp_richcompare;
    if (original == list_richcompare_holding) {
        return 0;
    }
    PyList_Type.tp_richcompare = list_richcompare_holding;
    /* __lt__, __le__, __eq__, __ne__, __gt__, __ge__ */
    if (ocap_rewrap_slot(&PyList_Type, (void *)original,
                         (void *)list_richcompare_holding) != 6) {
        PyErr_SetString(PyExc_RuntimeError,
                        "list's comparison wrappers are not as expected");
        return -1;
    }
    return 0;
}
