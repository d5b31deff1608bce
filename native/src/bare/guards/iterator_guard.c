/*
 * itertools iterators refuse re-entry.
 *
 * CPython's itertools iterators keep borrowed pointers while they call
 * Python code (the source iterator's __next__, a key's __eq__, a step's
 * __radd__).  Code that calls next() on the same iterator from there frees
 * what the outer call still uses: pairwise (gh-109786, gh-149557),
 * zip_longest and islice (gh-142732), count (gh-154670), groupby and its
 * _grouper (gh-143543, gh-146613); and the builtin iter(callable,
 * sentinel), whose sentinel's __eq__ can call next() on the iterator and
 * free that sentinel (related to gh-101892).  In-process a use-after-free
 * is a way out of the sandbox.  So every itertools iterator's next is wrapped: a
 * second entry into the same iterator while the first runs raises
 * RuntimeError, as CPython's own fix for pairwise does (a generator raises
 * ValueError the same way).  A _grouper counts as its groupby: the two
 * share the groupby's state.
 *
 * The iterators being entered are marked busy in busy_objects.c.
 *
 * On 3.11 the itertools types are static and shared by every interpreter:
 * they are wrapped once, in the main interpreter, when the runtime starts.
 * From 3.12 each itertools module has heap types of its own, wrapped when
 * a sandbox imports it.  The type's __next__ descriptor is pointed at the
 * guard in place (ocap_rewrap_slot).
 */
#include "base/base.h"
#include "bare/guards/guards.h"

#include <string.h>

/* ---- the wrapped types ---- */

/* Every itertools type with a next, on 3.11 to 3.13, and the builtin
   callable_iterator.  An itertools type missing here makes importing
   itertools fail rather than go unguarded. */
/* clang-format off */
#define GUARDED_TYPES(X)                                                     \
    X(0, "itertools.accumulate") X(1, "itertools.batched")                   \
    X(2, "itertools.chain") X(3, "itertools.combinations")                   \
    X(4, "itertools.combinations_with_replacement")                          \
    X(5, "itertools.compress") X(6, "itertools.count")                       \
    X(7, "itertools.cycle") X(8, "itertools.dropwhile")                      \
    X(9, "itertools.filterfalse") X(10, "itertools.groupby")                 \
    X(11, "itertools._grouper") X(12, "itertools.islice")                    \
    X(13, "itertools.pairwise") X(14, "itertools.permutations")              \
    X(15, "itertools.product") X(16, "itertools.repeat")                     \
    X(17, "itertools.starmap") X(18, "itertools.takewhile")                  \
    X(19, "itertools._tee") X(20, "itertools.zip_longest")                  \
    X(21, "callable_iterator")
/* clang-format on */

enum { GROUPER = 11 };

typedef struct {
    const char *name;
    iternextfunc original; /* the same function in every interpreter */
    iternextfunc guarded;
} guarded_type;

static inline PyObject *guarded_next(PyObject *self, int index)
    __attribute__((always_inline));

#define DEFINE_WRAPPER(i, name)                                               \
    static PyObject *guarded_next_##i(PyObject *self)                         \
    {                                                                         \
        return guarded_next(self, i);                                         \
    }
GUARDED_TYPES(DEFINE_WRAPPER)

#define TABLE_ENTRY(i, n) [i] = {.name = n, .guarded = guarded_next_##i},
static guarded_type guarded_types[] = {GUARDED_TYPES(TABLE_ENTRY)};

#define GUARDED_COUNT (sizeof guarded_types / sizeof guarded_types[0])

static inline PyObject *
guarded_next(PyObject *self, int index)
{
    void *key = self;
    if (index == GROUPER) {
        /* _grouperobject {PyObject_HEAD; PyObject *parent; ...} on
           3.11-3.13: its state is the parent groupby's. */
        key = ((PyObject **)((char *)self + sizeof(PyObject)))[0];
    }
    int entered = ocap_busy_enter(key);
    if (entered <= 0) {
        if (entered == 0) {
            PyErr_Format(PyExc_RuntimeError,
                         "%s: next() called on the iterator from inside "
                         "its own next()",
                         guarded_types[index].name);
        }
        return NULL;
    }
    PyObject *result = guarded_types[index].original(self);
    ocap_busy_leave(key);
    return result;
}

