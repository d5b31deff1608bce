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
 * free that sentinel (related to gh-101892).  In-process a use-after-free is a way
 * out of the sandbox.  So every itertools iterator's next is wrapped: a
 * second entry into the same iterator while the first runs raises
 * RuntimeError, as CPython's own fix for pairwise does (a generator raises
 * ValueError the same way).  A _grouper counts as its groupby: the two
 * share the groupby's state.
 *
 * The iterators being entered are one set for the process, guarded by the
 * GIL (every next runs holding it; sandboxes share the main interpreter's
 * GIL).  A thread-local set cost twice as much per next (__tls_get_addr in
 * a library that is dlopen'ed); a shared one also refuses a second thread
 * entering the same iterator, which is as unsafe as re-entry.
 *
 * On 3.11 the itertools types are static and shared by every interpreter:
 * they are wrapped once, in the main interpreter, when the runtime starts.
 * From 3.12 each itertools module has heap types of its own, wrapped when
 * a sandbox imports it.  The type's __next__ descriptor is pointed at the
 * guard in place (ocap_rewrap_slot).
 */
#include "internal.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ---- the iterators being entered: a set of pointers ---- */

#define INLINE_SLOTS 32

typedef struct {
    void **slots;          /* open addressing, linear probing; NULL = free */
    size_t mask;
    size_t count;
    void *inline_slots[INLINE_SLOTS];
} entered_set;

static entered_set entered; /* guarded by the GIL */

static size_t
slot_of(const void *p, size_t mask)
{
    uint64_t h = (uint64_t)(uintptr_t)p;
    h ^= h >> 33;
    h *= 0x9E3779B97F4A7C15ull;
    return (size_t)(h >> 20) & mask;
}

static void
set_init(entered_set *s)
{
    if (s->slots == NULL) {
        s->slots = s->inline_slots;
        s->mask = INLINE_SLOTS - 1;
    }
}

static void
put(void **slots, size_t mask, void *p)
{
    size_t i = slot_of(p, mask);
    while (slots[i] != NULL) {
        i = (i + 1) & mask;
    }
    slots[i] = p;
}

/* Doubles the table; -1 when out of memory (the set is unchanged). */
static int
grow(entered_set *s)
{
    size_t size = (s->mask + 1) * 2;
    void **bigger = calloc(size, sizeof *bigger);
    if (bigger == NULL) {
        return -1;
    }
    for (size_t i = 0; i <= s->mask; i++) {
        if (s->slots[i] != NULL) {
            put(bigger, size - 1, s->slots[i]);
        }
    }
    if (s->slots == s->inline_slots) {
        memset(s->inline_slots, 0, sizeof s->inline_slots); /* reused later */
    }
    else {
        free(s->slots);
    }
    s->slots = bigger;
    s->mask = size - 1;
    return 0;
}

/* 1 added, 0 already there, -1 out of memory. */
static int
set_add(entered_set *s, void *p)
{
    set_init(s);
    for (size_t i = slot_of(p, s->mask); s->slots[i] != NULL;
         i = (i + 1) & s->mask) {
        if (s->slots[i] == p) {
            return 0;
        }
    }
    if ((s->count + 1) * 2 > s->mask + 1 && grow(s) < 0) {
        return -1;
    }
    put(s->slots, s->mask, p);
    s->count++;
    return 1;
}

/* Removes p, moving later entries of its probe run back (no tombstones). */
static void
set_remove(entered_set *s, void *p)
{
    size_t i = slot_of(p, s->mask);
    while (s->slots[i] != p) {
        if (s->slots[i] == NULL) {
            return;
        }
        i = (i + 1) & s->mask;
    }
    s->slots[i] = NULL;
    for (size_t j = (i + 1) & s->mask; s->slots[j] != NULL;
         j = (j + 1) & s->mask) {
        size_t home = slot_of(s->slots[j], s->mask);
        int stays = i <= j ? (i < home && home <= j) : (i < home || home <= j);
        if (!stays) {
            s->slots[i] = s->slots[j];
            s->slots[j] = NULL;
            i = j;
        }
    }
    if (--s->count == 0 && s->slots != s->inline_slots) {
        free(s->slots);
        s->slots = NULL;
        set_init(s);
    }
}

/* Marks `key` busy: 1, or 0 when it already is, or -1 with MemoryError.
   Shared with set_guard.c: an iterator and a set are never the same. */
int
ocap_busy_enter(void *key)
{
    int added = set_add(&entered, key);
    if (added < 0) {
        PyErr_NoMemory();
    }
    return added;
}

void
ocap_busy_leave(void *key)
{
    set_remove(&entered, key);
}

/* ---- the wrapped types ---- */

/* Every itertools type with a next, on 3.11 to 3.13, and the builtin
   callable_iterator.  An itertools type missing here makes importing
   itertools fail rather than go unguarded. */
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

enum { GROUPER = 11 };

typedef struct {
    const char *name;
    iternextfunc original;  /* the same function in every interpreter */
    iternextfunc guarded;
} guarded_type;

static inline PyObject *guarded_next(PyObject *self, int index)
    __attribute__((always_inline));

#define DEFINE_WRAPPER(i, name)                                              \
    static PyObject *guarded_next_##i(PyObject *self)                        \
    {                                                                        \
        return guarded_next(self, i);                                        \
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
    /* The set directly, not ocap_busy_enter: an exported function is
       called through the PLT, which doubled the cost of a next. */
    int added = set_add(&entered, key);
    if (added <= 0) {
        if (added == 0) {
            PyErr_Format(PyExc_RuntimeError,
                         "%s: next() called on the iterator from inside "
                         "its own next()", guarded_types[index].name);
        }
        else {
            PyErr_NoMemory();
        }
        return NULL;
    }
    PyObject *result = guarded_types[index].original(self);
    set_remove(&entered, key);
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

static int
guard_type(PyTypeObject *type)
{
    iternextfunc next = type->tp_iternext;
    if (next == NULL || next == &_PyObject_NextNotImplemented) {
        return 0;
    }
    guarded_type *g = find(type->tp_name);
    if (g == NULL) {
        PyErr_Format(PyExc_ImportError, "%s is not known to objcap's "
                     "iterator re-entry guard", type->tp_name);
        return -1;
    }
    if (next != g->guarded) {
        if (g->original != NULL && g->original != next) {
            PyErr_Format(PyExc_ImportError, "%s has an unexpected next",
                         type->tp_name);
            return -1;
        }
        g->original = next;
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
    return guard_type(&PyCallIter_Type);
}

int
ocap_iterator_guard_start(void)
{
    PyObject *itertools = PyImport_ImportModule("itertools");
    if (itertools == NULL) {
        return -1;
    }
    int rc = ocap_iterator_guard_module(itertools);
    Py_DECREF(itertools);
    return rc;
}
