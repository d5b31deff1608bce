/*
 * A sandbox is a sub-interpreter made on a thread of its own, with a stack
 * sized for its recursion limit.  A call runs on the caller's thread: on
 * its own stack when that has as much room (a Java thread started with
 * -Xss16m, the worker's serving thread), or on 3.14, which checks the real
 * C stack, 512 KiB; otherwise on a large stack of the thread's
 * (base/thread_stack.c), which it leaves again for every call out to the
 * host.  Then there is no hand-off, which was most of a short call's cost,
 * and the watchdog (watchdog.c) enforces its limits.  Where neither can
 * serve (one GIL shared with a call already running on a caller's thread,
 * or no large stack), the caller hands the job to the sandbox's thread and
 * waits, enforcing the limits itself.  Either way one job runs at a time,
 * with a thread state of the sandbox's interpreter, and the GIL and thread
 * states never leave this file.
 */
#include "base/base.h"
#include "values/values.h"
#include "bare/bare.h"
#include "imports/imports.h"
#include "capabilities/capabilities.h"
#include "limits/limits.h"
#include "isolation/isolation.h"
#include "core/core.h"
#include "isolation/protocol.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* CPython 3.11 runs Python-to-Python calls without C recursion, but C
   paths (repr, __getattr__, sort keys...) recurse; budget per level. */
#define STACK_PER_LEVEL (16 * 1024)
#define MIN_STACK (16u * 1024 * 1024)
/* Room left below the budget on a caller's thread: guard pages, the JVM's
   own stack zones, the frames above the call. */
#define STACK_MARGIN (512u * 1024)

/* True on the sandbox's own thread, or on the thread inside one of its
   calls (a worker sandbox delivers output on the caller's thread). */
int
ocap_sandbox_is_own_thread(ocap_sandbox *sb)
{
    if (sb->started == 1 && pthread_equal(pthread_self(), sb->thread)) {
        return 1;
    }
    pthread_t caller = atomic_load(&sb->caller);
    return caller != 0 && pthread_equal(pthread_self(), caller);
}

/* Builds the interpreter's state; runs on the engine thread, GIL held. */
static int
setup_interpreter(ocap_sandbox *sb)
{
    PyObject *main_module = PyImport_AddModule("__main__"); /* borrowed */
    if (main_module == NULL) {
        return -1;
    }
    sb->globals = Py_NewRef(PyModule_GetDict(main_module));
    sb->references = PyDict_New();
    sb->sources = PyDict_New();
    if (sb->references == NULL || sb->sources == NULL) {
        return -1;
    }
    Py_SetRecursionLimit(sb->recursion_limit); /* this interpreter's */
#if PY_VERSION_HEX >= 0x030E0000
    /* 3.14 starts an interpreter without io (and abc), which 3.11 loaded
       at start-up: load them the same way, with CPython's own machinery,
       before objcap hardens the types (set_guard.c wraps abc's) and before
       any script exists.  The io stand-in is made from this io. */
    PyObject *io = PyImport_ImportModule("io");
    if (io == NULL) {
        return -1;
    }
    Py_DECREF(io);
#endif
    if (ocap_output_install(sb) < 0 || ocap_timeout_install(sb) < 0 ||
        ocap_bare_patch_types() < 0 || ocap_importer_install(sb) < 0) {
        return -1;
    }
    /* This thread runs the sandbox's imports and is charged its memory. */
    ocap_trust_set_sandbox(sb);
    /* types.py reads a closure to find the cell type, which the sandbox
       may not; objcap loads it while it builds the interpreter, before
       any code of the script exists in it. */
    PyObject *types = ocap_importer_load_support(sb, "types");
    if (types == NULL || ocap_importer_own_codec_search(sb) < 0 ||
        ocap_standin_preload(sb) < 0) {
        Py_XDECREF(types);
        return -1;
    }
    Py_DECREF(types);
    /* From here on the audit hook and the file-type gates apply to
       everything the interpreter runs, also while it is torn down. */
    return ocap_trust_arm(sb, sb->tstate->interp);
}

