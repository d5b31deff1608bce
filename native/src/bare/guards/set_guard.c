/*
 * A set is not added to while an add to it runs.
 *
 * set_add_entry remembers a free slot while it calls a colliding key's
 * __eq__; if that __eq__ adds to the same set, the inner add fills the
 * slot and counts it, and the outer add fills it again and counts it again
 * (gh-139071, gh-141805; fixed in set_add_entry itself in 3.13.12 and
 * 3.14.3, where this guard, _abc's part included, is left off:
 * cpython_bugs.c).  The
 * set then counts more entries than its table holds, and freeing it
 * decrefs the words past the table: Debian's python3.11 segfaults, and
 * in-process the JVM died.  So the operations that add to an existing set
 * (add, update, symmetric_difference_update, __init__, |=, ^=) mark the
 * set busy (busy_objects.c); another of them on
 * the same set meanwhile raises RuntimeError.  Lookups, removals and new
 * sets (|, &, set comprehensions) cannot fill a remembered slot twice and
 * are left alone.
 *
 * C code that adds with PySet_Add bypasses those wrappers.  _abc (behind
 * every ABCMeta) keeps its caches and registry as sets of weakrefs whose
 * __eq__ is a metaclass's: an issubclass() from there adds to the cache
 * being added to (the review's corpus entry, abc_negative_cache_set_add_
 * reentry).  So _abc_subclasscheck (which adds to the caches) and
 * _abc_register (the registry) are wrapped where abc binds them, marking
 * the ABC busy for each; the pair may nest (register checks issubclass).
 *
 * set is a static type shared by every interpreter: changed once, in the
 * main interpreter, when the runtime starts, creating no Python object
 * (the method table's C functions and the slots are swapped, and the slot
 * wrappers in the dict pointed at the guarded slots, as bytearray_guard.c
 * does).
 */
#include "base/base.h"
#include "bare/guards/guards.h"

#include <string.h>

static int
enter(PyObject *set)
{
    int entered = ocap_busy_enter(set);
    if (entered == 0) {
        PyErr_SetString(PyExc_RuntimeError,
                        "set changed by code run while adding to it");
    }
    return entered > 0 ? 0 : -1;
}

/* ---- methods: add and symmetric_difference_update (METH_O), update
   (METH_VARARGS on 3.11, maybe METH_FASTCALL later) ---- */

#define GUARDED_METHODS(X)                                                    \
    X(0, "add") X(1, "update") X(2, "symmetric_difference_update")

enum { GUARDED_COUNT = 3 };

static PyCFunction originals[GUARDED_COUNT];

typedef PyObject *(*fast_fn)(PyObject *, PyObject *const *, Py_ssize_t);

#define DEFINE_WRAPPERS(i, name)                                              \
    static PyObject *guarded_o_##i(PyObject *self, PyObject *arg)             \
    {                                                                         \
        if (enter(self) < 0) {                                                \
            return NULL;                                                      \
        }                                                                     \
        PyObject *r = originals[i](self, arg);                                \
        ocap_busy_leave(self);                                                \
        return r;                                                             \
    }                                                                         \
    static PyObject *guarded_fast_##i(PyObject *self, PyObject *const *args,  \
                                      Py_ssize_t n)                           \
    {                                                                         \
        if (enter(self) < 0) {                                                \
            return NULL;                                                      \
        }                                                                     \
        PyObject *r = ((fast_fn)(void (*)(void))originals[i])(self, args, n); \
        ocap_busy_leave(self);                                                \
        return r;                                                             \
    }
GUARDED_METHODS(DEFINE_WRAPPERS)

#define NAME_ENTRY(i, name) name,
static const char *const names[GUARDED_COUNT] = {GUARDED_METHODS(NAME_ENTRY)};
#define O_ENTRY(i, name) guarded_o_##i,
static const PyCFunction o_wrappers[GUARDED_COUNT] = {
    GUARDED_METHODS(O_ENTRY)};
#define FAST_ENTRY(i, name) (PyCFunction)(void (*)(void)) guarded_fast_##i,
static const PyCFunction fast_wrappers[GUARDED_COUNT] = {
    GUARDED_METHODS(FAST_ENTRY)};

/* METH_O and METH_VARARGS share a signature: (self, arg or args). */
static int
guard_method(PyMethodDef *m, int i)
{
    int kind = m->ml_flags &
        (METH_O | METH_VARARGS | METH_FASTCALL | METH_KEYWORDS | METH_NOARGS);
    PyCFunction wrapper = kind == METH_O || kind == METH_VARARGS
        ? o_wrappers[i]
        : kind == METH_FASTCALL ? fast_wrappers[i]
                                : NULL;
    if (wrapper == NULL) {
        PyErr_Format(PyExc_RuntimeError,
                     "set.%s has an unexpected calling "
                     "convention",
                     m->ml_name);
        return -1;
    }
    if (m->ml_meth != wrapper) {
        originals[i] = m->ml_meth;
        m->ml_meth = wrapper;
    }
    return 0;
}

/* ---- slots: __init__, |= and ^= ---- */

static initproc orig_init;
static binaryfunc orig_ior, orig_ixor;

static int
guarded_init(PyObject *self, PyObject *args, PyObject *kwargs)
{
    if (enter(self) < 0) {
        return -1;
    }
    int r = orig_init(self, args, kwargs);
    ocap_busy_leave(self);
    return r;
}

