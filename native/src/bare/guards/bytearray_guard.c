/*
 * bytearray methods cannot resize the array they are reading.
 *
 * CPython's bytearray methods take the buffer's pointer and length and then
 * run Python code (an argument's __index__, an iterable's __next__, a
 * __bytes__), which may resize the same bytearray: the method goes on over a
 * stale length or a freed buffer.  count/find/index/rfind/rindex/
 * startswith/endswith and `in` convert their arguments late (gh-142558,
 * gh-142559, gh-142560; fixed upstream by gh-142938 in the way done here);
 * join iterates after taking the separator (gh-112625, fixed in 3.11.8);
 * `fmt % args` formats from a format string that a __bytes__ or __index__
 * may free (found here: it copies freed heap into the result); b[i] = v
 * and del b[i::k] take the pointer before an __index__ of the key or value
 * may grow the array (gh-91153, full fix gh-132379).  In-process a
 * use-after-free is a way out of the sandbox.
 *
 * So every bytearray method that does not resize self runs with self
 * exported (ob_exports raised, as a memoryview does): a resize from Python
 * code it calls raises BufferError.  The export is taken on the bytearray
 * itself, not through PyObject_GetBuffer, which a subclass's __buffer__
 * (3.12+) could point at another object.  __setitem__/__delitem__ convert
 * an index-like key, the slice bounds and an int-like value to exact ints
 * first, so no Python code runs inside the original (as hardening.c does
 * for array).  The methods that resize (append clear extend insert pop
 * remove reverse, resize on 3.14) convert their arguments before touching
 * the buffer (argument clinic), and are left alone.
 *
 * bytearray is a static type shared by every interpreter, so it is changed
 * once, in the main interpreter, when the runtime starts, and the change
 * creates no Python object: the entries of its method table
 * (tp_methods) get a wrapper as their C function, which every method
 * descriptor and bound method reads on each call, in every interpreter
 * (3.12+ builds a sandbox's dict of a static type from the same table and
 * slots); the slot wrappers in the main interpreter's dict (__setitem__,
 * __delitem__, __contains__, __mod__, __rmod__) are pointed at the guarded
 * slots.  The original functions stay in this file's tables, out of the
 * sandbox's reach.  Every method of the table is either guarded or known
 * to resize: a method unknown here makes the runtime fail to start.
 */
#include "base/base.h"
#include "bare/guards/guards.h"

#include <string.h>

/* Every read-only method in 3.11 to 3.14's bytearray_methods. */
/* clang-format off */
#define GUARDED_METHODS(X)                                                   \
    X(0, "__alloc__") X(1, "__reduce__") X(2, "__reduce_ex__")               \
    X(3, "__sizeof__") X(4, "capitalize") X(5, "center") X(6, "copy")        \
    X(7, "count") X(8, "decode") X(9, "endswith") X(10, "expandtabs")        \
    X(11, "find") X(12, "hex") X(13, "index") X(14, "isalnum")               \
    X(15, "isalpha") X(16, "isascii") X(17, "isdigit") X(18, "islower")      \
    X(19, "isspace") X(20, "istitle") X(21, "isupper") X(22, "join")         \
    X(23, "ljust") X(24, "lower") X(25, "lstrip") X(26, "partition")         \
    X(27, "removeprefix") X(28, "removesuffix") X(29, "replace")             \
    X(30, "rfind") X(31, "rindex") X(32, "rjust") X(33, "rpartition")        \
    X(34, "rsplit") X(35, "rstrip") X(36, "split") X(37, "splitlines")       \
    X(38, "startswith") X(39, "strip") X(40, "swapcase") X(41, "title")      \
    X(42, "translate") X(43, "upper") X(44, "zfill")
/* clang-format on */

/* Methods that resize self and convert their arguments first. */
static const char *const resizing_methods[] = {"append",  "clear",  "extend",
                                               "insert",  "pop",    "remove",
                                               "reverse", "resize", NULL};

typedef PyObject *(*fast_fn)(PyObject *, PyObject *const *, Py_ssize_t);
typedef PyObject *(*fastkw_fn)(PyObject *, PyObject *const *, Py_ssize_t,
                               PyObject *);

/* The calling conventions a wrapper can take (METH_NOARGS, METH_O and
   METH_VARARGS share one C signature). */
enum { TWO, THREE, FAST, FASTKW, KINDS };

#define COUNT_ONE(i, name) +1
enum { GUARDED_COUNT = 0 GUARDED_METHODS(COUNT_ONE) };

static PyCFunction originals[GUARDED_COUNT];

static inline void
hold(PyObject *self)
{
    Py_INCREF(self);
    ((PyByteArrayObject *)self)->ob_exports++;
}

static inline void
release(PyObject *self)
{
    ((PyByteArrayObject *)self)->ob_exports--;
    Py_DECREF(self);
}

