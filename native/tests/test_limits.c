/*
 * Limits as a C host sees them, in-process: each bomb returns promptly
 * with OBJCAP_ERR_LIMIT naming the limit, and the sandbox stays usable.
 * Everything runs twice: from the main thread (8 MiB: calls move onto the
 * thread's large stack; under OBJCAP_LARGE_STACK=0, ctest's
 * limits_handed_off, they are handed to the sandbox's thread and the caller
 * enforces the limits) and from a thread with a big stack (calls run right
 * there); the watchdog enforces the limits of calls on the caller's thread.
 */
#define _GNU_SOURCE
#include "objcap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness.h"

static size_t output_bytes;

static void
on_output(void *user, int stream, const char *data, size_t len)
{
    output_bytes += len;
}

static double
now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* {key: value} as MessagePack (value < 2**32). */
static objcap_sandbox
create(const char *key, uint32_t value)
{
    uint8_t options[64];
    size_t n = 0, len = strlen(key);
    options[n++] = 0x81;
    options[n++] = (uint8_t)(0xa0 | len);
    memcpy(options + n, key, len);
    n += len;
    options[n++] = 0xce;
    for (int i = 3; i >= 0; i--) {
        options[n++] = (uint8_t)(value >> (8 * i));
    }
    objcap_sandbox sb = 0;
    objcap_free(out);
    out = NULL;
    return objcap_sandbox_create(options, n, on_output, NULL, &sb, &out,
                                 &out_len) == OBJCAP_OK
        ? sb
        : 0;
}

static void
limits(void)
{
    objcap_sandbox sb = create("memory_limit", 200u << 20);
    CHECK(sb != 0);
    double t = now();
    CHECK(run(sb, "x = []\nwhile True:\n    x.append(bytearray(10**6))\n") ==
              OBJCAP_ERR_LIMIT &&
          says("MEMORY"));
    CHECK(run(sb, "y = 'a' * 10**10") == OBJCAP_ERR_LIMIT && says("MEMORY"));
    CHECK(run(sb, "x = None\nz = len(bytearray(10**7))") == OBJCAP_OK);
    CHECK(now() - t < 30);
    objcap_sandbox_destroy(sb);

    sb = create("max_output", 1000);
    CHECK(sb != 0);
    output_bytes = 0;
    CHECK(run(sb,
              "while True:\n    try:\n        print('x' * 100)\n"
              "    except BaseException:\n        pass\n") ==
              OBJCAP_ERR_LIMIT &&
          says("OUTPUT"));
    CHECK(output_bytes == 1000);
    output_bytes = 0;
    CHECK(run(sb, "print('fine')") == OBJCAP_OK && output_bytes == 5);
    objcap_sandbox_destroy(sb);

    sb = create("cpu_ms", 300);
    CHECK(sb != 0);
    t = now();
    CHECK(run(sb, "while True:\n    pass\n") == OBJCAP_ERR_LIMIT &&
          says("CPU"));
    CHECK(now() - t < 5);
    CHECK(run(sb, "import time\ntime.sleep(0.5)") == OBJCAP_OK);
    objcap_sandbox_destroy(sb);

    sb = create("recursion_limit", 200);
    CHECK(sb != 0);
    CHECK(run(sb, "def f(n):\n    return f(n + 1)\nf(0)") ==
              OBJCAP_ERR_PYTHON &&
          says("RecursionError"));
    CHECK(run(sb, "import sys\nsys.setrecursionlimit(10**6)") ==
              OBJCAP_ERR_PYTHON &&
          says("setrecursionlimit"));
    objcap_sandbox_destroy(sb);

    sb = create("timeout_ms", 300);
    t = now();
    CHECK(run(sb, "import time\ntime.sleep(1000)") == OBJCAP_ERR_LIMIT &&
          says("TIME"));
    CHECK(now() - t < 3);
    /* Neither a handler of everything nor a looping finally outlasts it. */
    t = now();
    CHECK(run(sb,
              "while True:\n    try:\n        while True:\n"
              "            pass\n    except BaseException:\n"
              "        pass\n") == OBJCAP_ERR_LIMIT &&
          says("TIME"));
    CHECK(now() - t < 3);
    CHECK(run(sb, "ok = 1") == OBJCAP_OK);
    objcap_sandbox_destroy(sb);
}

/* What a call leaves in contextvars is there for the next call, whichever
   thread makes it. */
static objcap_sandbox shared;

static void
set_precision(void)
{
    CHECK(run(shared, "import decimal\ndecimal.getcontext().prec = 5\n") ==
          OBJCAP_OK);
}

static void
check_precision(void)
{
    CHECK(run(shared, "assert decimal.getcontext().prec == 5\n") == OBJCAP_OK);
}

int
main(void)
{
    limits();
    on_big_stack(limits);
    shared = create("recursion_limit", 1000);
    on_big_stack(set_precision);
    check_precision();
    on_big_stack(check_precision);
    objcap_sandbox_destroy(shared);
    drop();
    return check_summary();
}