static PyObject *
guarded_inplace(binaryfunc original, PyObject *self, PyObject *other)
{
    if (!PyAnySet_Check(self)) {
        return original(self, other);
    }
    if (enter(self) < 0) {
        return NULL;
    }
    PyObject *r = original(self, other);
    ocap_busy_leave(self);
    return r;
}

static PyObject *
guarded_ior(PyObject *self, PyObject *other)
{
    return guarded_inplace(orig_ior, self, other);
}

static PyObject *
guarded_ixor(PyObject *self, PyObject *other)
{
    return guarded_inplace(orig_ixor, self, other);
}

int
ocap_set_guard_start(void)
{
    if (!ocap_cpython_has_bug(OCAP_BUG_SET_ADD_REENTRY)) {
        return 0;
    }
    PyTypeObject *type = &PySet_Type;
    int found = 0;
    for (PyMethodDef *m = type->tp_methods; m && m->ml_name; m++) {
        for (int i = 0; i < GUARDED_COUNT; i++) {
            if (strcmp(m->ml_name, names[i]) == 0) {
                if (guard_method(m, i) < 0) {
                    return -1;
                }
                found++;
            }
        }
    }
    PyNumberMethods *nb = type->tp_as_number;
    if (found != GUARDED_COUNT || nb == NULL || nb->nb_inplace_or == NULL ||
        nb->nb_inplace_xor == NULL || type->tp_init == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "set is not as expected");
        return -1;
    }
    if (type->tp_init != guarded_init) {
        orig_init = type->tp_init;
        orig_ior = nb->nb_inplace_or;
        orig_ixor = nb->nb_inplace_xor;
        type->tp_init = guarded_init;
        nb->nb_inplace_or = guarded_ior;
        nb->nb_inplace_xor = guarded_ixor;
    }
    if (ocap_rewrap_slot(type, (void *)orig_init, (void *)guarded_init) < 1 ||
        ocap_rewrap_slot(type, (void *)orig_ior, (void *)guarded_ior) < 1 ||
        ocap_rewrap_slot(type, (void *)orig_ixor, (void *)guarded_ixor) < 1) {
        PyErr_SetString(PyExc_RuntimeError,
                        "set's slot wrappers are not as expected");
        return -1;
    }
    return 0;
}

/* ---- _abc: the ABC busy while its caches or its registry are added to.
   The wrapper's self is the original function. ---- */

static PyObject *
abc_guarded(PyObject *original, PyObject *const *args, Py_ssize_t nargs,
            int registry)
{
    if (nargs < 1) {
        return PyObject_Vectorcall(original, args, nargs, NULL);
    }
    /* Distinct keys for the two (objects are 16-byte aligned). */
    void *key = (char *)args[0] + registry;
    int entered = ocap_busy_enter(key);
    if (entered <= 0) {
        if (entered == 0) {
            PyErr_SetString(PyExc_RuntimeError,
                            "an ABC's cache changed by "
                            "code run while adding to it");
        }
        return NULL;
    }
    PyObject *r = PyObject_Vectorcall(original, args, nargs, NULL);
    ocap_busy_leave(key);
    return r;
}

static PyObject *
abc_subclasscheck(PyObject *original, PyObject *const *args, Py_ssize_t n)
{
    return abc_guarded(original, args, n, 0);
}

static PyObject *
abc_register(PyObject *original, PyObject *const *args, Py_ssize_t n)
{
    return abc_guarded(original, args, n, 1);
}

static PyMethodDef abc_wrappers[] = {
    {"_abc_subclasscheck", (PyCFunction)(void (*)(void))abc_subclasscheck,
     METH_FASTCALL, NULL},
    {"_abc_register", (PyCFunction)(void (*)(void))abc_register, METH_FASTCALL,
     NULL},
    {NULL, NULL, 0, NULL}};

/* Wraps _abc_subclasscheck and _abc_register in a module's dict (_abc's,
   or abc's, which bound them at import), once. */
int
ocap_set_guard_abc(PyObject *dict)
{
    if (!ocap_cpython_has_bug(OCAP_BUG_SET_ADD_REENTRY)) {
        return 0;
    }
    for (PyMethodDef *def = abc_wrappers; def->ml_name; def++) {
        PyObject *f = PyDict_GetItemString(dict, def->ml_name);
        if (f == NULL || !PyCFunction_Check(f) ||
            PyCFunction_GET_FUNCTION(f) == def->ml_meth) {
            continue;
        }
        PyObject *wrapper = PyCFunction_New(def, f);
        if (wrapper == NULL ||
            PyDict_SetItemString(dict, def->ml_name, wrapper) < 0) {
            Py_XDECREF(wrapper);
            return -1;
        }
        Py_DECREF(wrapper);
    }
    return 0;
}

/* The interpreter's own abc (loaded at start-up for io, whose ABCs a
   sandbox sees) and _abc, for the modules to come. */
int
ocap_set_guard_abc_modules(void)
{
    PyObject *modules = PyImport_GetModuleDict();
    const char *const names[] = {"_abc", "abc"};
    for (size_t i = 0; i < 2; i++) {
        PyObject *m = PyDict_GetItemString(modules, names[i]);
        if (m != NULL && PyModule_Check(m) &&
            ocap_set_guard_abc(PyModule_GetDict(m)) < 0) {
            return -1;
        }
    }
    return 0;
}
