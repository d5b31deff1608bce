/*
 * Per-sandbox memory accounting (CPYTHON-NOTES.md, "Memory"): CPython's raw
 * allocator (large objects, buffers) and pymalloc's arena allocator (all
 * small objects) are wrapped, and what a sandbox's thread allocates is
 * charged to that sandbox.  Past its limit an allocation fails, so Python
 * raises MemoryError inside and the host sees a MEMORY limit; freeing
 * brings the sandbox back under it.  Attribution is by thread: memory
 * freed by another thread than the one that allocated it is not credited
 * back, which errs towards the limit, not past it.
 */
#include "base/base.h"
#include "limits/limits.h"

#include <dlfcn.h>
#include <malloc.h>
#include <stdio.h>

static PyMemAllocatorEx raw;
static PyObjectArenaAllocator arena;

static void
charge(ocap_sandbox *sb, long long delta)
{
    if (sb != NULL) {
        atomic_fetch_add(&sb->memory_used, delta);
    }
}

/* Would `size` more bytes take the sandbox past its limit? */
static int
refused(ocap_sandbox *sb, size_t size)
{
    if (sb == NULL || sb->memory_limit <= 0) {
        return 0;
    }
    long long used = atomic_load(&sb->memory_used);
    if (used < 0) {
        used = 0;
    }
    if ((unsigned long long)used + size <=
        (unsigned long long)sb->memory_limit) {
        return 0;
    }
    int none = OCAP_LIMIT_NONE;
    atomic_compare_exchange_strong(&sb->limit_hit, &none, OCAP_LIMIT_MEMORY);
    return 1;
}

static void *
raw_malloc(void *ctx, size_t size)
{
    ocap_sandbox *sb = ocap_trust_sandbox();
    if (refused(sb, size)) {
        return NULL;
    }
    void *p = raw.malloc(raw.ctx, size);
    if (p != NULL) {
        charge(sb, (long long)malloc_usable_size(p));
    }
    return p;
}

static void *
raw_calloc(void *ctx, size_t count, size_t size)
{
    ocap_sandbox *sb = ocap_trust_sandbox();
    if (size != 0 && count > SIZE_MAX / size) {
        return NULL;
    }
    if (refused(sb, count * size)) {
        return NULL;
    }
    void *p = raw.calloc(raw.ctx, count, size);
    if (p != NULL) {
        charge(sb, (long long)malloc_usable_size(p));
    }
    return p;
}

static void *
raw_realloc(void *ctx, void *ptr, size_t size)
{
    ocap_sandbox *sb = ocap_trust_sandbox();
    size_t old = ptr ? malloc_usable_size(ptr) : 0;
    if (size > old && refused(sb, size - old)) {
        return NULL;
    }
    void *p = raw.realloc(raw.ctx, ptr, size);
    if (p != NULL) {
        charge(sb, (long long)malloc_usable_size(p) - (long long)old);
    }
    return p;
}

static void
raw_free(void *ctx, void *ptr)
{
    if (ptr != NULL) {
        charge(ocap_trust_sandbox(), -(long long)malloc_usable_size(ptr));
    }
    raw.free(raw.ctx, ptr);
}

static void *
arena_alloc(void *ctx, size_t size)
{
    ocap_sandbox *sb = ocap_trust_sandbox();
    if (refused(sb, size)) {
        return NULL;
    }
    void *p = arena.alloc(arena.ctx, size);
    if (p != NULL) {
        charge(sb, (long long)size);
    }
    return p;
}

static void
arena_free(void *ctx, void *ptr, size_t size)
{
    charge(ocap_trust_sandbox(), -(long long)size);
    arena.free(arena.ctx, ptr, size);
}

/*
 * OpenSSL allocates with its own CRYPTO_malloc, outside CPython's
 * allocators: hashlib.scrypt alone takes up to 2 GiB (its maxmem).  Its
 * allocations go through the same accounting, charged to the sandbox whose
 * thread makes them.  libcrypto allows this only before its first
 * allocation, so it is done when objcap starts CPython, before any sandbox
 * can load _hashlib; where the host's process already used OpenSSL it is
 * refused, and OpenSSL's memory is then not counted (process mode: the
 * worker's address-space rlimit still bounds it).
 */
