/*
 * The per-call wall-clock bound, in-process.  At the deadline the waiting
 * caller takes the GIL with a thread state of the sandbox's interpreter and
 * (1) raises TimeLimitExceeded (a BaseException) in the sandbox's thread and
 * (2) installs a C trace function there that raises it again on every
 * event, so neither `except BaseException: pass` in a loop nor a `finally`
 * that loops can outlast it (CPYTHON-NOTES.md, "Stopping runaway code").
 * The trace is removed when the next job starts.  A single long C call
 * (9**9**9) checks neither: only the worker process can be killed for it.
 */
#include "internal.h"

int
ocap_timeout_install(ocap_sandbox *sb)
{
    sb->time_limit_exc = PyErr_NewExceptionWithDoc(
        "objcap.TimeLimitExceeded",
        "The call ran past the sandbox's time limit.",
        PyExc_BaseException, NULL);
    return sb->time_limit_exc == NULL ? -1 : 0;
}

static int
raise_on_every_event(PyObject *exc, PyFrameObject *frame, int what,
                     PyObject *arg)
{
    PyErr_SetString(exc, "the call ran past its time limit");
    return -1;
}

/* Called from the waiting caller's thread, without the GIL. */
void
ocap_timeout_interrupt(ocap_sandbox *sb)
{
    PyThreadState *ts = PyThreadState_New(sb->tstate->interp);
    if (ts == NULL) {
        return;
    }
    PyEval_RestoreThread(ts);
    pthread_mutex_lock(&sb->mu);
    int running = sb->job != NULL && !sb->job->done;
    pthread_mutex_unlock(&sb->mu);
    if (running) {
        /* Both are cleared when the next job starts. */
        PyThreadState_SetAsyncExc(sb->thread_ident, sb->time_limit_exc);
        if (_PyEval_SetTrace(sb->tstate, raise_on_every_event,
                             sb->time_limit_exc) < 0) {
            PyErr_Clear();
        }
        atomic_store(&sb->timed_out, 1);
    }
    PyThreadState_Clear(ts);
    PyThreadState_DeleteCurrent();
}

/* On the engine thread, GIL held, before a job runs. */
void
ocap_timeout_reset(ocap_sandbox *sb)
{
    PyThreadState_SetAsyncExc(sb->thread_ident, NULL);
    /* Removing a trace raises sys.settrace: objcap's own, trusted call. */
    ocap_trust_enter();
    if (_PyEval_SetTrace(sb->tstate, NULL, NULL) < 0) {
        PyErr_Clear();
    }
    ocap_trust_leave();
}