/* self is a bytearray: the method descriptor checked it. */
#define HELD_CALL(call)                                                       \
    hold(self);                                                               \
    PyObject *r = (call);                                                     \
    release(self);                                                            \
    return r;

#define DEFINE_WRAPPERS(i, name)                                              \
    static PyObject *two_##i(PyObject *self, PyObject *a)                     \
    {                                                                         \
        HELD_CALL(originals[i](self, a))                                      \
    }                                                                         \
    static PyObject *three_##i(PyObject *self, PyObject *a, PyObject *k)      \
    {                                                                         \
        HELD_CALL(((PyCFunctionWithKeywords)(void (*)(void))originals[i])(    \
            self, a, k))                                                      \
    }                                                                         \
    static PyObject *fast_##i(PyObject *self, PyObject *const *a,             \
                              Py_ssize_t n)                                   \
    {                                                                         \
        HELD_CALL(((fast_fn)(void (*)(void))originals[i])(self, a, n))        \
    }                                                                         \
    static PyObject *fastkw_##i(PyObject *self, PyObject *const *a,           \
                                Py_ssize_t n, PyObject *kw)                   \
    {                                                                         \
        HELD_CALL(((fastkw_fn)(void (*)(void))originals[i])(self, a, n, kw))  \
    }
GUARDED_METHODS(DEFINE_WRAPPERS)

typedef struct {
    const char *name;
    PyCFunction wrappers[KINDS];
} guarded_method;

