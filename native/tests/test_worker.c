/*
 * The worker client as a C host sees it: a process-isolated sandbox runs
 * code, streams output, reports its confinement, survives nothing fatal,
 * and leaves no process behind.  argv[1] is the objcap-worker to use.
 */
#define _GNU_SOURCE
#include "objcap.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "processes.h"

static char captured[256];
static size_t captured_len;

static void
on_output(void *user, int stream, const char *data, size_t len)
{
    if (captured_len + len < sizeof captured) {
        memcpy(captured + captured_len, data, len);
        captured_len += len;
    }
}

/* A non-negative MessagePack integer at p (msgpack_pack_int picks the
   shortest form: a pid of 65536 or more is a uint 32, 0xce), or -1. */
static long
packed_int(const uint8_t *p, const uint8_t *end)
{
    size_t size = p < end ? (p[0] <= 0x7f                       ? 0
                                 : p[0] == 0xcc || p[0] == 0xd0 ? 1
                                 : p[0] == 0xcd || p[0] == 0xd1 ? 2
                                 : p[0] == 0xce || p[0] == 0xd2 ? 4
                                                                : 9)
                          : 9;
    if (size > 4 || (size_t)(end - p) <= size) {
        return -1;
    }
    if (size == 0) {
        return p[0];
    }
    unsigned long v = 0;
    for (size_t i = 1; i <= size; i++) {
        v = (v << 8) | p[i];
    }
    return p[0] >= 0xd0 && (p[1] & 0x80) ? -1 : (long)v;
}

static objcap_sandbox
create(const char *worker, int timeout_ms)
{
    uint8_t options[600];
    size_t n = worker_options(options, worker, (uint32_t)timeout_ms, 0);
    objcap_sandbox sb = 0;
    objcap_free(out);
    out = NULL;
    objcap_status st = objcap_sandbox_create(options, n, on_output, NULL, &sb,
                                             &out, &out_len);
    return st == OBJCAP_OK ? sb : 0;
}

int
main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: test_worker OBJCAP_WORKER\n");
        return 2;
    }
    objcap_sandbox sb = create(argv[1], 3000);
    CHECK(sb != 0);
    CHECK(objcap_isolation(sb, &out, &out_len) == OBJCAP_OK &&
          says("process") && says("seccomp"));
    CHECK(run(sb, "import json\nprint(json.dumps([1, 2]))") == OBJCAP_OK);
    CHECK(captured_len == 7 && memcmp(captured, "[1, 2]\n", 7) == 0);
    CHECK(run(sb, "1/0") == OBJCAP_ERR_PYTHON && says("ZeroDivisionError"));
    CHECK(run(sb, "import os") == OBJCAP_ERR_PYTHON && says("not allowed"));

    /* A C-stack overflow kills the worker, not the host. */
    CHECK(run(sb,
              "x = [1]\nfor i in range(1000000):\n    x = map(abs, x)\n"
              "next(x)\n") == OBJCAP_ERR_CRASHED &&
          says("SIGSEGV"));
    CHECK(run(sb, "1") == OBJCAP_ERR_STATE);
    CHECK(objcap_sandbox_destroy(sb) == OBJCAP_OK);

    /* A C call that ignores interrupts: killed past the deadline. */
    sb = create(argv[1], 500);
    CHECK(sb != 0);
    CHECK(run(sb, "9**9**9") == OBJCAP_ERR_LIMIT && says("TIME"));
    CHECK(objcap_sandbox_destroy(sb) == OBJCAP_OK);

    /* A C call past the CPU limit: the kernel's SIGXCPU, reported as CPU.
       {"worker": w, "timeout_ms": 60000, "cpu_ms": 500} built by hand. */
    {
        uint8_t options[600];
        size_t n = 0, len = strlen(argv[1]);
        options[n++] = 0x83;
        options[n++] = 0xa6;
        memcpy(options + n, "worker", 6);
        n += 6;
        options[n++] = 0xd9;
        options[n++] = (uint8_t)len;
        memcpy(options + n, argv[1], len);
        n += len;
        options[n++] = 0xaa;
        memcpy(options + n, "timeout_ms", 10);
        n += 10;
        options[n++] = 0xcd;
        options[n++] = 0xea;
        options[n++] = 0x60;
        options[n++] = 0xa6;
        memcpy(options + n, "cpu_ms", 6);
        n += 6;
        options[n++] = 0xcd;
        options[n++] = 0x01;
        options[n++] = 0xf4;
        objcap_free(out);
        out = NULL;
        CHECK(objcap_sandbox_create(options, n, NULL, NULL, &sb, &out,
                                    &out_len) == OBJCAP_OK);
        CHECK(run(sb, "9**9**9") == OBJCAP_ERR_LIMIT && says("CPU"));
        CHECK(objcap_sandbox_destroy(sb) == OBJCAP_OK);
    }

    /* Killed from outside. */
    sb = create(argv[1], 3000);
    CHECK(objcap_isolation(sb, &out, &out_len) == OBJCAP_OK);
    const uint8_t *pid_at = memmem(out, out_len, "pid", 3);
    CHECK(pid_at != NULL);
    if (pid_at != NULL) {
        long pid = packed_int(pid_at + 3, out + out_len);
        CHECK(pid > 1 && our_worker(pid) && kill((pid_t)pid, SIGKILL) == 0);
        CHECK(run(sb, "1") == OBJCAP_ERR_CRASHED && says("SIGKILL"));
    }
    CHECK(objcap_sandbox_destroy(sb) == OBJCAP_OK);
    CHECK(!workers_left());
    objcap_free(out);
    return check_summary();
}