static guarded_type *
find(const char *name)
{
    for (size_t i = 0; i < GUARDED_COUNT; i++) {
        if (strcmp(guarded_types[i].name, name) == 0) {
            return &guarded_types[i];
        }
    }
    return NULL;
}

/* The next of a class whose __next__ is None: CPython's
   _PyObject_NextNotImplemented, no longer exported from 3.13, so taken
   from such a class when the runtime starts. */
#if PY_VERSION_HEX >= 0x030D0000
static iternextfunc next_not_implemented;

static int
find_next_not_implemented(void)
{
    PyObject *dict = Py_BuildValue("{s:O}", "__next__", Py_None);
    PyObject *cls = dict ? PyObject_CallFunction((PyObject *)&PyType_Type,
                                                 "s()O", "no_next", dict)
                         : NULL;
    Py_XDECREF(dict);
    if (cls == NULL) {
        return -1;
    }
    next_not_implemented = ((PyTypeObject *)cls)->tp_iternext;
    Py_DECREF(cls);
    return 0;
}
#else
static const iternextfunc next_not_implemented = _PyObject_NextNotImplemented;

static int
find_next_not_implemented(void)
{
    return 0;
}
#endif

static int
guard_type(PyTypeObject *type)
{
    iternextfunc next = type->tp_iternext;
    if (next == NULL || next == next_not_implemented) {
        return 0;
    }
    guarded_type *g = find(type->tp_name);
    if (g == NULL) {
        PyErr_Format(PyExc_ImportError,
                     "%s is not known to objcap's "
                     "iterator re-entry guard",
                     type->tp_name);
        return -1;
    }
    if (next != g->guarded) {
        if (g->original != NULL && g->original != next) {
            PyErr_Format(PyExc_ImportError, "%s has an unexpected next",
                         type->tp_name);
            return -1;
        }
        /* The table is filled by the main interpreter at start (it imports
           itertools then) and only read after: sandboxes run in parallel
           with GILs of their own on 3.12+. */
        if (g->original == NULL) {
            if (PyInterpreterState_Get() != PyInterpreterState_Main()) {
                PyErr_Format(PyExc_ImportError,
                             "%s was not guarded at start-up", type->tp_name);
                return -1;
            }
            g->original = next;
        }
        type->tp_iternext = g->guarded;
    }
    /* __next__ called as a method must reach the guard too. */
    if (ocap_rewrap_slot(type, (void *)g->original, (void *)g->guarded) < 1) {
        PyErr_Format(PyExc_ImportError, "%s has no __next__ wrapper",
                     type->tp_name);
        return -1;
    }
    return 0;
}

int
ocap_iterator_guard_module(PyObject *itertools)
{
    if (!ocap_cpython_has_bug(OCAP_BUG_ITERATOR_REENTRY)) {
        return 0;
    }
    PyObject *dict = PyModule_GetDict(itertools);
    Py_ssize_t pos = 0;
    PyObject *key, *value;
    while (PyDict_Next(dict, &pos, &key, &value)) {
        if (PyType_Check(value) &&
            strncmp(((PyTypeObject *)value)->tp_name, "itertools.", 10) == 0 &&
            guard_type((PyTypeObject *)value) < 0) {
            return -1;
        }
    }
    return 0;
}

/* Builtin iterator types: at runtime start (idempotent). */
int
ocap_iterator_guard_builtins(void)
{
    if (!ocap_cpython_has_bug(OCAP_BUG_ITERATOR_REENTRY)) {
        return 0;
    }
    return guard_type(&PyCallIter_Type);
}

int
ocap_iterator_guard_start(void)
{
    if (!ocap_cpython_has_bug(OCAP_BUG_ITERATOR_REENTRY)) {
        return 0;
    }
    if (find_next_not_implemented() < 0) {
        return -1;
    }
    PyObject *itertools = PyImport_ImportModule("itertools");
    if (itertools == NULL) {
        return -1;
    }
    int rc = ocap_iterator_guard_module(itertools);
    Py_DECREF(itertools);
    return rc;
}
