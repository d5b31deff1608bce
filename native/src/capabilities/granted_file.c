/*
 * The raw file under a file object opened through a directory grant (the
 * paper's PyFile_Init: only objcap's C code makes one).  It speaks the raw
 * I/O protocol that _io's buffered and text layers use, so the object a
 * script gets is an ordinary BufferedReader or TextIOWrapper.
 *
 * Why not FileIO over the descriptor: a revocation must close the file from
 * another thread, and closing a number that a read in progress holds (or
 * that was closed and reused meanwhile, by the JVM say) is unsafe.  Here
 * the descriptor is lent per system call (grants.c), and closed only when
 * no call holds it.  The descriptor itself is never shown.
 */
#include "capabilities/capabilities.h"

#include <errno.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#define READ_CHUNK (64 * 1024)

typedef struct {
    PyObject_HEAD ocap_sandbox *sb;
    ocap_grant *grant;
    ocap_lent_fd lent;
    int readable, writable;
    int closed;     /* by the script */
    PyObject *name; /* the path the script opened, relative to the grant */
    PyObject *mode;
} granted_file;

static PyObject *
unsupported(granted_file *self, const char *message)
{
    PyObject *io = self->sb->cap_types.io;
    PyObject *type = io ? PyObject_GetAttrString(io, "UnsupportedOperation")
                        : NULL;
    PyErr_SetString(type ? type : PyExc_OSError, message);
    Py_XDECREF(type);
    return NULL;
}

/* The descriptor for one system call, or -1 with an exception set. */
static int
use(granted_file *self)
{
    int fd = self->closed ? -1 : ocap_lent_fd_use(self->grant, &self->lent);
    if (fd >= 0) {
        return fd;
    }
    if (self->lent.revoked) {
        ocap_grant_revoked_error(self->grant);
    }
    else {
        PyErr_SetString(PyExc_ValueError, "I/O operation on closed file");
    }
    return -1;
}

static void
done(granted_file *self)
{
    ocap_lent_fd_done(self->grant, &self->lent);
}

static PyObject *
fail(void)
{
    return PyErr_SetFromErrno(PyExc_OSError);
}

/* One read(2) into buf; -1 with an exception set. */
static Py_ssize_t
read_some(granted_file *self, char *buf, size_t len)
{
    if (!self->readable) {
        unsupported(self, "File not open for reading");
        return -1;
    }
    int fd = use(self);
    if (fd < 0) {
        return -1;
    }
    ssize_t n;
    int err;
    Py_BEGIN_ALLOW_THREADS do
    {
        n = read(fd, buf, len);
    }
    while (n < 0 && errno == EINTR)
        ;
    err = errno;
    Py_END_ALLOW_THREADS done(self);
    if (n < 0) {
        errno = err;
        fail();
    }
    return n;
}

static PyObject *
file_readinto(granted_file *self, PyObject *arg)
{
    Py_buffer buf;
    if (PyObject_GetBuffer(arg, &buf, PyBUF_WRITABLE) < 0) {
        return NULL;
    }
    Py_ssize_t n = read_some(self, buf.buf, (size_t)buf.len);
    PyBuffer_Release(&buf);
    return n < 0 ? NULL : PyLong_FromSsize_t(n);
}

static PyObject *
file_readall(granted_file *self, PyObject *unused)
{
    Py_ssize_t size = READ_CHUNK, used = 0;
    PyObject *bytes = PyBytes_FromStringAndSize(NULL, size);
    while (bytes != NULL) {
        if (used == size) {
            size += size / 2 + READ_CHUNK;
            if (_PyBytes_Resize(&bytes, size) < 0) {
                return NULL;
            }
        }
        Py_ssize_t n = read_some(self, PyBytes_AS_STRING(bytes) + used,
                                 (size_t)(size - used));
        if (n < 0) {
            Py_CLEAR(bytes);
        }
        else if (n == 0) {
            break;
        }
        used += n;
    }
    if (bytes != NULL && _PyBytes_Resize(&bytes, used) < 0) {
        return NULL;
    }
    return bytes;
}

static PyObject *
file_read(granted_file *self, PyObject *args)
{
    Py_ssize_t size = -1;
    if (!PyArg_ParseTuple(args, "|n:read", &size)) {
        return NULL;
    }
    if (size < 0) {
        return file_readall(self, NULL);
    }
    PyObject *bytes = PyBytes_FromStringAndSize(NULL, size);
    if (bytes == NULL) {
        return NULL;
    }
    Py_ssize_t n = read_some(self, PyBytes_AS_STRING(bytes), (size_t)size);
    if (n < 0) {
        Py_DECREF(bytes);
        return NULL;
    }
    if (_PyBytes_Resize(&bytes, n) < 0) {
        return NULL;
    }
    return bytes;
}

