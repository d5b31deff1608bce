/*
 * The directory capability: a C object through which sandboxed code reads
 * (and, granted read-write, changes) one host directory and nothing else.
 *
 * The paper's Figure 1 delegate compared path strings, so a sibling
 * "/data2" passed startswith("/data") and a symlink walked out.  Here every
 * path is resolved by the kernel beneath the directory's descriptor with
 * openat2(RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS): "..", absolute paths
 * and symlinks that lead outside fail (EXDEV, reported as PermissionError),
 * symlinks that stay inside work.  Operations on a last component (mkdir,
 * remove, rename) resolve its parent that way and act on the name with the
 * *at() calls, which do not follow it.
 */
#define _GNU_SOURCE
#include "bare/bare.h"
#include "capabilities/capabilities.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

typedef struct {
    PyObject_HEAD ocap_sandbox *sb;
    ocap_grant *grant;
} directory_object;

static int
writable(directory_object *self)
{
    return self->grant->kind == OCAP_GRANT_DIRECTORY_RW;
}

/* ---- resolution ---- */

static int
open_beneath(int dirfd, const char *path, int flags, mode_t mode)
{
    /* openat2 refuses O_PATH with flags other than these (EINVAL). */
    int extra = (flags & O_PATH) ? O_CLOEXEC : O_CLOEXEC | O_NOCTTY;
    struct open_how how = {
        .flags = (uint64_t)(flags | extra),
        .mode = (flags & O_CREAT) ? mode : 0,
        .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
    };
    int fd;
    do {
        fd = (int)syscall(SYS_openat2, dirfd, path, &how, sizeof how);
    } while (fd < 0 && errno == EINTR);
    return fd;
}

/* Raises for errno `err` on the script's own (relative) path: the host
   path never appears in a message. */
static PyObject *
raise_errno(int err, PyObject *path)
{
    if (err == EXDEV) {
        PyObject *exc = PyObject_CallFunction(
            PyExc_PermissionError, "isO", EACCES,
            "the path leads outside the granted directory", path);
        if (exc != NULL) {
            PyErr_SetObject(PyExc_PermissionError, exc);
            Py_DECREF(exc);
        }
        return NULL;
    }
    errno = err;
    return PyErr_SetFromErrnoWithFilenameObject(PyExc_OSError, path);
}

/* The path argument as the file system's bytes: a str with no NUL,
   encoded as os.fsencode would (names listdir returned that are not UTF-8
   come back as they were).  A new reference, or NULL. */
static PyObject *
path_bytes(PyObject *path)
{
    if (!PyUnicode_Check(path)) {
        PyErr_Format(PyExc_TypeError, "a path must be str, not %.100s",
                     Py_TYPE(path)->tp_name);
        return NULL;
    }
    PyObject *bytes = PyUnicode_EncodeFSDefault(path);
    if (bytes != NULL &&
        strlen(PyBytes_AS_STRING(bytes)) != (size_t)PyBytes_GET_SIZE(bytes)) {
        Py_DECREF(bytes);
        PyErr_SetString(PyExc_ValueError, "embedded null character in path");
        return NULL;
    }
    return bytes;
}

/* The directory's descriptor for one operation, or -1 with PermissionError
   once the grant is revoked. */
static int
enter(directory_object *self)
{
    int fd = ocap_lent_fd_use(self->grant, &self->grant->dir);
    if (fd < 0) {
        ocap_grant_revoked_error(self->grant);
    }
    return fd;
}

static void
leave(directory_object *self)
{
    ocap_lent_fd_done(self->grant, &self->grant->dir);
}

static int
require_writable(directory_object *self)
{
    if (writable(self)) {
        return 0;
    }
    PyErr_Format(PyExc_PermissionError,
                 "the directory '%s' is granted read-only", self->grant->name);
    return -1;
}

