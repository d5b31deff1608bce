/*
 * Calls that run on the caller's own thread (sandbox.c) must leave that
 * thread as they found it, for the host: a review found that the first
 * thread state made on a thread became its PyGILState state, so that
 * objcap_module_kind ran in the sandbox (under its replaced __import__,
 * with the audit hook believing it was the host) and, once the sandbox was
 * destroyed, in freed memory.  And a limit must stop a call made from
 * inside another sandbox's host function.  And the thread never reads its
 * CPU clock for the CPU limit: that system call takes the scheduler's
 * run-queue lock and cost more than the whole call (watchdog.c).
 */
#define _GNU_SOURCE
#include <Python.h>

#include "objcap.h"

#include <errno.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <ucontext.h>
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

static volatile sig_atomic_t cpu_clock_reads;

/* A trapped read of a CPU clock: counted, and it fails with EPERM. */
static void
on_cpu_clock_read(int sig, siginfo_t *info, void *context)
{
    (void)sig;
    (void)info;
    cpu_clock_reads++;
    ((ucontext_t *)context)->uc_mcontext.gregs[REG_RAX] = -EPERM;
}

/* Traps this thread's clock_gettime of a CPU clock: the process's, the
   thread's, or one of pthread_getcpuclockid's (negative ids). */
static int
trap_cpu_clock_reads(void)
{
    struct sigaction sa = {0};
    sa.sa_sigaction = on_cpu_clock_read;
    sa.sa_flags = SA_SIGINFO;
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
    int rc = ctx == NULL || sigaction(SIGSYS, &sa, NULL) != 0 ||
            seccomp_rule_add(
                ctx, SCMP_ACT_TRAP, SCMP_SYS(clock_gettime), 1,
                SCMP_A0_32(SCMP_CMP_EQ, CLOCK_PROCESS_CPUTIME_ID)) != 0 ||
            seccomp_rule_add(
                ctx, SCMP_ACT_TRAP, SCMP_SYS(clock_gettime), 1,
                SCMP_A0_32(SCMP_CMP_EQ, CLOCK_THREAD_CPUTIME_ID)) != 0 ||
            seccomp_rule_add(ctx, SCMP_ACT_TRAP, SCMP_SYS(clock_gettime), 1,
                             SCMP_A0_32(SCMP_CMP_MASKED_EQ, 0x80000000u,
                                        0x80000000u)) != 0 ||
            seccomp_load(ctx) != 0
        ? -1
        : 0;
    seccomp_release(ctx);
    return rc;
}

/* Runs on a thread of its own: the filter stays on that thread. */
static void
no_cpu_clock_read_per_call(void)
{
    /* {"cpu_ms": 10000} */
    const uint8_t options[] = {0x81, 0xa6, 'c',  'p',  'u', '_',
                               'm',  's',  0xcd, 0x27, 0x10};
    objcap_sandbox sb = 0;
    drop();
    CHECK(objcap_sandbox_create(options, sizeof options, NULL, NULL, &sb, &out,
                                &out_len) == OBJCAP_OK);
    CHECK(run(sb, "def f(x):\n    return x\n") == OBJCAP_OK);
    const uint8_t one[] = {0x91, 0x01};
    /* The first watched call starts the watchdog's thread: before the
       filter, which that thread would inherit. */
    drop();
    CHECK(objcap_call(sb, "f", 1, one, sizeof one, &out, &out_len) ==
          OBJCAP_OK);
    CHECK(trap_cpu_clock_reads() == 0);
    int calls_ok = 1;
    for (int i = 0; i < 1000; i++) {
        drop();
        calls_ok &= objcap_call(sb, "f", 1, one, sizeof one, &out, &out_len) ==
            OBJCAP_OK;
    }
    CHECK(calls_ok);
    if (cpu_clock_reads != 0) {
        printf("  1000 calls read a CPU clock %d times\n",
               (int)cpu_clock_reads);
    }
    CHECK(cpu_clock_reads == 0);
    drop();
    objcap_sandbox_destroy(sb);
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
    limit_inside_a_host_function(); /* main thread: its large stacks */
    on_big_stack(limit_inside_a_host_function);
    on_big_stack(no_cpu_clock_read_per_call);
    drop();
    return check_summary();
}
