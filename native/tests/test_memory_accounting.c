/*
 * The memory limit holds whatever becomes of CPython's allocators: where
 * CPython's own default raw or arena allocator is put back in place of
 * objcap's accounting (as two overlapping swaps of CPython's can do), the
 * next call, or the watchdog's next poll of a running one, puts the
 * accounting back; where a foreign allocator takes its place, no call
 * runs.  Both from the main thread (calls on its large stack, or handed to
 * the sandbox's thread under OBJCAP_LARGE_STACK=0: ctest's
 * memory_accounting_handed_off) and from a thread with a big stack (calls
 * run there); calls on a caller's thread are watchdog-polled.
 */
#define _GNU_SOURCE
#include <Python.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness.h"

static PyMemAllocatorEx cpython_raw;
static PyObjectArenaAllocator cpython_arena;

static void *
foreign_malloc(void *ctx, size_t n)
{
    return malloc(n);
}

static void *
foreign_calloc(void *ctx, size_t n, size_t size)
{
    return calloc(n, size);
}

static void *
foreign_realloc(void *ctx, void *p, size_t n)
{
    return realloc(p, n);
}

static void
foreign_free(void *ctx, void *p)
{
    free(p);
}

static objcap_sandbox
create(const char *options_msgpack, size_t len)
{
    objcap_sandbox sb = 0;
    drop();
    return objcap_sandbox_create((const uint8_t *)options_msgpack, len, NULL,
                                 NULL, &sb, &out, &out_len) == OBJCAP_OK
        ? sb
        : 0;
}

/* {"memory_limit": 100 MiB, "timeout_ms": 20 s} */
static const char OPTIONS[] = "\x82\xacmemory_limit\xce\x06\x40\x00\x00"
                              "\xaatimeout_ms\xcd\x4e\x20";

static objcap_sandbox sb;

static void
put_back_cpythons_own(void)
{
    PyMem_SetAllocator(PYMEM_DOMAIN_RAW, &cpython_raw);
    PyObject_SetArenaAllocator(&cpython_arena);
}

/* Puts CPython's own allocators back after a quarter of a second, while a
   call runs on the other thread. */
static void *
put_back_later(void *unused)
{
    struct timespec ts = {0, 250000000L};
    nanosleep(&ts, NULL);
    put_back_cpythons_own();
    return NULL;
}

static void
limits_hold(void)
{
    /* Before a call: big values (raw) and many small objects (arenas). */
    put_back_cpythons_own();
    CHECK(run(sb, "y = 'a' * 10**9") == OBJCAP_ERR_LIMIT && says("MEMORY"));
    put_back_cpythons_own();
    CHECK(run(sb,
              "def bomb():\n    x = []\n    while True:\n"
              "        x.append(object())\nbomb()\n") == OBJCAP_ERR_LIMIT &&
          says("MEMORY"));
    CHECK(run(sb, "x = None") == OBJCAP_OK);

    /* During a call (100 MiB take it half a second): the poll puts the
       accounting back. */
    pthread_t t;
    CHECK(pthread_create(&t, NULL, put_back_later, NULL) == 0);
    CHECK(run(sb,
              "import time\ndef bomb():\n    x = []\n    while True:\n"
              "        x.append(bytearray(10**6))\n"
              "        if len(x) % 10 == 0:\n"
              "            time.sleep(0.05)\nbomb()\n") == OBJCAP_ERR_LIMIT &&
          says("MEMORY"));
    pthread_join(t, NULL);
    CHECK(run(sb, "x = None") == OBJCAP_OK);

    /* Anything else in its place: nothing runs. */
    PyMemAllocatorEx foreign = {NULL, foreign_malloc, foreign_calloc,
                                foreign_realloc, foreign_free};
    PyMemAllocatorEx ours;
    PyMem_GetAllocator(PYMEM_DOMAIN_RAW, &ours);
    PyMem_SetAllocator(PYMEM_DOMAIN_RAW, &foreign);
    CHECK(run(sb, "ran = 1") == OBJCAP_ERR_RUNTIME &&
          says("MemoryAccountingLost"));
    PyMem_SetAllocator(PYMEM_DOMAIN_RAW, &ours);
    /* It never ran. */
    CHECK(run(sb, "assert 'ran' not in globals()") == OBJCAP_OK);
}

int
main(void)
{
    /* CPython's own allocators, before objcap starts it and wraps them. */
    PyMem_GetAllocator(PYMEM_DOMAIN_RAW, &cpython_raw);
    PyObject_GetArenaAllocator(&cpython_arena);
    sb = create(OPTIONS, sizeof OPTIONS - 1);
    CHECK(sb != 0);
    if (sb != 0) {
        limits_hold();
        on_big_stack(limits_hold);
        objcap_sandbox_destroy(sb);
    }
    drop();
    return check_summary();
}