/* Opens `path` beneath the grant; -1 with an exception set. */
static int
open_path(directory_object *self, PyObject *path, int flags, mode_t mode)
{
    PyObject *bytes = path_bytes(path);
    if (bytes == NULL) {
        return -1;
    }
    int dirfd = enter(self);
    if (dirfd < 0) {
        Py_DECREF(bytes);
        return -1;
    }
    const char *text = PyBytes_AS_STRING(bytes);
    int fd, err;
    Py_BEGIN_ALLOW_THREADS fd = open_beneath(dirfd, text, flags, mode);
    err = errno;
    Py_END_ALLOW_THREADS leave(self);
    Py_DECREF(bytes);
    if (fd < 0) {
        raise_errno(err, path);
    }
    return fd;
}

/* For operations on a last component: the parent's descriptor (opened
   beneath the grant) and the component, which must be a plain name.  The
   grant stays in use (a revocation waits) until the caller leaves. */
static int
open_parent(directory_object *self, PyObject *path, char **name)
{
    PyObject *bytes = path_bytes(path);
    if (bytes == NULL) {
        return -1;
    }
    char *copy = strdup(PyBytes_AS_STRING(bytes));
    Py_DECREF(bytes);
    if (copy == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    size_t n = strlen(copy);
    while (n > 1 && copy[n - 1] == '/') {
        copy[--n] = '\0';
    }
    char *slash = strrchr(copy, '/');
    const char *parent = ".";
    char *base = copy;
    if (slash != NULL) {
        *slash = '\0';
        parent = slash == copy ? "/" : copy; /* "/x": absolute, refused */
        base = slash + 1;
    }
    if (strcmp(base, "..") == 0 || strcmp(base, ".") == 0 || *base == '\0') {
        int err = strcmp(base, "..") == 0 ? EXDEV : EINVAL;
        free(copy);
        raise_errno(err, path);
        return -1;
    }
    int dirfd = enter(self);
    if (dirfd < 0) {
        free(copy);
        return -1;
    }
    int fd, err;
    Py_BEGIN_ALLOW_THREADS fd = open_beneath(dirfd, parent,
                                             O_PATH | O_DIRECTORY, 0);
    err = errno;
    Py_END_ALLOW_THREADS if (fd < 0)
    {
        leave(self);
        free(copy);
        raise_errno(err, path);
        return -1;
    }
    /* The name moves to the front of the buffer, which the caller frees. */
    memmove(copy, base, strlen(base) + 1);
    *name = copy;
    return fd;
}

/* ---- open ---- */

typedef struct {
    int flags;
    int readable, writable, text;
    const char *raw_mode; /* as FileIO names it */
} open_mode;

static int
parse_mode(const char *mode, open_mode *m)
{
    int r = 0, w = 0, a = 0, x = 0, plus = 0, t = 0, b = 0;
    for (const char *c = mode; *c; c++) {
        int *seen = *c == 'r' ? &r
            : *c == 'w'       ? &w
            : *c == 'a'       ? &a
            : *c == 'x'       ? &x
            : *c == '+'       ? &plus
            : *c == 't'       ? &t
            : *c == 'b'       ? &b
                              : NULL;
        if (seen == NULL || *seen) {
            goto invalid;
        }
        *seen = 1;
    }
    if (r + w + a + x != 1 || (t && b)) {
        goto invalid;
    }
    m->readable = r || plus;
    m->writable = w || a || x || plus;
    m->text = !b;
    m->flags = (m->readable && m->writable) ? O_RDWR
        : m->writable                       ? O_WRONLY
                                            : O_RDONLY;
    if (w) {
        m->flags |= O_CREAT | O_TRUNC;
    }
    if (a) {
        m->flags |= O_CREAT | O_APPEND;
    }
    if (x) {
        m->flags |= O_CREAT | O_EXCL;
    }
    m->raw_mode = x ? (plus ? "xb+" : "xb")
        : a         ? (plus ? "ab+" : "ab")
        : r         ? (plus ? "rb+" : "rb")
                    : (plus ? "wb+" : "wb");
    return 0;
invalid:
    PyErr_Format(PyExc_ValueError, "invalid mode: '%s'", mode);
    return -1;
}

/* Only regular files: a FIFO would block the call forever and a device is
   not a file.  Opened non-blocking for that reason, then made blocking. */
static int
check_regular(int fd, PyObject *path)
{
    struct stat st;
    if (fstat(fd, &st) != 0) {
        raise_errno(errno, path);
        return -1;
    }
    if (S_ISDIR(st.st_mode)) {
        raise_errno(EISDIR, path);
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        PyErr_SetString(PyExc_PermissionError,
                        "only regular files can be opened");
        return -1;
    }
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) < 0) {
        raise_errno(errno, path);
        return -1;
    }
    return 0;
}