static PyObject *
file_write(granted_file *self, PyObject *arg)
{
    if (!self->writable) {
        return unsupported(self, "File not open for writing");
    }
    Py_buffer buf;
    if (PyObject_GetBuffer(arg, &buf, PyBUF_SIMPLE) < 0) {
        return NULL;
    }
    int fd = use(self);
    if (fd < 0) {
        PyBuffer_Release(&buf);
        return NULL;
    }
    ssize_t n;
    int err;
    Py_BEGIN_ALLOW_THREADS do
    {
        n = write(fd, buf.buf, (size_t)buf.len);
    }
    while (n < 0 && errno == EINTR)
        ;
    err = errno;
    Py_END_ALLOW_THREADS done(self);
    PyBuffer_Release(&buf);
    if (n < 0) {
        errno = err;
        return fail();
    }
    return PyLong_FromSsize_t(n);
}

static PyObject *
move_to(granted_file *self, long long offset, int whence)
{
    int fd = use(self);
    if (fd < 0) {
        return NULL;
    }
    off_t at = lseek(fd, (off_t)offset, whence);
    int err = errno;
    done(self);
    if (at < 0) {
        errno = err;
        return fail();
    }
    return PyLong_FromLongLong((long long)at);
}

static PyObject *
file_seek(granted_file *self, PyObject *args)
{
    long long offset;
    int whence = SEEK_SET;
    if (!PyArg_ParseTuple(args, "L|i:seek", &offset, &whence)) {
        return NULL;
    }
    if (whence != SEEK_SET && whence != SEEK_CUR && whence != SEEK_END) {
        PyErr_SetString(PyExc_ValueError, "invalid whence");
        return NULL;
    }
    return move_to(self, offset, whence);
}

static PyObject *
file_tell(granted_file *self, PyObject *unused)
{
    return move_to(self, 0, SEEK_CUR);
}

static PyObject *
file_truncate(granted_file *self, PyObject *args)
{
    PyObject *size_arg = Py_None;
    if (!PyArg_ParseTuple(args, "|O:truncate", &size_arg)) {
        return NULL;
    }
    if (!self->writable) {
        return unsupported(self, "File not open for writing");
    }
    long long size;
    if (size_arg == Py_None) {
        PyObject *at = file_tell(self, NULL);
        if (at == NULL) {
            return NULL;
        }
        size = PyLong_AsLongLong(at);
        Py_DECREF(at);
    }
    else {
        size = PyLong_AsLongLong(size_arg);
    }
    if (size == -1 && PyErr_Occurred()) {
        return NULL;
    }
    if (size < 0) {
        PyErr_SetString(PyExc_ValueError, "negative size");
        return NULL;
    }
    int fd = use(self);
    if (fd < 0) {
        return NULL;
    }
    int rc = ftruncate(fd, (off_t)size);
    int err = errno;
    done(self);
    if (rc != 0) {
        errno = err;
        return fail();
    }
    return PyLong_FromLongLong(size);
}

static PyObject *
file_close(granted_file *self, PyObject *unused)
{
    self->closed = 1;
    ocap_lent_fd_close(self->grant, &self->lent);
    Py_RETURN_NONE;
}

static int
is_closed(granted_file *self)
{
    return self->closed || self->lent.fd < 0 || self->lent.closing;
}

static PyObject *
check_open(granted_file *self)
{
    if (is_closed(self)) {
        PyErr_SetString(PyExc_ValueError, "I/O operation on closed file");
        return NULL;
    }
    Py_RETURN_NONE;
}

static PyObject *
answer(granted_file *self, int yes)
{
    PyObject *ok = check_open(self);
    if (ok == NULL) {
        return NULL;
    }
    Py_DECREF(ok);
    return PyBool_FromLong(yes);
}

static PyObject *
file_readable(granted_file *self, PyObject *unused)
{
    return answer(self, self->readable);
}

static PyObject *
file_writable(granted_file *self, PyObject *unused)
{
    return answer(self, self->writable);
}

static PyObject *
file_seekable(granted_file *self, PyObject *unused)
{
    return answer(self, 1); /* regular files only (directory.c) */
}

static PyObject *
file_isatty(granted_file *self, PyObject *unused)
{
    return answer(self, 0);
}

