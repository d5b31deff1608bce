/*
 * The capability objects' types, made per interpreter on the first grant
 * (a sandbox that is granted nothing has none), and HostError, which the
 * script can name in an `except` clause: it goes into the builtins.
 */
#include "capabilities/capabilities.h"

int
ocap_cap_types_ready(ocap_sandbox *sb)
{
    ocap_cap_types *t = &sb->cap_types;
    if (t->host_error != NULL) {
        return 0;
    }
    t->directory = ocap_directory_type_new();
    t->file = ocap_granted_file_type_new();
    t->function = ocap_host_function_type_new();
    PyObject *host_error = PyErr_NewExceptionWithDoc(
        "objcap.HostError",
        "A host function raised; host_type names the host's exception.",
        PyExc_Exception, NULL);
    PyObject *builtins = PyModule_GetDict(sb->importer.builtins);
    /* Loaded at start-up, so hidden (importer.c); files are built on it. */
    t->io = Py_XNewRef(PyDict_GetItemString(sb->importer.hidden, "_io"));
    if (t->io == NULL) {
        t->io = Py_XNewRef(PyDict_GetItemString(sb->importer.modules, "_io"));
    }
    if (t->io == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "_io is not loaded");
    }
    if (t->io == NULL || t->directory == NULL || t->file == NULL ||
        t->function == NULL || host_error == NULL ||
        PyDict_SetItemString(builtins, "HostError", host_error) < 0) {
        Py_XDECREF(host_error);
        ocap_cap_types_clear(sb);
        return -1;
    }
    t->host_error = host_error;
    return 0;
}

void
ocap_cap_types_clear(ocap_sandbox *sb)
{
    Py_CLEAR(sb->cap_types.directory);
    Py_CLEAR(sb->cap_types.file);
    Py_CLEAR(sb->cap_types.function);
    Py_CLEAR(sb->cap_types.host_error);
    Py_CLEAR(sb->cap_types.io);
}