/* Closes a file that could not be finished, keeping the error that says
   why. */
static void
close_keeping_error(PyObject *file)
{
    PyObject *exc = PyErr_GetRaisedException_compat();
    PyObject *closed = PyObject_CallMethod(file, "close", NULL);
    Py_XDECREF(closed);
    PyErr_Clear();
    PyErr_SetRaisedException_compat(exc);
}

/* A str argument as an exact str (a subclass's methods never run in the
   code below); anything else as it is, for the type's own error. */
static PyObject *
exact_text(PyObject *arg)
{
    return PyUnicode_Check(arg) ? PyUnicode_FromObject(arg) : Py_NewRef(arg);
}

/* The buffered (and text) layers over a raw file, as io.open builds them,
   through the gated _io types' own constructors (bare.c): the codec the
   encoding names is looked up and called on the script's authority. */
static PyObject *
wrap(ocap_sandbox *sb, PyObject *raw, const open_mode *m, const char *mode,
     PyObject *encoding, PyObject *errors, PyObject *newline)
{
    PyObject *io = sb->cap_types.io;
    if (io == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "the sandbox is closing");
        return NULL;
    }
    const char *buffered = (m->readable && m->writable) ? "BufferedRandom"
        : m->readable                                   ? "BufferedReader"
                                                        : "BufferedWriter";
    PyObject *type = PyObject_GetAttrString(io, buffered);
    PyObject *args = type ? PyTuple_Pack(1, raw) : NULL;
    PyObject *buffer = args ? ocap_bare_new_file(type, args) : NULL;
    Py_XDECREF(args);
    Py_XDECREF(type);
    if (buffer == NULL || !m->text) {
        return buffer;
    }
    /* Not the locale's encoding: a script sees the same on every host. */
    PyObject *text_args[3] = {encoding == Py_None
                                  ? PyUnicode_FromString("utf-8")
                                  : exact_text(encoding),
                              exact_text(errors), exact_text(newline)};
    type = PyObject_GetAttrString(io, "TextIOWrapper");
    args = type && text_args[0] && text_args[1] && text_args[2]
        ? PyTuple_Pack(4, buffer, text_args[0], text_args[1], text_args[2])
        : NULL;
    PyObject *text = args ? ocap_bare_new_file(type, args) : NULL;
    Py_XDECREF(args);
    Py_XDECREF(type);
    for (int i = 0; i < 3; i++) {
        Py_XDECREF(text_args[i]);
    }
    if (text == NULL) {
        close_keeping_error(buffer);
        Py_DECREF(buffer);
        return NULL;
    }
    Py_DECREF(buffer);
    PyObject *mode_text = PyUnicode_FromString(mode);
    if (mode_text == NULL ||
        PyObject_SetAttrString(text, "mode", mode_text) < 0) {
        PyErr_Clear();
    }
    Py_XDECREF(mode_text);
    return text;
}

PyDoc_STRVAR(
    open_doc,
    "open(path, mode='r', encoding=None, newline=None, errors=None)\n--\n\n"
    "Opens a regular file beneath the granted directory and returns a file\n"
    "object, as the built-in open would.  Text files default to UTF-8.");

