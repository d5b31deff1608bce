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
    PyType_Modified(type);
    return found;
}
