/*
 * Live sandboxes by handle.  Handles are (generation << 32 | slot + 1), so
 * a handle that was closed, or never existed, is refused instead of being
 * dereferenced; a caller "acquires" a sandbox for the length of a call, and
 * destroying waits until no caller holds it.
 */
#include "core/core.h"

#include <stdlib.h>

static pthread_mutex_t registry_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t registry_cv = PTHREAD_COND_INITIALIZER;
static ocap_sandbox **slots;
static uint32_t *generations;
static uint32_t capacity;

objcap_status
ocap_registry_add(ocap_sandbox *sb)
{
    pthread_mutex_lock(&registry_mu);
    uint32_t slot = 0;
    while (slot < capacity && slots[slot] != NULL) {
        slot++;
    }
    if (slot == capacity) {
        uint32_t grown = capacity ? capacity * 2 : 64;
        ocap_sandbox **s = realloc(slots, grown * sizeof *s);
        if (s == NULL) {
            pthread_mutex_unlock(&registry_mu);
            return OBJCAP_ERR_NOMEM;
        }
        slots = s;
        uint32_t *g = realloc(generations, grown * sizeof *g);
        if (g == NULL) {
            pthread_mutex_unlock(&registry_mu);
            return OBJCAP_ERR_NOMEM;
        }
        generations = g;
        for (uint32_t i = capacity; i < grown; i++) {
            slots[i] = NULL;
            generations[i] = 0;
        }
        capacity = grown;
    }
    generations[slot]++;
    slots[slot] = sb;
    sb->handle = ((uint64_t)generations[slot] << 32) | (slot + 1);
    sb->users = 0;
    sb->closing = 0;
    pthread_mutex_unlock(&registry_mu);
    return OBJCAP_OK;
}

/* Requires registry_mu. */
static ocap_sandbox *
lookup(objcap_sandbox handle)
{
    uint64_t slot_plus_one = handle & 0xffffffffu;
    uint32_t generation = (uint32_t)(handle >> 32);
    if (slot_plus_one == 0 || slot_plus_one > capacity) {
        return NULL;
    }
    uint32_t slot = (uint32_t)(slot_plus_one - 1);
    if (generations[slot] != generation) {
        return NULL;
    }
    return slots[slot];
}

ocap_sandbox *
ocap_registry_acquire(objcap_sandbox handle)
{
    pthread_mutex_lock(&registry_mu);
    ocap_sandbox *sb = lookup(handle);
    if (sb != NULL && sb->closing) {
        sb = NULL;
    }
    if (sb != NULL) {
        sb->users++;
    }
    pthread_mutex_unlock(&registry_mu);
    return sb;
}

void
ocap_registry_release(ocap_sandbox *sb)
{
    pthread_mutex_lock(&registry_mu);
    if (--sb->users == 0 && sb->closing) {
        pthread_cond_broadcast(&registry_cv);
    }
    pthread_mutex_unlock(&registry_mu);
}

/*
 * Removes the sandbox once no caller holds it and returns it to be freed.
 * From the sandbox's own thread (an output callback) that wait could never
 * end, so it is refused and *reentrant set.
 */
ocap_sandbox *
ocap_registry_take(objcap_sandbox handle, int *reentrant)
{
    *reentrant = 0;
    pthread_mutex_lock(&registry_mu);
    ocap_sandbox *sb = lookup(handle);
    if (sb == NULL || sb->closing) {
        pthread_mutex_unlock(&registry_mu);
        return NULL;
    }
    if (ocap_sandbox_is_own_thread(sb)) {
        *reentrant = 1;
        pthread_mutex_unlock(&registry_mu);
        return NULL;
    }
    sb->closing = 1;
    while (sb->users > 0) {
        pthread_cond_wait(&registry_cv, &registry_mu);
    }
    uint32_t slot = (uint32_t)((handle & 0xffffffffu) - 1);
    slots[slot] = NULL;
    pthread_mutex_unlock(&registry_mu);
    return sb;
}
