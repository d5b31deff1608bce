/*
 * Memory-safety bugs in CPython's C modules that the default whitelist
 * reaches, closed by removing the method that triggers them.  Found by an
 * independent attack (see the escape corpus, group "memory-safety"):
 *  - struct.Struct.__init__ on a live Struct: iter_unpack/pack_into keep
 *    using the old codes and size, giving an out-of-bounds read and write
 *    (a full escape in-process);
 *  - itertools' __setstate__ (cycle and others) keep a borrowed view of a
 *    list the caller still owns: a use-after-free.
 * In-process mode cannot be made memory-safe this way in general; process
 * isolation (objcap-worker) is what contains the next such bug.
 */
#include "internal.h"

#include <string.h>

static int
drop_from_type(PyObject *type, const char *name)
{
    if (!PyType_Check(type)) {
        return 0;
    }
    PyObject *dict = ((PyTypeObject *)type)->tp_dict;
#if PY_VERSION_HEX >= 0x030C0000
    dict = PyType_GetDict((PyTypeObject *)type);
    Py_XDECREF(dict); /* kept alive by the type */
#endif
    if (dict == NULL || PyDict_GetItemString(dict, name) == NULL) {
        return 0;
    }
    if (PyDict_DelItemString(dict, name) < 0) {
        return -1;
    }
    PyType_Modified((PyTypeObject *)type);
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

int
ocap_harden_module(const char *name, PyObject *module)
{
    if (strcmp(name, "_struct") == 0) {
        PyObject *type = PyObject_GetAttrString(module, "Struct");
        if (type == NULL) {
            PyErr_Clear();
            return 0;
        }
        int rc = drop_from_type(type, "__init__");
        Py_DECREF(type);
        return rc;
    }
    if (strcmp(name, "itertools") == 0) {
        return drop_from_all_types(module, "__setstate__");
    }
    return 0;
}
