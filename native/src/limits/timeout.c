/*
 * The per-call wall-clock bound, in-process.  At the deadline the waiting
 * caller (or the watchdog, for a call run on its caller's thread) takes the
 * GIL with a thread state of the sandbox's interpreter and (1) raises
 * TimeLimitExceeded (a BaseException) in the thread running the call and
 * (2) installs a C trace function there that raises it again on every
 * event, so neither `except BaseException: pass` in a loop nor a `finally`
 * that loops can outlast it (CPYTHON-NOTES.md, "Stopping runaway code").
 * The trace is removed when the next job starts.  A single long C call
 * (9**9**9) checks neither: only the worker process can be killed for it.
 */
#include "base/base.h"
#include "limits/limits.h"

#include <limits.h>

static void set_trace(PyThreadState *ts, Py_tracefunc func, PyObject *arg);
static int raise_on_every_event(PyObject *exc, PyFrameObject *frame, int what,
                                PyObject *arg);

int
ocap_timeout_install(ocap_sandbox *sb)
{
    sb->time_limit_exc = PyErr_NewExceptionWithDoc(
        "objcap.LimitExceeded",
        "The call ran past a limit of its sandbox (time, CPU, output).",
        PyExc_BaseException, NULL);
    if (sb->time_limit_exc == NULL) {
        return -1;
    }
    /* CPython 3.12+ sets up an interpreter's tracing the first time a
       trace goes on, allocating, and 3.13 keeps a failed setup for good:
       done here, before any script exists, it never happens under the
       script's memory limit. */
    set_trace(PyThreadState_Get(), raise_on_every_event, sb->time_limit_exc);
    set_trace(PyThreadState_Get(), NULL, NULL);
    return PyErr_Occurred() ? -1 : 0;
}

const char *
ocap_limit_name(ocap_limit limit)
{
    switch (limit) {
    case OCAP_LIMIT_TIME:
        return "TIME";
    case OCAP_LIMIT_CPU:
        return "CPU";
    case OCAP_LIMIT_MEMORY:
        return "MEMORY";
    case OCAP_LIMIT_OUTPUT:
        return "OUTPUT";
    default:
        return "NONE";
    }
}

static int
raise_on_every_event(PyObject *exc, PyFrameObject *frame, int what,
                     PyObject *arg)
{
    PyErr_SetString(exc, "the call ran past a limit of its sandbox");
    return -1;
}

/* Installs or removes a C trace function.  CPython raises sys.settrace
   for it, which the audit hook refuses a sandbox: this event, with its
   empty arguments, is let through (nothing runs in between). */
#if PY_VERSION_HEX >= 0x030D0000
/* 3.13 no longer exports the per-thread setter: every thread of the
   sandbox's interpreter (the GIL holder's) gets it, one event each.  The
   pass covers them all, however many (a host thread may add a thread state
   without the GIL meanwhile); only C code runs until it ends, and CPython
   3.12+ collects garbage only at the evaluation loop's breaker. */
static void
set_trace(PyThreadState *ts, Py_tracefunc func, PyObject *arg)
{
    ocap_trust_pass outer = ocap_trust_expect_times("sys.settrace", INT_MAX);
    if (PyEval_SetTraceAllThreads(func, arg), PyErr_Occurred()) {
        PyErr_Clear();
    }
    ocap_trust_end(outer);
}
#else
static void
set_trace(PyThreadState *ts, Py_tracefunc func, PyObject *arg)
{
    ocap_trust_pass outer = ocap_trust_expect("sys.settrace", NULL);
    if (_PyEval_SetTrace(ts, func, arg) < 0) {
        PyErr_Clear();
    }
    ocap_trust_end(outer);
}
#endif

/* On the sandbox's own thread (the output cap): stop the call from here. */
void
ocap_limit_stop_here(ocap_sandbox *sb, ocap_limit why)
{
    atomic_store(&sb->limit_hit, why);
    /* CPython reports a trace it could not set as unraisable, on
       sys.stderr: this very output, past its cap, which comes back here
       (on 3.14 each level set one trace per thread: a storm in C that never
       released the GIL, so no time limit could end it). */
    if (!sb->stopping) {
        sb->stopping = 1;
        sb->trace_installed = 1;
        set_trace(PyThreadState_Get(), raise_on_every_event,
                  sb->time_limit_exc);
        sb->stopping = 0;
    }
    PyErr_SetString(sb->time_limit_exc, ocap_limit_name(why));
}

/* Called from the waiting caller's thread or the watchdog, without the
   GIL, as the host: the waiting thread may be inside another sandbox's
   host function, whose audit rules would refuse installing the trace. */
void
ocap_timeout_interrupt(ocap_sandbox *sb, ocap_limit why)
{
    ocap_host_state host;
    if (ocap_host_enter(sb->tstate->interp, &host) < 0) {
        return;
    }
    /* Set and cleared with the GIL held, by the thread running the job. */
    if (sb->running != NULL) {
        /* Both are cleared when the next job starts. */
        PyThreadState_SetAsyncExc(sb->running_ident, sb->time_limit_exc);
        sb->ever_interrupted = 1;
        sb->trace_installed = 1;
        set_trace(sb->running, raise_on_every_event, sb->time_limit_exc);
        int none = OCAP_LIMIT_NONE;
        atomic_compare_exchange_strong(&sb->limit_hit, &none, (int)why);
    }
    ocap_host_leave(&host);
}

/* On the thread about to run a job, GIL held. */
void
ocap_timeout_reset(ocap_sandbox *sb)
{
    /* Walks every thread state of the runtime under its lock (2% of a
       short call), so only once a limit's exception may be pending on one
       of the sandbox's threads; none is before the first. */
    if (sb->ever_interrupted) {
        PyThreadState_SetAsyncExc(sb->running_ident, NULL);
    }
#if PY_VERSION_HEX >= 0x030D0000
    /* Every thread at once, so only after a limit was hit. */
    if (sb->trace_installed) {
        sb->trace_installed = 0;
        set_trace(sb->running, NULL, NULL);
    }
#else
    /* This thread's own: a call may run on another thread than the one
       that hit the limit, and each thread state keeps its trace. */
    set_trace(sb->running, NULL, NULL);
#endif
}