/* The sandbox's contextvars and thread-local dict follow it from thread
   to thread: a call sees what the previous call left, whichever thread
   ran that one. */
static void
adopt_state(ocap_sandbox *sb, PyThreadState *ts)
{
    if (sb->context != NULL && ts->context != sb->context) {
        Py_XSETREF(ts->context, Py_NewRef(sb->context));
        ts->context_ver++;
    }
    if (sb->thread_dict != NULL && ts->dict != sb->thread_dict) {
        Py_XSETREF(ts->dict, Py_NewRef(sb->thread_dict));
    }
}

static void
keep_state(ocap_sandbox *sb, PyThreadState *ts)
{
    Py_XSETREF(sb->context, Py_XNewRef(ts->context));
    Py_XSETREF(sb->thread_dict, Py_XNewRef(ts->dict));
}

/* Runs a job on this thread, whose thread state ts holds the GIL. */
static void
run_job_here(ocap_sandbox *sb, ocap_job *job, PyThreadState *ts)
{
    if (ocap_memory_ensure() < 0) {
        job->status = ocap_error_plain(
            OBJCAP_ERR_RUNTIME, "MemoryAccountingLost",
            "something replaced objcap's memory accounting in CPython's "
            "allocators; no call runs without it",
            &job->out, &job->out_len);
        return;
    }
    sb->running = ts;
    sb->running_ident = PyThread_get_thread_ident();
    adopt_state(sb, ts);
    /* Drop a limit's interrupt aimed at an earlier job. */
    ocap_timeout_reset(sb);
    ocap_grants_remove_revoked_values(sb);
    job->status = job->run(sb, job);
    if (PyErr_Occurred()) { /* a job must not leave one behind */
        PyErr_Clear();
    }
    keep_state(sb, ts);
    sb->running = NULL;
}

/* The thread states calling threads used; with the GIL, from another
   thread state of the interpreter. */
static void
forget_caller_states(ocap_sandbox *sb)
{
    for (int i = 0; i < sb->caller_count; i++) {
        PyThreadState_Clear(sb->callers[i].ts);
        PyThreadState_Delete(sb->callers[i].ts);
    }
    sb->caller_count = 0;
}

static void
teardown_interpreter(ocap_sandbox *sb)
{
    forget_caller_states(sb);
    Py_CLEAR(sb->context);
    Py_CLEAR(sb->thread_dict);
    ocap_grants_clear_python(sb);
    ocap_importer_clear(sb);
    Py_CLEAR(sb->globals);
    Py_CLEAR(sb->references);
    Py_CLEAR(sb->sources);
    Py_CLEAR(sb->compiled);
    Py_CLEAR(sb->last_eval_code);
    Py_CLEAR(sb->last_eval_source);
    Py_CLEAR(sb->eval_filename);
    Py_CLEAR(sb->last_name_object);
    Py_CLEAR(sb->time_limit_exc);
    ocap_cap_types_clear(sb); /* last: finalizers above may use them */
}

static void
report_started(ocap_sandbox *sb, int state)
{
    pthread_mutex_lock(&sb->mu);
    sb->started = state;
    pthread_cond_broadcast(&sb->cv);
    pthread_mutex_unlock(&sb->mu);
}

/* Whether sandboxes get a GIL of their own: on 3.12+, unless the host
   set OBJCAP_SHARED_GIL=1 (for comparison, or for an extension module
   that only has single-phase init, which an own-GIL interpreter refuses).
   Never in a worker: it serves one sandbox, which a GIL of its own would
   not speed up, and an own-GIL interpreter took 12-14 ms to create against
   7 ms (3.14). */
