/*
 * What every capability type answers to copy and pickle: no.  A capability
 * is handed out by the host only, so a script cannot duplicate one to
 * outlive a revocation or smuggle it into a value.
 */
#include "capabilities/capabilities.h"

PyObject *
ocap_cap_refuse_copy(PyObject *self, PyObject *args)
{
    PyErr_Format(PyExc_TypeError,
                 "'%.100s' objects cannot be copied or "
                 "pickled: a capability is handed out only by the host",
                 Py_TYPE(self)->tp_name);
    return NULL;
}