#define TABLE_ENTRY(i, n)                                                     \
    [i] = {.name = n,                                                         \
           .wrappers = {[TWO] = two_##i,                                      \
                        [THREE] = (PyCFunction)(void (*)(void))three_##i,     \
                        [FAST] = (PyCFunction)(void (*)(void))fast_##i,       \
                        [FASTKW] = (PyCFunction)(void (*)(void))fastkw_##i}},
static const guarded_method guarded_methods[] = {GUARDED_METHODS(TABLE_ENTRY)};

static int
kind_of(int flags)
{
    switch (flags & ~METH_COEXIST) {
    case METH_NOARGS:
    case METH_O:
    case METH_VARARGS:
        return TWO;
    case METH_VARARGS | METH_KEYWORDS:
        return THREE;
    case METH_FASTCALL:
        return FAST;
    case METH_FASTCALL | METH_KEYWORDS:
        return FASTKW;
    default:
        return -1;
    }
}

static int
is_resizing(const char *name)
{
    for (const char *const *m = resizing_methods; *m; m++) {
        if (strcmp(*m, name) == 0) {
            return 1;
        }
    }
    return 0;
}

static int
guard_method(PyMethodDef *m)
{
    if (m->ml_flags & (METH_CLASS | METH_STATIC)) {
        return 0; /* fromhex, maketrans: no self */
    }
    for (int i = 0; i < GUARDED_COUNT; i++) {
        if (strcmp(guarded_methods[i].name, m->ml_name) != 0) {
            continue;
        }
        int kind = kind_of(m->ml_flags);
        if (kind < 0) {
            PyErr_Format(PyExc_ImportError,
                         "bytearray.%s has an unexpected "
                         "calling convention",
                         m->ml_name);
            return -1;
        }
        if (m->ml_meth == guarded_methods[i].wrappers[kind]) {
            return 0; /* already guarded */
        }
        originals[i] = m->ml_meth;
        m->ml_meth = guarded_methods[i].wrappers[kind];
        return 0;
    }
    if (is_resizing(m->ml_name)) {
        return 0;
    }
    PyErr_Format(PyExc_ImportError,
                 "bytearray.%s is not known to objcap's "
                 "bytearray guard",
                 m->ml_name);
    return -1;
}

/* ---- slots ---- */

static objobjproc orig_contains;
static objobjargproc orig_ass_subscript;
static ssizeobjargproc orig_ass_item;
static binaryfunc orig_remainder;

static int
guarded_contains(PyObject *self, PyObject *value)
{
    hold(self);
    int r = orig_contains(self, value);
    release(self);
    return r;
}

/* bytearray % args: the format is read from self while args convert. */
static PyObject *
guarded_remainder(PyObject *v, PyObject *w)
{
    if (!PyByteArray_Check(v)) {
        return orig_remainder(v, w); /* NotImplemented */
    }
    hold(v);
    PyObject *r = orig_remainder(v, w);
    release(v);
    return r;
}

static int
plain_bound(PyObject *x)
{
    return x == Py_None || PyLong_CheckExact(x);
}

/* The key with no Python code left to run: an exact int for an index-like
   key, a slice of exact ints (or None) for a slice. */
static PyObject *
plain_key(PyObject *key)
{
    if (PyLong_CheckExact(key)) {
        return Py_NewRef(key);
    }
    if (PyIndex_Check(key)) {
        return PyNumber_Index(key);
    }
    if (!PySlice_Check(key)) {
        return Py_NewRef(key); /* refused by bytearray itself */
    }
    PySliceObject *s = (PySliceObject *)key;
    if (plain_bound(s->start) && plain_bound(s->stop) &&
        plain_bound(s->step)) {
        return Py_NewRef(key);
    }
    Py_ssize_t start, stop, step;
    if (PySlice_Unpack(key, &start, &stop, &step) < 0) {
        return NULL;
    }
    /* Unpacking these again gives the same start, stop and step. */
    PyObject *a = PyLong_FromSsize_t(start);
    PyObject *b = a ? PyLong_FromSsize_t(stop) : NULL;
    PyObject *c = b ? PyLong_FromSsize_t(step) : NULL;
    PyObject *slice = c ? PySlice_New(a, b, c) : NULL;
    Py_XDECREF(a);
    Py_XDECREF(b);
    Py_XDECREF(c);
    return slice;
}

/* An int for a byte value; bytearray takes any int-like through __index__
   (anything else it refuses the same way PyNumber_Index does). */
static PyObject *
plain_byte(PyObject *value)
{
    if (value == NULL || PyLong_Check(value)) {
        return Py_XNewRef(value);
    }
    return PyNumber_Index(value);
}

static int
guarded_ass_subscript(PyObject *self, PyObject *key, PyObject *value)
{
    PyObject *k = plain_key(key);
    if (k == NULL) {
        return -1;
    }
    PyObject *v = value;
    if (value != NULL && PyLong_CheckExact(k)) {
        v = plain_byte(value);
        if (v == NULL) {
            Py_DECREF(k);
            return -1;
        }
    }
    else {
        Py_XINCREF(v);
    }
    /* An iterable value runs Python code inside; bytearray copies it into a
       new bytearray first and then takes its pointers again. */
    int r = orig_ass_subscript(self, k, v);
    Py_DECREF(k);
    Py_XDECREF(v);
    return r;
}

static int
guarded_ass_item(PyObject *self, Py_ssize_t i, PyObject *value)
{
    PyObject *v = plain_byte(value);
    if (v == NULL && value != NULL) {
        return -1;
    }
    int r = orig_ass_item(self, i, v);
    Py_XDECREF(v);
    return r;
}

#define GUARD_SLOT(slot, orig, guarded)                                       \
    do {                                                                      \
        if ((slot) != (guarded)) {                                            \
            (orig) = (slot);                                                  \
            (slot) = (guarded);                                               \
        }                                                                     \
    } while (0)

int
ocap_bytearray_guard_start(void)
{
    if (!ocap_cpython_has_bug(OCAP_BUG_BYTEARRAY_RESIZE)) {
        return 0;
    }
    PyTypeObject *type = &PyByteArray_Type;
    if (PyInterpreterState_Get() != PyInterpreterState_Main()) {
        PyErr_SetString(PyExc_RuntimeError,
                        "bytearray is guarded in the main interpreter only");
        return -1;
    }
    for (PyMethodDef *m = type->tp_methods; m && m->ml_name; m++) {
        if (guard_method(m) < 0) {
            return -1;
        }
    }
    if (type->tp_as_sequence == NULL || type->tp_as_mapping == NULL ||
        type->tp_as_number == NULL ||
        type->tp_as_sequence->sq_contains == NULL ||
        type->tp_as_mapping->mp_ass_subscript == NULL ||
        type->tp_as_number->nb_remainder == NULL) {
        PyErr_SetString(PyExc_ImportError, "bytearray lacks an expected slot");
        return -1;
    }
    GUARD_SLOT(type->tp_as_sequence->sq_contains, orig_contains,
               guarded_contains);
    GUARD_SLOT(type->tp_as_mapping->mp_ass_subscript, orig_ass_subscript,
               guarded_ass_subscript);
    GUARD_SLOT(type->tp_as_number->nb_remainder, orig_remainder,
               guarded_remainder);
    if (type->tp_as_sequence->sq_ass_item != NULL) {
        GUARD_SLOT(type->tp_as_sequence->sq_ass_item, orig_ass_item,
                   guarded_ass_item);
    }

    /* __contains__; __setitem__ and __delitem__; __mod__ and __rmod__. */
    if (ocap_rewrap_slot(type, (void *)orig_contains,
                         (void *)guarded_contains) < 1 ||
        ocap_rewrap_slot(type, (void *)orig_ass_subscript,
                         (void *)guarded_ass_subscript) < 2 ||
        ocap_rewrap_slot(type, (void *)orig_remainder,
                         (void *)guarded_remainder) < 2) {
        PyErr_SetString(PyExc_ImportError,
                        "bytearray's slot wrappers are not as expected");
        return -1;
    }
    if (orig_ass_item != NULL) {
        ocap_rewrap_slot(type, (void *)orig_ass_item,
                         (void *)guarded_ass_item);
    }
    PyType_Modified(type);
    return 0;
}
