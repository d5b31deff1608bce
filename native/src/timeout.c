/*
 * The per-call wall-clock bound.  At the deadline the waiting caller raises
 * TimeLimitExceeded (a BaseException, so `except Exception` does not catch
 * it) in the sandbox's thread, and repeats that every 100 ms until the call
 * ends.  Code that swallows BaseException in a loop, or a long C call, still
 * outlasts it: the limits issue replaces this with an unsuppressible stop.
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
        /* A stale one is cleared when the next job starts. */
        PyThreadState_SetAsyncExc(sb->thread_ident, sb->time_limit_exc);
        atomic_store(&sb->timed_out, 1);
    }
    PyThreadState_Clear(ts);
    PyThreadState_DeleteCurrent();
}
