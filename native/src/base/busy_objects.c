/*
 * Objects busy in an operation that must not be entered again on the same
 * object: an itertools iterator in its next (iterator_guard.c), a set or an
 * ABC's cache being added to (set_guard.c).  A set of pointers for the
 * whole process.  On 3.11 it is guarded by the GIL, which every sandbox
 * shares.  On 3.12+ each sandbox has a GIL of its own and sandboxes enter
 * and leave at the same time, so a mutex guards the set, held only for the
 * set operation itself (no Python runs under it; its memory is the C
 * library's, not CPython's).  An object belongs to one interpreter, so
 * keys of different sandboxes never meet.  One set rather than one per
 * thread: a thread-local cost twice as much per call (__tls_get_addr in a
 * library that is dlopen'ed), and a second thread entering the same object
 * is as unsafe as re-entry.  Operations may end out of order (a GIL switch
 * inside one), so removal is general, not a stack pop.
 */
#include "base/base.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define INLINE_SLOTS 32

typedef struct {
    void **slots; /* open addressing, linear probing; NULL = free */
    size_t mask;
    size_t count;
    void *inline_slots[INLINE_SLOTS];
} pointer_set;

static pointer_set busy; /* 3.11: the GIL; 3.12+: busy_mu */
#if OCAP_OWN_GIL
static pthread_mutex_t busy_mu = PTHREAD_MUTEX_INITIALIZER;
#define LOCK() pthread_mutex_lock(&busy_mu)
#define UNLOCK() pthread_mutex_unlock(&busy_mu)
#else
#define LOCK() ((void)0)
#define UNLOCK() ((void)0)
#endif

static size_t
slot_of(const void *p, size_t mask)
{
    uint64_t h = (uint64_t)(uintptr_t)p;
    h ^= h >> 33;
    h *= 0x9E3779B97F4A7C15ull;
    return (size_t)(h >> 20) & mask;
}

static void
set_init(pointer_set *s)
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
grow(pointer_set *s)
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
set_add(pointer_set *s, void *p)
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
set_remove(pointer_set *s, void *p)
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

int
ocap_busy_enter(void *key)
{
    LOCK();
    int added = set_add(&busy, key);
    UNLOCK();
    if (added < 0) {
        PyErr_NoMemory();
    }
    return added;
}

void
ocap_busy_leave(void *key)
{
    LOCK();
    set_remove(&busy, key);
    UNLOCK();
}