static PyObject *
directory_open(directory_object *self, PyObject *args, PyObject *kwargs)
{
    static char *kwlist[] = {"path",    "mode",   "encoding",
                             "newline", "errors", NULL};
    PyObject *path, *encoding = Py_None, *newline = Py_None, *errors = Py_None;
    const char *mode = "r";
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O|sOOO:open", kwlist,
                                     &path, &mode, &encoding, &newline,
                                     &errors)) {
        return NULL;
    }
    open_mode m;
    if (parse_mode(mode, &m) < 0) {
        return NULL;
    }
    if (!m.text &&
        (encoding != Py_None || newline != Py_None || errors != Py_None)) {
        PyErr_SetString(PyExc_ValueError,
                        "binary mode takes no encoding, "
                        "errors or newline argument");
        return NULL;
    }
    if (m.writable && require_writable(self) < 0) {
        return NULL;
    }
    int fd = open_path(self, path, m.flags | O_NONBLOCK, 0666);
    if (fd < 0) {
        return NULL;
    }
    if (check_regular(fd, path) < 0) {
        close(fd);
        return NULL;
    }
    PyObject *raw = ocap_granted_file_open(self->sb, self->grant, fd, path,
                                           m.raw_mode, m.readable, m.writable);
    if (raw == NULL) {
        return NULL;
    }
    PyObject *file = wrap(self->sb, raw, &m, mode, encoding, errors, newline);
    if (file == NULL) {
        close_keeping_error(raw);
    }
    Py_DECREF(raw);
    return file;
}

/* ---- reading the tree ---- */

static int
name_order(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

PyDoc_STRVAR(listdir_doc,
             "listdir(path='.')\n--\n\n"
             "The names in a directory beneath the grant, sorted.");

static PyObject *
directory_listdir(directory_object *self, PyObject *args, PyObject *kwargs)
{
    static char *kwlist[] = {"path", NULL};
    PyObject *path = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "|O:listdir", kwlist,
                                     &path)) {
        return NULL;
    }
    PyObject *dot = NULL;
    if (path == NULL) {
        path = dot = PyUnicode_FromString(".");
        if (path == NULL) {
            return NULL;
        }
    }
    if (enter(self) < 0) { /* held while the entries are read */
        Py_XDECREF(dot);
        return NULL;
    }
    int fd = open_path(self, path, O_RDONLY | O_DIRECTORY, 0);
    Py_XDECREF(dot);
    if (fd < 0) {
        leave(self);
        return NULL;
    }
    DIR *dir = fdopendir(fd);
    if (dir == NULL) {
        leave(self);
        close(fd);
        return PyErr_NoMemory();
    }
    size_t count = 0, capacity = 0;
    char **names = NULL;
    int failed = 0;
    struct dirent *entry;
    Py_BEGIN_ALLOW_THREADS while (!failed && (entry = readdir(dir)) != NULL)
    {
        if (strcmp(entry->d_name, ".") == 0 ||
            strcmp(entry->d_name, "..") == 0) {
            continue;
        }
        if (count == capacity) {
            capacity = capacity ? capacity * 2 : 32;
            char **grown = realloc(names, capacity * sizeof *names);
            failed = grown == NULL;
            names = grown ? grown : names;
        }
        if (!failed && (names[count] = strdup(entry->d_name)) != NULL) {
            count++;
        }
        else {
            failed = 1;
        }
    }
    closedir(dir);
    if (!failed) {
        qsort(names, count, sizeof *names, name_order);
    }
    Py_END_ALLOW_THREADS leave(self);
    PyObject *list = failed ? PyErr_NoMemory() : PyList_New((Py_ssize_t)count);
    for (size_t i = 0; i < count; i++) {
        if (list != NULL) {
            PyObject *name = PyUnicode_DecodeFSDefault(names[i]);
            if (name == NULL) {
                Py_CLEAR(list);
            }
            else {
                PyList_SET_ITEM(list, (Py_ssize_t)i, name);
            }
        }
        free(names[i]);
    }
    free(names);
    return list;
}

