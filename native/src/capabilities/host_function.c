/*
 * The host-function capability: a Java (or C) function the host granted,
 * callable from Python like any callable.  Arguments and the result cross
 * by value, as MessagePack; the GIL is released while the host runs.  An
 * exception in the host becomes a HostError carrying the host's type name
 * and message, never its stack trace.
 */
#include "values/values.h"
#include "capabilities/capabilities.h"

#include <stdlib.h>
#include <string.h>

#define MAX_HOST_MESSAGE 65536

typedef struct {
    PyObject_HEAD ocap_sandbox *sb;
    ocap_grant *grant;
} host_function;

static int
key_is(const msgpack_object *k, const char *name)
{
    return k->type == MSGPACK_OBJECT_STR && k->via.str.size == strlen(name) &&
        memcmp(k->via.str.ptr, name, k->via.str.size) == 0;
}

static PyObject *
text_of(const msgpack_object *v, const char *otherwise)
{
    if (v == NULL || v->type != MSGPACK_OBJECT_STR) {
        return PyUnicode_FromString(otherwise);
    }
    size_t n = v->via.str.size < MAX_HOST_MESSAGE ? v->via.str.size
                                                  : MAX_HOST_MESSAGE;
    return PyUnicode_DecodeUTF8(v->via.str.ptr, (Py_ssize_t)n, "replace");
}

/* Raises HostError from the host's error map {"type", "message"}. */
static PyObject *
raise_host_error(ocap_sandbox *sb, const uint8_t *data, size_t len)
{
    const msgpack_object *type = NULL, *message = NULL;
    msgpack_unpacked u;
    msgpack_unpacked_init(&u);
    size_t offset = 0;
    if (data != NULL && ocap_wire_plausible(data, len) &&
        msgpack_unpack_next(&u, (const char *)data, len, &offset) ==
            MSGPACK_UNPACK_SUCCESS &&
        u.data.type == MSGPACK_OBJECT_MAP) {
        for (uint32_t i = 0; i < u.data.via.map.size; i++) {
            const msgpack_object_kv *kv = &u.data.via.map.ptr[i];
            if (key_is(&kv->key, "type")) {
                type = &kv->val;
            }
            else if (key_is(&kv->key, "message")) {
                message = &kv->val;
            }
        }
    }
    PyObject *type_text = text_of(type, "unknown");
    PyObject *message_text = text_of(message, "");
    msgpack_unpacked_destroy(&u);
    PyObject *exc = NULL;
    if (sb->cap_types.host_error == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "the sandbox is closing");
    }
    else if (type_text != NULL && message_text != NULL) {
        exc = PyObject_CallOneArg(sb->cap_types.host_error, message_text);
    }
    if (exc != NULL &&
        PyObject_SetAttrString(exc, "host_type", type_text) == 0) {
        PyErr_SetObject(sb->cap_types.host_error, exc);
    }
    Py_XDECREF(exc);
    Py_XDECREF(type_text);
    Py_XDECREF(message_text);
    return NULL;
}

static PyObject *
host_function_call(host_function *self, PyObject *args, PyObject *kwargs)
{
    ocap_sandbox *sb = self->sb;
    if (kwargs != NULL && PyDict_GET_SIZE(kwargs) != 0) {
        PyErr_Format(PyExc_TypeError,
                     "the host function '%s' takes "
                     "positional arguments only",
                     self->grant->name);
        return NULL;
    }
    if (ocap_grant_is_revoked(self->grant)) {
        return ocap_grant_revoked_error(self->grant);
    }
    PyObject *list = PySequence_List(args);
    if (list == NULL) {
        return NULL;
    }
    uint8_t *packed = NULL, *out = NULL;
    size_t packed_len = 0, out_len = 0;
    ocap_value_error err;
    objcap_status st = ocap_value_to_buffer(sb, list, &packed, &packed_len,
                                            &err);
    Py_DECREF(list);
    if (st == OBJCAP_ERR_VALUE) {
        PyErr_Format(PyExc_TypeError, "cannot pass this to the host: %s",
                     err.message);
        return NULL;
    }
    if (st != OBJCAP_OK) {
        return NULL;
    }
    uint64_t id = self->grant->id;
    Py_BEGIN_ALLOW_THREADS
        /* In a worker, the handler forwards to the host (worker/main.c). */
        st = ocap_grant_serve_host_call(sb, id, packed, packed_len, &out,
                                        &out_len);
    Py_END_ALLOW_THREADS free(packed);
    PyObject *result = NULL;
    if (st == OBJCAP_OK) {
        st = ocap_value_from_buffer(sb, out, out_len, &result, &err);
        if (st == OBJCAP_ERR_VALUE) {
            PyErr_Format(PyExc_TypeError,
                         "the host's result cannot be "
                         "used: %s",
                         err.message);
        }
    }
    else if (st == OBJCAP_ERR_PYTHON) {
        raise_host_error(sb, out, out_len);
    }
    else if (st == OBJCAP_ERR_STATE) {
        PyErr_Format(PyExc_PermissionError,
                     "the host function '%s' cannot "
                     "be called (revoked, or the host refused)",
                     self->grant->name);
    }
    else if (!PyErr_Occurred()) {
        PyErr_NoMemory();
    }
    free(out);
    return result;
}

static PyObject *
host_function_repr(host_function *self)
{
    return PyUnicode_FromFormat("<host function '%s'>", self->grant->name);
}

static void
host_function_dealloc(host_function *self)
{
    PyTypeObject *type = Py_TYPE(self);
    ocap_grant_unref(self->grant);
    type->tp_free(self);
    Py_DECREF(type);
}

static PyMethodDef host_function_methods[] = {OCAP_CAP_NO_COPY_METHODS,
                                              {NULL, NULL, 0, NULL}};

static PyType_Slot host_function_slots[] = {
    {Py_tp_dealloc, host_function_dealloc},
    {Py_tp_repr, host_function_repr},
    {Py_tp_call, host_function_call},
    {Py_tp_methods, host_function_methods},
    {Py_tp_doc, "A function granted by the host."},
    {0, NULL}};

static PyType_Spec host_function_spec = {
    .name = "objcap.HostFunction",
    .basicsize = sizeof(host_function),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_DISALLOW_INSTANTIATION |
        Py_TPFLAGS_IMMUTABLETYPE,
    .slots = host_function_slots,
};

PyObject *
ocap_host_function_type_new(void)
{
    return PyType_FromSpec(&host_function_spec);
}

PyObject *
ocap_host_function_new(ocap_sandbox *sb, ocap_grant *g)
{
    PyTypeObject *type = (PyTypeObject *)sb->cap_types.function;
    host_function *self = PyObject_New(host_function, type);
    if (self == NULL) {
        return NULL;
    }
    self->sb = sb;
    self->grant = ocap_grant_ref(g);
    return (PyObject *)self;
}
