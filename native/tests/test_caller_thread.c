/*
 * Calls that run on the caller's own thread (sandbox.c) must leave that
 * thread as they found it, for the host: a review found that the first
 * thread state made on a thread became its PyGILState state, so that
 * objcap_module_kind ran in the sandbox (under its replaced __import__,
 * with the audit hook believing it was the host) and, once the sandbox was
 * destroyed, in freed memory.  And a limit must stop a call made from
 * inside another sandbox's host function.
 */
#define _GNU_SOURCE
#include <Python.h>

#include "objcap.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

static char printed[4096];
static size_t printed_len;

static void
on_output(void *user, int stream, const char *data, size_t len)
{
    if (printed_len + len < sizeof printed) {
        memcpy(printed + printed_len, data, len);
        printed_len += len;
    }
}

static objcap_sandbox
create(int timeout_ms)
{
    /* {"timeout_ms": n} */
    uint8_t options[] = {0x81,
                         0xaa,
                         't',
                         'i',
                         'm',
                         'e',
                         'o',
                         'u',
                         't',
                         '_',
                         'm',
                         's',
                         0xcd,
                         (uint8_t)(timeout_ms >> 8),
                         (uint8_t)timeout_ms};
    objcap_sandbox sb = 0;
    drop();
    return objcap_sandbox_create(options, sizeof options, on_output, NULL, &sb,
                                 &out, &out_len) == OBJCAP_OK
        ? sb
        : 0;
}

static int
kind_of(const char *name)
{
    int kind = -1;
    return objcap_module_kind(name, strlen(name), &kind) == OBJCAP_OK ? kind
                                                                      : -1;
}

/* A sandbox replaces its __import__ with code that would report a frame
   it may not see; the host then asks about modules on the same thread. */
static void
module_kind_after_a_call(void)
{
    objcap_sandbox sb = create(10000);
    CHECK(sb != 0);
    printed_len = 0;
    CHECK(run(sb,
              "def imp(*a, **k):\n"
              "    print('RAN IN THE SANDBOX')\n"
              "    raise ImportError('x')\n"
              "__builtins__.__import__ = imp\n") == OBJCAP_OK);
    CHECK(kind_of("zipimport") == OBJCAP_MODULE_FROZEN);
    CHECK(kind_of("json") == OBJCAP_MODULE_SOURCE);
    CHECK(printed_len == 0);
    objcap_sandbox_destroy(sb);
    /* Its thread states are gone; this thread must not point at them. */
    CHECK(kind_of("zipimport") == OBJCAP_MODULE_FROZEN);
    CHECK(kind_of("_json") != -1);
}

/* 3.12+ makes each thread state it activates the thread's PyGILState
   state, writing into the one it replaces: a sandbox's state deleted by
   another thread left that pointer dangling here, and the next call's
   activation cleared a bit in freed memory (a JVM symbol, in CI).  The
   thread's PyGILState state must be what it was, after each call and after
   each sandbox is gone. */
static void
gilstate_after_calls_and_destruction(void)
{
    PyThreadState *before = PyGILState_GetThisThreadState();
    for (int i = 0; i < 3; i++) {
        objcap_sandbox sb = create(10000);
        CHECK(sb != 0);
        CHECK(run(sb, "x = [1] * 10\n") == OBJCAP_OK);
        CHECK(PyGILState_GetThisThreadState() == before);
        objcap_sandbox_destroy(sb);
        CHECK(PyGILState_GetThisThreadState() == before);
    }
}

/* A's host function calls B, whose swallowing loop must still end at B's
   time limit (its trace could not be installed from A's context). */
static objcap_sandbox inner;

static objcap_status
call_inner(void *user, uint64_t function, const uint8_t *args, size_t len,
           objcap_reply *reply)
{
    uint8_t *o = NULL;
    size_t ol = 0;
    const char *loop = "while True:\n    try:\n        while True:\n"
                       "            pass\n    except BaseException:\n"
                       "        pass\n";
    objcap_status st = objcap_exec(inner, loop, strlen(loop), "<b>", 3, &o,
                                   &ol);
    objcap_free(o);
    uint8_t result = st == OBJCAP_ERR_LIMIT ? 0xc3 : 0xc2; /* true/false */
    objcap_reply_set(reply, &result, 1);
    return OBJCAP_OK;
}

static void
limit_inside_a_host_function(void)
{
    objcap_sandbox outer = create(20000);
    inner = create(300);
    CHECK(outer != 0 && inner != 0);
    CHECK(objcap_set_host_handler(outer, call_inner, NULL) == OBJCAP_OK);
    uint64_t id;
    drop();
    CHECK(objcap_grant_function(outer, "inner", 5, 1, &id, &out, &out_len) ==
          OBJCAP_OK);
    CHECK(run(outer, "assert inner() is True\n") == OBJCAP_OK);
    objcap_sandbox_destroy(inner);
    objcap_sandbox_destroy(outer);
}

int
main(void)
{
    alarm(60); /* a hang is a failure, not a stuck CI */
    uint8_t *m = NULL;
    size_t ml = 0;
    CHECK(objcap_runtime_start(NULL, NULL, &m, &ml) == OBJCAP_OK);
    objcap_free(m);
    on_big_stack(module_kind_after_a_call);
    gilstate_after_calls_and_destruction(); /* the thread that started it */
    on_big_stack(gilstate_after_calls_and_destruction);
    limit_inside_a_host_function(); /* from the main thread: hand-offs */
    on_big_stack(limit_inside_a_host_function);
    drop();
    return check_summary();
}