PyDoc_STRVAR(
    exists_doc,
    "exists(path)\n--\n\n"
    "Whether the path exists beneath the grant (symlinks followed, inside).");

static PyObject *
directory_exists(directory_object *self, PyObject *path)
{
    PyObject *bytes = path_bytes(path);
    if (bytes == NULL) {
        return NULL;
    }
    int dirfd = enter(self);
    if (dirfd < 0) {
        Py_DECREF(bytes);
        return NULL;
    }
    const char *text = PyBytes_AS_STRING(bytes);
    int fd, err;
    Py_BEGIN_ALLOW_THREADS fd = open_beneath(dirfd, text, O_PATH, 0);
    err = errno;
    Py_END_ALLOW_THREADS leave(self);
    Py_DECREF(bytes);
    if (fd >= 0) {
        close(fd);
        Py_RETURN_TRUE;
    }
    if (err == ENOENT || err == ENOTDIR) {
        Py_RETURN_FALSE;
    }
    /* Outside the grant: not "no", which would answer about the host. */
    return raise_errno(err, path);
}

PyDoc_STRVAR(stat_doc,
             "stat(path)\n--\n\n"
             "An object with size (bytes), mtime (seconds since the epoch) "
             "and is_dir.");

static PyObject *
directory_stat(directory_object *self, PyObject *path)
{
    int fd = open_path(self, path, O_PATH, 0);
    if (fd < 0) {
        return NULL;
    }
    struct stat st;
    int rc = fstat(fd, &st);
    int err = errno;
    close(fd);
    if (rc != 0) {
        return raise_errno(err, path);
    }
    PyObject *kwargs =
        Py_BuildValue("{s:L,s:d,s:O}", "size", (long long)st.st_size, "mtime",
                      (double)st.st_mtim.tv_sec + st.st_mtim.tv_nsec * 1e-9,
                      "is_dir", S_ISDIR(st.st_mode) ? Py_True : Py_False);
    if (kwargs == NULL) {
        return NULL;
    }
    PyObject *namespace = self->sb->importer.namespace_type;
    PyObject *empty = namespace ? PyTuple_New(0) : NULL;
    PyObject *result = empty ? PyObject_Call(namespace, empty, kwargs) : NULL;
    if (namespace == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "the sandbox is closing");
    }
    Py_XDECREF(empty);
    Py_DECREF(kwargs);
    return result;
}

/* ---- changing the tree (read-write grants) ---- */

/* mkdir and remove: one system call on the last component of a path. */
typedef enum { MAKE_DIRECTORY, REMOVE_ENTRY } entry_change;

static PyObject *
change_entry(directory_object *self, PyObject *path, entry_change what)
{
    char *name;
    if (require_writable(self) < 0) {
        return NULL;
    }
    int parent = open_parent(self, path, &name);
    if (parent < 0) {
        return NULL;
    }
    int rc, err;
    Py_BEGIN_ALLOW_THREADS if (what == MAKE_DIRECTORY)
    {
        rc = mkdirat(parent, name, 0777);
    }
    else
    {
        rc = unlinkat(parent, name, 0);
        if (rc != 0 && errno == EISDIR) {
            rc = unlinkat(parent, name, AT_REMOVEDIR);
        }
    }
    err = errno;
    Py_END_ALLOW_THREADS leave(self);
    close(parent);
    free(name);
    if (rc != 0) {
        return raise_errno(err, path);
    }
    Py_RETURN_NONE;
}

PyDoc_STRVAR(mkdir_doc, "mkdir(path)\n--\n\nMakes a directory.");

static PyObject *
directory_mkdir(directory_object *self, PyObject *path)
{
    return change_entry(self, path, MAKE_DIRECTORY);
}