static int
own_gil(void)
{
#if OCAP_OWN_GIL
    if (ocap_worker_side) {
        return 0;
    }
    const char *shared = getenv("OBJCAP_SHARED_GIL");
    return shared == NULL || strcmp(shared, "1") != 0;
#else
    return 0;
#endif
}

/*
 * A new sub-interpreter, current on this thread with its GIL held, or
 * NULL (then boot is current again).  Called with boot current.  With a
 * GIL of its own, CPython releases the main interpreter's GIL here; the
 * interpreter also gets its own object allocator (required), refuses
 * single-phase-init extension modules (required with that allocator), and
 * may not fork or exec (nothing in a sandbox should).
 */
static PyThreadState *
new_interpreter(int own, const char **why)
{
    *why = "";
#if OCAP_OWN_GIL
    if (own) {
        PyInterpreterConfig config = {
            .use_main_obmalloc = 0,
            .allow_fork = 0,
            .allow_exec = 0,
            .allow_threads = 1,
            .allow_daemon_threads = 0,
            .check_multi_interp_extensions = 1,
            .gil = PyInterpreterConfig_OWN_GIL,
        };
        PyThreadState *sub = NULL;
        PyStatus st = Py_NewInterpreterFromConfig(&sub, &config);
        if (PyStatus_Exception(st)) {
            *why = st.err_msg != NULL ? st.err_msg : "";
            return NULL;
        }
        return sub;
    }
#endif
    (void)own;
    return Py_NewInterpreter();
}

/*
 * Ends the sub-interpreter (current, its GIL held) and deletes boot.  With
 * a shared GIL, Py_EndInterpreter leaves no current thread state but keeps
 * the GIL (and restoring a thread state there deadlocked on 3.11): boot is
 * swapped in.  With the sandbox's own GIL, that GIL is gone with its
 * interpreter and boot takes the main interpreter's again.  Either way
 * deleting boot releases the GIL.
 */
static void
end_interpreter(ocap_sandbox *sb, PyThreadState *sub, PyThreadState *boot)
{
    Py_EndInterpreter(sub);
    /* Before another interpreter at the same address can be armed: with a
       shared GIL, still holding it; with its own, the interpreter is gone,
       and the table is behind a mutex. */
    ocap_trust_disarm(sb);
    ocap_trust_set_sandbox(NULL);
    if (sb->own_gil) {
        PyEval_RestoreThread(boot);
    }
    else {
        PyThreadState_Swap(boot);
    }
    PyThreadState_Clear(boot);
    PyThreadState_DeleteCurrent();
}

static void *
engine_main(void *arg)
{
    ocap_sandbox *sb = arg;
    /* A thread state of the main interpreter, only to hold the GIL while
       the sub-interpreter is made and ended. */
    PyThreadState *boot = PyThreadState_New(ocap_runtime_main_interpreter());
    if (boot == NULL) {
        snprintf(sb->start_error, sizeof sb->start_error,
                 "cannot create a thread state");
        report_started(sb, -1);
        return NULL;
    }
    PyEval_RestoreThread(boot);
    sb->own_gil = own_gil();
    const char *why_not = "";
    PyThreadState *sub = new_interpreter(sb->own_gil, &why_not);
    if (sub == NULL) {
        PyThreadState_Swap(boot);
        PyErr_Clear();
        PyThreadState_Clear(boot);
        PyThreadState_DeleteCurrent();
        snprintf(sb->start_error, sizeof sb->start_error,
                 "cannot create a sub-interpreter%s%s", *why_not ? ": " : "",
                 why_not);
        report_started(sb, -1);
        return NULL;
    }
    sb->tstate = sub;
    if (setup_interpreter(sb) < 0) {
        /* No script exists yet: the exception is objcap's or CPython's. */
        char why[200] = "";
        PyObject *exc = PyErr_GetRaisedException_compat();
        PyObject *text = exc ? PyObject_Str(exc) : NULL;
        const char *utf8 = text ? PyUnicode_AsUTF8(text) : NULL;
        if (exc != NULL) {
            snprintf(why, sizeof why, ": %s: %s", Py_TYPE(exc)->tp_name,
                     utf8 ? utf8 : "");
        }
        Py_XDECREF(text);
        Py_XDECREF(exc);
        PyErr_Clear();
        teardown_interpreter(sb);
        end_interpreter(sb, sub, boot);
        snprintf(sb->start_error, sizeof sb->start_error,
                 "cannot set up the sandbox's interpreter%s", why);
        report_started(sb, -1);
        return NULL;
    }
    PyEval_SaveThread();
    report_started(sb, 1);

    pthread_mutex_lock(&sb->mu);
    for (;;) {
        while (sb->job == NULL && !sb->stop) {
            pthread_cond_wait(&sb->cv, &sb->mu);
        }
        if (sb->job == NULL) {
            break;
        }
        ocap_job *job = sb->job;
        pthread_mutex_unlock(&sb->mu);

        PyEval_RestoreThread(sub);
        run_job_here(sb, job, sub);
        PyEval_SaveThread();

        pthread_mutex_lock(&sb->mu);
        job->done = 1;
        sb->job = NULL;
        pthread_cond_broadcast(&sb->cv);
    }
    pthread_mutex_unlock(&sb->mu);

    PyEval_RestoreThread(sub);
    teardown_interpreter(sb);
    end_interpreter(sb, sub, boot);
    return NULL;
}