static PyObject *
file_flush(granted_file *self, PyObject *unused)
{
    return check_open(self); /* nothing is buffered at this layer */
}

static PyObject *
file_fileno(granted_file *self, PyObject *unused)
{
    return unsupported(self, "a granted file has no descriptor to give out");
}

static PyObject *
file_closed(granted_file *self, void *unused)
{
    return PyBool_FromLong(is_closed(self));
}

static PyObject *
file_name(granted_file *self, void *unused)
{
    return Py_NewRef(self->name);
}

static PyObject *
file_mode(granted_file *self, void *unused)
{
    return Py_NewRef(self->mode);
}

static PyObject *
file_repr(granted_file *self)
{
    return PyUnicode_FromFormat("<granted file %R mode='%U'>", self->name,
                                self->mode);
}

static void
file_dealloc(granted_file *self)
{
    PyTypeObject *type = Py_TYPE(self);
    /* No call holds the descriptor: the object is going. */
    ocap_lent_fd_close(self->grant, &self->lent);
    ocap_grant_unref(self->grant);
    Py_XDECREF(self->name);
    Py_XDECREF(self->mode);
    type->tp_free(self);
    Py_DECREF(type);
}

static PyMethodDef file_methods[] = {
    {"readinto", (PyCFunction)file_readinto, METH_O, NULL},
    {"read", (PyCFunction)file_read, METH_VARARGS, NULL},
    {"readall", (PyCFunction)file_readall, METH_NOARGS, NULL},
    {"write", (PyCFunction)file_write, METH_O, NULL},
    {"seek", (PyCFunction)file_seek, METH_VARARGS, NULL},
    {"tell", (PyCFunction)file_tell, METH_NOARGS, NULL},
    {"truncate", (PyCFunction)file_truncate, METH_VARARGS, NULL},
    {"close", (PyCFunction)file_close, METH_NOARGS, NULL},
    {"readable", (PyCFunction)file_readable, METH_NOARGS, NULL},
    {"writable", (PyCFunction)file_writable, METH_NOARGS, NULL},
    {"seekable", (PyCFunction)file_seekable, METH_NOARGS, NULL},
    {"isatty", (PyCFunction)file_isatty, METH_NOARGS, NULL},
    {"flush", (PyCFunction)file_flush, METH_NOARGS, NULL},
    {"fileno", (PyCFunction)file_fileno, METH_NOARGS, NULL},
    OCAP_CAP_NO_COPY_METHODS,
    {NULL, NULL, 0, NULL}};

static PyGetSetDef file_getset[] = {
    {"closed", (getter)file_closed, NULL, NULL, NULL},
    {"name", (getter)file_name, NULL, NULL, NULL},
    {"mode", (getter)file_mode, NULL, NULL, NULL},
    {NULL, NULL, NULL, NULL, NULL}};

static PyType_Slot file_slots[] = {
    {Py_tp_dealloc, file_dealloc},
    {Py_tp_repr, file_repr},
    {Py_tp_methods, file_methods},
    {Py_tp_getset, file_getset},
    {Py_tp_doc,
     "The raw layer of a file opened through a granted "
     "directory."},
    {0, NULL}};

static PyType_Spec file_spec = {
    .name = "objcap.GrantedFile",
    .basicsize = sizeof(granted_file),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_DISALLOW_INSTANTIATION |
        Py_TPFLAGS_IMMUTABLETYPE,
    .slots = file_slots,
};

PyObject *
ocap_granted_file_type_new(void)
{
    return PyType_FromSpec(&file_spec);
}

/* Takes over fd (closed on failure). */
PyObject *
ocap_granted_file_open(ocap_sandbox *sb, ocap_grant *g, int fd, PyObject *name,
                       const char *raw_mode, int readable, int writable)
{
    PyTypeObject *type = (PyTypeObject *)sb->cap_types.file;
    granted_file *self = PyObject_New(granted_file, type);
    if (self == NULL) {
        close(fd);
        return NULL;
    }
    self->sb = sb;
    self->grant = ocap_grant_ref(g);
    self->readable = readable;
    self->writable = writable;
    self->closed = 0;
    self->name = Py_NewRef(name);
    self->mode = PyUnicode_FromString(raw_mode);
    int registered = ocap_lent_fd_register(g, &self->lent, fd);
    if (self->mode == NULL) {
        Py_DECREF(self);
        return NULL;
    }
    if (registered < 0) {
        Py_DECREF(self);
        return ocap_grant_revoked_error(g);
    }
    return (PyObject *)self;
}