PyDoc_STRVAR(
    remove_doc,
    "remove(path)\n--\n\n"
    "Removes a file, a symlink (not its target) or an empty directory.");

static PyObject *
directory_remove(directory_object *self, PyObject *path)
{
    return change_entry(self, path, REMOVE_ENTRY);
}

PyDoc_STRVAR(
    rename_doc,
    "rename(src, dst)\n--\n\n"
    "Renames src to dst, both beneath the grant; dst is replaced if it is a "
    "file.");

static PyObject *
directory_rename(directory_object *self, PyObject *args)
{
    PyObject *src, *dst;
    if (!PyArg_ParseTuple(args, "OO:rename", &src, &dst) ||
        require_writable(self) < 0) {
        return NULL;
    }
    char *src_name, *dst_name;
    int src_parent = open_parent(self, src, &src_name);
    if (src_parent < 0) {
        return NULL;
    }
    int dst_parent = open_parent(self, dst, &dst_name);
    if (dst_parent < 0) {
        leave(self);
        close(src_parent);
        free(src_name);
        return NULL;
    }
    int rc, err;
    Py_BEGIN_ALLOW_THREADS rc = renameat(src_parent, src_name, dst_parent,
                                         dst_name);
    err = errno;
    Py_END_ALLOW_THREADS leave(self);
    leave(self);
    close(src_parent);
    close(dst_parent);
    free(src_name);
    free(dst_name);
    if (rc != 0) {
        return raise_errno(err, src);
    }
    Py_RETURN_NONE;
}

/* ---- the type ---- */

static PyObject *
directory_repr(directory_object *self)
{
    return PyUnicode_FromFormat("<directory '%s' %s>", self->grant->name,
                                writable(self) ? "read-write" : "read-only");
}

static void
directory_dealloc(directory_object *self)
{
    PyTypeObject *type = Py_TYPE(self);
    ocap_grant_unref(self->grant);
    type->tp_free(self);
    Py_DECREF(type);
}

static PyMethodDef directory_methods[] = {
    {"open", (PyCFunction)(void (*)(void))directory_open,
     METH_VARARGS | METH_KEYWORDS, open_doc},
    {"listdir", (PyCFunction)(void (*)(void))directory_listdir,
     METH_VARARGS | METH_KEYWORDS, listdir_doc},
    {"exists", (PyCFunction)directory_exists, METH_O, exists_doc},
    {"stat", (PyCFunction)directory_stat, METH_O, stat_doc},
    {"mkdir", (PyCFunction)directory_mkdir, METH_O, mkdir_doc},
    {"remove", (PyCFunction)directory_remove, METH_O, remove_doc},
    {"rename", (PyCFunction)directory_rename, METH_VARARGS, rename_doc},
    OCAP_CAP_NO_COPY_METHODS,
    {NULL, NULL, 0, NULL}};

static PyType_Slot directory_slots[] = {
    {Py_tp_dealloc, directory_dealloc},
    {Py_tp_repr, directory_repr},
    {Py_tp_methods, directory_methods},
    {Py_tp_doc, "A directory granted by the host."},
    {0, NULL}};

static PyType_Spec directory_spec = {
    .name = "objcap.Directory",
    .basicsize = sizeof(directory_object),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_DISALLOW_INSTANTIATION |
        Py_TPFLAGS_IMMUTABLETYPE,
    .slots = directory_slots,
};

PyObject *
ocap_directory_type_new(void)
{
    return PyType_FromSpec(&directory_spec);
}

PyObject *
ocap_directory_new(ocap_sandbox *sb, ocap_grant *g)
{
    PyTypeObject *type = (PyTypeObject *)sb->cap_types.directory;
    directory_object *self = PyObject_New(directory_object, type);
    if (self == NULL) {
        return NULL;
    }
    self->sb = sb;
    self->grant = ocap_grant_ref(g);
    return (PyObject *)self;
}