/* Takes over *policy (it is cleared here, whatever the outcome). */
objcap_status
ocap_sandbox_new(const ocap_limits *limits, ocap_policy *policy,
                 objcap_output_fn on_output, void *user, ocap_sandbox **out,
                 char *msg, size_t msg_size)
{
    ocap_sandbox *sb = calloc(1, sizeof *sb);
    if (sb == NULL) {
        ocap_policy_clear(policy);
        return OBJCAP_ERR_NOMEM;
    }
    sb->policy = *policy;
    memset(policy, 0, sizeof *policy);
    sb->recursion_limit = limits->recursion_limit;
    sb->timeout_ms = limits->timeout_ms;
    sb->cpu_ms = limits->cpu_ms;
    sb->max_output = limits->max_output;
    sb->memory_limit = limits->memory_limit;
    sb->max_result = limits->max_result;
    int recursion_limit = limits->recursion_limit;
    sb->on_output = on_output;
    sb->user = user;
    size_t stack = (size_t)recursion_limit * STACK_PER_LEVEL;
    sb->stack_size = stack < MIN_STACK ? MIN_STACK : stack;
    pthread_mutex_init(&sb->mu, NULL);
    /* Deadlines are measured on the monotonic clock, immune to clock
       changes; the condition variable must wait on the same clock. */
    pthread_condattr_t cattr;
    pthread_condattr_init(&cattr);
    pthread_condattr_setclock(&cattr, CLOCK_MONOTONIC);
    pthread_cond_init(&sb->cv, &cattr);
    pthread_condattr_destroy(&cattr);
    pthread_mutex_init(&sb->call_mu, NULL);
    pthread_mutex_init(&sb->denials_mu, NULL);
    ocap_grants_init(sb);

    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, sb->stack_size);
    int rc = pthread_create(&sb->thread, &attr, engine_main, sb);
    pthread_attr_destroy(&attr);
    if (rc != 0) {
        snprintf(msg, msg_size, "cannot start the sandbox thread: %s",
                 strerror(rc));
        ocap_sandbox_free(sb);
        return rc == EAGAIN ? OBJCAP_ERR_NOMEM : OBJCAP_ERR_RUNTIME;
    }
    pthread_mutex_lock(&sb->mu);
    while (sb->started == 0) {
        pthread_cond_wait(&sb->cv, &sb->mu);
    }
    pthread_mutex_unlock(&sb->mu);
    if (sb->started < 0) {
        pthread_join(sb->thread, NULL);
        snprintf(msg, msg_size, "%s", sb->start_error);
        sb->started = 0;
        ocap_sandbox_free(sb);
        return OBJCAP_ERR_RUNTIME;
    }
    *out = sb;
    return OBJCAP_OK;
}

