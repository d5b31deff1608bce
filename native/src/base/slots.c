/*
 * Reaching into a type's own dict: the two helpers every part of the bare
 * interpreter needs (bare.c, hardening.c and the CPython-bug guards), kept
 * below all of them so that none has to call another.
 */
#include "base/base.h"

/* A type's dict, borrowed: on 3.12+ a static type's is per interpreter. */
PyObject *
ocap_type_dict(PyTypeObject *type)
{
#if PY_VERSION_HEX >= 0x030C0000
    PyObject *dict = PyType_GetDict(type); /* new reference */
    Py_XDECREF(dict);                      /* kept alive by the type */
    return dict;
#else
    return type->tp_dict;
#endif
}

/*
 * After objcap changed a type's dict: PyType_Modified, except for a static
 * type in a sub-interpreter on 3.12+.  There the dict is the interpreter's
 * own, but the type object, its version tag and CPython's counter of
 * global version tags are shared by every interpreter, and other
 * sandboxes run in parallel with GILs of their own: PyType_Modified would
 * zero the tag under them, and two interpreters re-tagging static types at
 * once could give two types one tag (CPython asserts that static builtin
 * types are never modified).  The tag stays; what this interpreter cached
 * under it is dropped: its own method cache, the only cache that has seen
 * the dict before (the change is made before any script exists in it).
 */
void
ocap_type_modified(PyTypeObject *type)
{
#if PY_VERSION_HEX >= 0x030C0000
    if (!(type->tp_flags & Py_TPFLAGS_HEAPTYPE) &&
        PyInterpreterState_Get() != PyInterpreterState_Main()) {
        PyType_ClearCache(); /* this interpreter's */
        return;
    }
#endif
    PyType_Modified(type);
}

/* The slot wrappers in a type's dict (__next__, __lt__, __setitem__ ...)
   call the C function they were made with, not the slot: after a slot is
   replaced, point those at the replacement.  In place, so no object is
   created in whichever interpreter runs this; a static type's dict on
   3.12+ is built per interpreter from the slots, so it follows by itself.
   The number of wrappers now calling `guarded`, -1 without a dict. */
int
ocap_rewrap_slot(PyTypeObject *type, void *original, void *guarded)
{
    PyObject *dict = ocap_type_dict(type);
    if (dict == NULL) {
        PyErr_Format(PyExc_RuntimeError, "%s has no dict", type->tp_name);
        return -1;
    }
    int found = 0;
    Py_ssize_t pos = 0;
    PyObject *key, *value;
    while (PyDict_Next(dict, &pos, &key, &value)) {
        if (PyObject_TypeCheck(value, &PyWrapperDescr_Type)) {
            PyWrapperDescrObject *d = (PyWrapperDescrObject *)value;
            if (d->d_wrapped == original || d->d_wrapped == guarded) {
                d->d_wrapped = guarded;
                found++;
            }
        }
    }
    ocap_type_modified(type);
    return found;
}
