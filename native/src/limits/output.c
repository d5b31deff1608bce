/*
 * sys.stdout and sys.stderr of a sandbox: file-like objects that hand what
 * is written, as UTF-8, to the host's callback while the code runs.  The GIL
 * is released around the callback so a slow host stream stalls only this
 * sandbox.
 */
#include "base/base.h"
#include "limits/limits.h"

#include <structmember.h>

typedef struct {
    PyObject_HEAD ocap_sandbox *sandbox;
    int stream;
} OutputObject;

typedef struct {
    ocap_sandbox *sb;
    int stream;
    const char *data;
    size_t size;
} delivery;

/* The host's callback, on the thread's own stack: it may be Java code. */
static void
deliver(void *arg)
{
    delivery *d = arg;
    d->sb->on_output(d->sb->user, d->stream, d->data, d->size);
}

static PyObject *
output_write(OutputObject *self, PyObject *text)
{
    if (!PyUnicode_Check(text)) {
        PyErr_Format(PyExc_TypeError,
                     "write() argument must be str, not %.100s",
                     Py_TYPE(text)->tp_name);
        return NULL;
    }
    Py_ssize_t length = PyUnicode_GetLength(text);
    /* Lone surrogates cannot be UTF-8; show them escaped, as Python does. */
    PyObject *bytes = PyUnicode_AsEncodedString(text, "utf-8",
                                                "backslashreplace");
    if (bytes == NULL) {
        return NULL;
    }
    ocap_sandbox *sb = self->sandbox;
    size_t size = (size_t)PyBytes_GET_SIZE(bytes);
    int over = 0;
    if (sb->max_output > 0) {
        /* Past the cap the output is cut and the call ends. */
        int64_t left = sb->max_output - sb->output_used;
        if (left < 0) {
            left = 0;
        }
        if ((int64_t)size > left) {
            size = (size_t)left;
            over = 1;
        }
        sb->output_used += (int64_t)size;
    }
    if (sb->on_output != NULL && size > 0) {
        delivery d = {sb, self->stream, PyBytes_AS_STRING(bytes), size};
        Py_BEGIN_ALLOW_THREADS ocap_stack_run_home(deliver, &d);
        Py_END_ALLOW_THREADS
    }
    Py_DECREF(bytes);
    if (over) {
        ocap_limit_stop_here(sb, OCAP_LIMIT_OUTPUT);
        return NULL;
    }
    return PyLong_FromSsize_t(length);
}

static void
output_dealloc(PyObject *self)
{
    PyTypeObject *type = Py_TYPE(self);
    PyObject_Free(self);
    Py_DECREF(type); /* instances of heap types own their type */
}

static PyObject *
output_flush(PyObject *self, PyObject *unused)
{
    Py_RETURN_NONE;
}

static PyObject *
output_false(PyObject *self, PyObject *unused)
{
    Py_RETURN_FALSE;
}

static PyObject *
output_true(PyObject *self, PyObject *unused)
{
    Py_RETURN_TRUE;
}

static PyObject *
output_encoding(PyObject *self, void *closure)
{
    return PyUnicode_FromString("utf-8");
}

static PyMethodDef output_methods[] = {
    {"write", (PyCFunction)output_write, METH_O, "Write text to the host."},
    {"flush", output_flush, METH_NOARGS, "Nothing to flush."},
    {"isatty", output_false, METH_NOARGS, "Never a terminal."},
    {"writable", output_true, METH_NOARGS, "Always writable."},
    {"readable", output_false, METH_NOARGS, "Never readable."},
    {"seekable", output_false, METH_NOARGS, "Never seekable."},
    {NULL, NULL, 0, NULL}};

static PyGetSetDef output_getset[] = {
    {"encoding", output_encoding, NULL, "Always UTF-8.", NULL},
    {NULL, NULL, NULL, NULL, NULL}};

static PyType_Slot output_slots[] = {
    {Py_tp_dealloc, output_dealloc},
    {Py_tp_methods, output_methods},
    {Py_tp_getset, output_getset},
    {Py_tp_doc, "A sandbox's standard output or error stream."},
    {0, NULL}};

/* No Py_TPFLAGS_BASETYPE and no tp_new: Python cannot make or extend one. */
static PyType_Spec output_spec = {
    .name = "objcap.Output",
    .basicsize = sizeof(OutputObject),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_DISALLOW_INSTANTIATION,
    .slots = output_slots,
};

static PyObject *
new_output(PyTypeObject *type, ocap_sandbox *sb, int stream)
{
    OutputObject *out = PyObject_New(OutputObject, type);
    if (out != NULL) {
        out->sandbox = sb;
        out->stream = stream;
    }
    return (PyObject *)out;
}

int
ocap_output_install(ocap_sandbox *sb)
{
    PyObject *type = PyType_FromSpec(&output_spec);
    if (type == NULL) {
        return -1;
    }
    PyObject *out = new_output((PyTypeObject *)type, sb, OBJCAP_STDOUT);
    PyObject *err = new_output((PyTypeObject *)type, sb, OBJCAP_STDERR);
    Py_DECREF(type);
    int rc = -1;
    if (out != NULL && err != NULL && PySys_SetObject("stdout", out) == 0 &&
        PySys_SetObject("__stdout__", out) == 0 &&
        PySys_SetObject("stderr", err) == 0 &&
        PySys_SetObject("__stderr__", err) == 0 &&
        PySys_SetObject("stdin", Py_None) == 0 &&
        PySys_SetObject("__stdin__", Py_None) == 0) {
        rc = 0;
    }
    Py_XDECREF(out);
    Py_XDECREF(err);
    return rc;
}