objcap_status
ocap_sandbox_new_remote(ocap_remote *remote, objcap_output_fn on_output,
                        void *user, ocap_sandbox **out)
{
    ocap_sandbox *sb = calloc(1, sizeof *sb);
    if (sb == NULL) {
        return OBJCAP_ERR_NOMEM;
    }
    sb->remote = remote;
    sb->on_output = on_output;
    sb->user = user;
    pthread_mutex_init(&sb->mu, NULL);
    pthread_cond_init(&sb->cv, NULL);
    pthread_mutex_init(&sb->call_mu, NULL);
    pthread_mutex_init(&sb->denials_mu, NULL);
    ocap_grants_init(sb);
    ocap_remote_set_owner(remote, sb);
    *out = sb;
    return OBJCAP_OK;
}

/* Stops the engine thread (ending the interpreter) and frees the sandbox. */
void
ocap_sandbox_free(ocap_sandbox *sb)
{
    ocap_remote_destroy(sb->remote);
    if (sb->started == 1) {
        pthread_mutex_lock(&sb->mu);
        sb->stop = 1;
        pthread_cond_broadcast(&sb->cv);
        pthread_mutex_unlock(&sb->mu);
        pthread_join(sb->thread, NULL);
    }
    pthread_mutex_destroy(&sb->mu);
    pthread_cond_destroy(&sb->cv);
    pthread_mutex_destroy(&sb->call_mu);
    pthread_mutex_destroy(&sb->denials_mu);
    ocap_grants_free(sb);
    ocap_policy_clear(&sb->policy);
    free(sb);
}