static void *
crypto_malloc(size_t size, const char *file, int line)
{
    return raw_malloc(NULL, size);
}

static void *
crypto_realloc(void *ptr, size_t size, const char *file, int line)
{
    return raw_realloc(NULL, ptr, size);
}

static void
crypto_free(void *ptr, const char *file, int line)
{
    raw_free(NULL, ptr);
}

static void
route_openssl(void)
{
    /* The library _hashlib links (by soname, so the same instance). */
    void *lib = dlopen("libcrypto.so.3", RTLD_NOW | RTLD_LOCAL);
    if (lib == NULL) {
        return; /* no OpenSSL: nothing of it to count */
    }
    typedef int (*set_fn)(void *(*)(size_t, const char *, int),
                          void *(*)(void *, size_t, const char *, int),
                          void (*)(void *, const char *, int));
    set_fn set = (set_fn)dlsym(lib, "CRYPTO_set_mem_functions");
    if (set != NULL) {
        set(crypto_malloc, crypto_realloc, crypto_free);
    }
}

static PyMemAllocatorEx wrapped_raw = {NULL, raw_malloc, raw_calloc,
                                       raw_realloc, raw_free};
static PyObjectArenaAllocator wrapped_arena = {NULL, arena_alloc, arena_free};
static atomic_int installed, put_back;

/* After Py_Initialize, with the GIL: wraps (never replaces) the allocators,
   so blocks allocated before are freed by the allocator that made them. */
int
ocap_memory_install(void)
{
    PyMem_GetAllocator(PYMEM_DOMAIN_RAW, &raw);
    PyMem_SetAllocator(PYMEM_DOMAIN_RAW, &wrapped_raw);
    PyObject_GetArenaAllocator(&arena);
    PyObject_SetArenaAllocator(&wrapped_arena);
    route_openssl();
    atomic_store(&installed, 1);
    return 0;
}

static int
same_raw(const PyMemAllocatorEx *a, const PyMemAllocatorEx *b)
{
    return a->ctx == b->ctx && a->malloc == b->malloc &&
        a->calloc == b->calloc && a->realloc == b->realloc &&
        a->free == b->free;
}

/*
 * The limit holds only while the wrappers are CPython's allocators.  CPython
 * swaps its default raw allocator in around some of its own frees and then
 * puts back what it found (3.11 does so in every new interpreter's
 * init_sys_streams); two such swaps that overlap on two threads put back
 * the default for good, and from then on nothing any sandbox allocates
 * counts.  A CI run once saw every in-process memory limit fail at once,
 * cause not found, and this is the one way known to get there.  So before
 * each call, and on each poll of a running call, the wrappers are checked:
 * where CPython's own allocator stands in their place again they go back
 * on top of it (its blocks and ours come from the same malloc); where
 * anything else does, -1, and no call may run.
 */
/* Seen in CI on 3.11 while other threads made and ended sandboxes: most
   likely the check itself landing inside one of CPython's brief swaps
   (harmless, CPython then puts back the wrapper too). */
static void
report_put_back(const char *which)
{
    fprintf(stderr,
            "objcap: CPython's own %s allocator stood in place of objcap's "
            "memory accounting (inside one of CPython's brief swaps, or for "
            "good); the accounting was put back (%d)\n",
            which, atomic_fetch_add(&put_back, 1) + 1);
}

int
ocap_memory_ensure(void)
{
    if (!atomic_load(&installed)) {
        return 0; /* objcap started no CPython in this process */
    }
    PyMemAllocatorEx now;
    PyMem_GetAllocator(PYMEM_DOMAIN_RAW, &now);
    if (!same_raw(&now, &wrapped_raw)) {
        if (!same_raw(&now, &raw)) {
            return -1;
        }
        PyMem_SetAllocator(PYMEM_DOMAIN_RAW, &wrapped_raw);
        report_put_back("raw");
    }
    PyObjectArenaAllocator arenas;
    PyObject_GetArenaAllocator(&arenas);
    if (arenas.alloc != arena_alloc || arenas.free != arena_free) {
        if (arenas.alloc != arena.alloc || arenas.free != arena.free ||
            arenas.ctx != arena.ctx) {
            return -1;
        }
        PyObject_SetArenaAllocator(&wrapped_arena);
        report_put_back("arena");
    }
    return 0;
}