static void
deadline_after(struct timespec *ts, int64_t ms)
{
    clock_gettime(CLOCK_MONOTONIC, ts);
    ts->tv_sec += ms / 1000;
    ts->tv_nsec += (ms % 1000) * 1000000L;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

static int64_t
thread_cpu_ms(pthread_t thread)
{
    clockid_t clock;
    struct timespec ts;
    if (pthread_getcpuclockid(thread, &clock) != 0 ||
        clock_gettime(clock, &ts) != 0) {
        return 0;
    }
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Waits for the job.  With a time or CPU limit it wakes every 10 ms to
 * check both; past either it interrupts the call, and keeps interrupting
 * every 100 ms until the call gives up.
 */
static void
wait_for_job(ocap_sandbox *sb, ocap_job *job)
{
    pthread_mutex_lock(&sb->mu);
    if (sb->timeout_ms <= 0 && sb->cpu_ms <= 0) {
        while (!job->done) {
            pthread_cond_wait(&sb->cv, &sb->mu);
        }
        pthread_mutex_unlock(&sb->mu);
        return;
    }
    struct timespec start, next;
    clock_gettime(CLOCK_MONOTONIC, &start);
    int64_t cpu_start = sb->cpu_ms > 0 ? thread_cpu_ms(sb->thread) : 0;
    int64_t interrupted_at = -1;
    while (!job->done) {
        deadline_after(&next, 10);
        pthread_cond_timedwait(&sb->cv, &sb->mu, &next);
        if (job->done) {
            break;
        }
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        int64_t elapsed = (int64_t)(now.tv_sec - start.tv_sec) * 1000 +
            (now.tv_nsec - start.tv_nsec) / 1000000;
        ocap_limit why = OCAP_LIMIT_NONE;
        if (ocap_memory_ensure() < 0) {
            why = OCAP_LIMIT_MEMORY;
        }
        else if (sb->timeout_ms > 0 && elapsed >= sb->timeout_ms) {
            why = OCAP_LIMIT_TIME;
        }
        else if (sb->cpu_ms > 0 &&
                 thread_cpu_ms(sb->thread) - cpu_start >= sb->cpu_ms) {
            why = OCAP_LIMIT_CPU;
        }
        if (why != OCAP_LIMIT_NONE &&
            (interrupted_at < 0 || elapsed - interrupted_at >= 100)) {
            interrupted_at = elapsed;
            pthread_mutex_unlock(&sb->mu);
            ocap_timeout_interrupt(sb, why);
            pthread_mutex_lock(&sb->mu);
        }
    }
    pthread_mutex_unlock(&sb->mu);
}

static void
set_caller(ocap_sandbox *sb, int inside)
{
    atomic_store(&sb->caller, inside ? pthread_self() : (pthread_t)0);
}

/* A job for a worker sandbox: the same request, as a frame. */
static objcap_status
run_remote(ocap_sandbox *sb, ocap_job *job)
{
    uint8_t reference[8];
    for (int i = 0; i < 8; i++) {
        reference[i] = (uint8_t)(job->reference >> (8 * i));
    }
    if (job->fields != NULL) {
        return ocap_remote_call(sb->remote, job->remote_type, job->fields,
                                job->field_count, sb->on_output, sb->user,
                                &job->out, &job->out_len);
    }
    ocap_field fields[2];
    size_t count = 0;
    if (job->remote_type == OCAP_REQ_RELEASE) {
        fields[count++] = (ocap_field){reference, sizeof reference};
    }
    if (job->text != NULL) {
        fields[count++] = (ocap_field){job->text, job->text_len};
    }
    if (job->filename != NULL) {
        fields[count++] = (ocap_field){job->filename, job->filename_len};
    }
    if (job->value != NULL) {
        fields[count++] = (ocap_field){job->value, job->value_len};
    }
    return ocap_remote_call(sb->remote, job->remote_type, fields, count,
                            sb->on_output, sb->user, &job->out, &job->out_len);
}

#if PY_VERSION_HEX >= 0x030E0000
/*
 * 3.14 raises RecursionError where the C stack runs low, in every C path
 * that recurses (no two checks more than 16 KiB of stack apart), instead of
 * counting levels: a caller's thread needs no room for the whole recursion
 * budget, only the stack CPython is told it may use.  CPython would read
 * the thread's bounds, which for a Java thread include the JVM's guard
 * zones at the bottom; objcap puts the bottom CALLER_RESERVE higher, so
 * that the zones, a signal handler's frame and a host function's Java code
 * (the JVM wants its shadow pages free below a Java frame, or throws
 * StackOverflowError, which the host-function callback turns into an
 * error in the script) always have that much.
 */
#define CALLER_RESERVE (256u * 1024)
#define CALLER_MIN_ROOM (CALLER_RESERVE + 256u * 1024)

static void
protect_caller_stack(PyThreadState *ts)
{
    char *low, *high;
    ocap_stack_bounds(&low, &high);
    /* ocap_sandbox_run checked the room: more than the 48 KiB minimum. */
    (void)PyUnstable_ThreadState_SetStackProtection(
        ts, low + CALLER_RESERVE, (size_t)(high - low) - CALLER_RESERVE);
}

/* Enough room to run the call here. */
static int
caller_has_room(ocap_sandbox *sb)
{
    char *low, *high;
    ocap_stack_bounds(&low, &high);
    return low != NULL && ocap_stack_room() >= CALLER_MIN_ROOM;
}
#else
/* 3.11 counts levels; C paths recurse by the recursion limit. */
static int
caller_has_room(ocap_sandbox *sb)
{
    return ocap_stack_room() >= sb->stack_size + STACK_MARGIN;
}
#endif

/*
 * This thread's thread state of the sandbox's interpreter, kept between
 * calls (making one per call costs more than the call: its frame stack is
 * mapped and unmapped each time).  A thread id reused by a new thread gets
 * the old state, whose id is then right again.  The oldest of a full set
 * is dropped.  With call_mu held, without the GIL; *evicted receives a
 * state to delete once the GIL is held.
 */
static PyThreadState *
caller_state(ocap_sandbox *sb, PyThreadState **evicted,
             PyThreadState **placeholder)
{
    *evicted = NULL;
    *placeholder = NULL;
    pthread_t self = pthread_self();
    for (int i = 0; i < sb->caller_count; i++) {
        if (pthread_equal(sb->callers[i].thread, self)) {
            return sb->callers[i].ts;
        }
    }
    /* CPython makes the first thread state of a thread that thread's
       PyGILState state; a sandbox's must never be one (PyGILState_Ensure
       would run code in the sandbox, or in freed memory once this state is
       deleted from another thread).  A placeholder of the main interpreter
       takes that place first; deleting it (once the GIL is held) leaves
       the place empty again. */
    if (PyGILState_GetThisThreadState() == NULL) {
        *placeholder = PyThreadState_New(ocap_runtime_main_interpreter());
    }
    PyThreadState *ts = PyThreadState_New(sb->tstate->interp);
    if (ts == NULL) {
        return NULL;
    }
    int slot = sb->caller_count;
    if (slot == OCAP_CALLER_STATES) {
        slot = sb->caller_next;
        sb->caller_next = (sb->caller_next + 1) % OCAP_CALLER_STATES;
        *evicted = sb->callers[slot].ts;
    }
    else {
        sb->caller_count++;
    }
    sb->callers[slot].thread = self;
    sb->callers[slot].ts = ts;
    return ts;
}

#if PY_VERSION_HEX >= 0x030C0000
/*
 * 3.12+ makes every thread state it activates its thread's PyGILState state
 * (tstate_activate), unbinding the previous one with a write into it.  A
 * caller's state of a sandbox must never stay one: it is deleted later
 * from another thread (an eviction, the interpreter's end), which leaves
 * this thread's PyGILState pointer dangling, and the next activation on
 * this thread clears a bit in freed memory (in CI it turned a JVM symbol's
 * "Help" into "Hedp").  Marked bound while attached, CPython leaves the
 * binding alone; unmarked after, its deletion unbinds nothing.
 */
static void
keep_gilstate(PyThreadState *ts, int attached)
{
    ts->_status.bound_gilstate = attached ? 1 : 0;
}
#endif

/*
 * Runs the job on the calling thread; the thread is the sandbox's for the
 * call's duration (audit hook, memory accounting).  -1 if it cannot (then
 * nothing ran).
 */
static int
run_on_caller(ocap_sandbox *sb, ocap_job *job)
{
    ocap_watch watch;
    int watched = sb->timeout_ms > 0 || sb->cpu_ms > 0;
    if (watched && ocap_watch_start(&watch, sb) < 0) {
        return -1;
    }
    ocap_sandbox *outer = ocap_trust_sandbox();
    ocap_trust_set_sandbox(sb);
    PyThreadState *evicted, *placeholder;
    PyThreadState *ts = caller_state(sb, &evicted, &placeholder);
    if (placeholder != NULL) {
        /* Deleting it empties this thread's place again; a state of the
           main interpreter, so under that interpreter's GIL (with its own
           GIL, not the sandbox's). */
        PyEval_RestoreThread(placeholder);
        PyThreadState_Clear(placeholder);
        PyThreadState_DeleteCurrent();
    }
    if (ts == NULL) {
        ocap_trust_set_sandbox(outer);
        if (watched) {
            ocap_watch_stop(&watch);
        }
        return -1;
    }
#if PY_VERSION_HEX >= 0x030C0000
    keep_gilstate(ts, 1);
#endif
    PyEval_RestoreThread(ts);
#if PY_VERSION_HEX >= 0x030E0000
    /* Each time: a state kept for a thread id may meet a new thread, or
       the thread be on its large stack.  Before anything runs in it (the
       evicted state's clearing may run finalizers). */
    protect_caller_stack(ts);
#endif
    if (evicted != NULL) {
        PyThreadState_Clear(evicted);
        PyThreadState_Delete(evicted);
    }
    run_job_here(sb, job, ts);
    PyEval_SaveThread();
#if PY_VERSION_HEX >= 0x030C0000
    keep_gilstate(ts, 0);
#endif
    ocap_trust_set_sandbox(outer);
    if (watched) {
        ocap_watch_stop(&watch);
    }
    return 0;
}

typedef struct {
    ocap_sandbox *sb;
    ocap_job *job;
    int rc;
} caller_run;

static void
run_on_caller_there(void *arg)
{
    caller_run *run = arg;
    run->rc = run_on_caller(run->sb, run->job);
}

/*
 * Runs the job on the calling thread, on the thread's large stack
 * (base/thread_stack.c) sized as the sandbox's own thread's: the caller's
 * stack is too small for the recursion budget.  -1 if it cannot.
 */
static int
run_on_large_stack(ocap_sandbox *sb, ocap_job *job)
{
    caller_run run = {sb, job, -1};
    if (ocap_stack_run_large(sb->stack_size + STACK_MARGIN,
                             run_on_caller_there, &run) < 0) {
        return -1;
    }
    return run.rc;
}

objcap_status
ocap_sandbox_run(ocap_sandbox *sb, ocap_job *job)
{
    if (ocap_sandbox_is_own_thread(sb)) {
        return ocap_error_plain(OBJCAP_ERR_STATE, "ReentrantCall",
                                "a sandbox cannot be called from inside its "
                                "own output callback or host function",
                                &job->out, &job->out_len);
    }
    if (sb->remote != NULL) {
        pthread_mutex_lock(&sb->call_mu);
        set_caller(sb, 1);
        objcap_status st = run_remote(sb, job);
        set_caller(sb, 0);
        pthread_mutex_unlock(&sb->call_mu);
        return st;
    }
    pthread_mutex_lock(&sb->call_mu);
    atomic_store(&sb->limit_hit, OCAP_LIMIT_NONE);
    sb->output_used = 0;
    job->done = 0;
    int ran = 0;
    /* With one GIL for all (3.11, OBJCAP_SHARED_GIL), one caller-thread
       call at a time: the watchdog must take the GIL to interrupt one, and
       3.11 asks the thread waiting for the GIL, not the one holding it, to
       drop it, so a second caller's loop would keep the watchdog (and both
       calls) waiting forever.  The others hand off, and their waiters stop
       their own sandboxes. */
    static atomic_int shared_gil_caller;
    int shared = !sb->own_gil;
    if (!shared || atomic_exchange(&shared_gil_caller, 1) == 0) {
        set_caller(sb, 1);
        ran = (caller_has_room(sb) ? run_on_caller(sb, job)
                                   : run_on_large_stack(sb, job)) == 0;
        set_caller(sb, 0);
        if (shared) {
            atomic_store(&shared_gil_caller, 0);
        }
    }
    if (!ran) {
        pthread_mutex_lock(&sb->mu);
        sb->job = job;
        pthread_cond_broadcast(&sb->cv);
        pthread_mutex_unlock(&sb->mu);
        wait_for_job(sb, job);
    }
    objcap_status status = job->status;
    ocap_limit hit = (ocap_limit)atomic_load(&sb->limit_hit);
    if (hit != OCAP_LIMIT_NONE) {
        static const char *const what[] = {
            "", "the call ran past its time limit",
            "the call used more CPU time than its limit",
            "the sandbox ran out of its memory limit",
            "the call wrote more output than its limit; the rest was cut"};
        free(job->out);
        job->out = NULL;
        status = ocap_error_plain(OBJCAP_ERR_LIMIT, ocap_limit_name(hit),
                                  what[hit], &job->out, &job->out_len);
    }
    pthread_mutex_unlock(&sb->call_mu);
    return status;
}
