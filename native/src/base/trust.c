/*
 * Which sandbox a thread and an interpreter belong to, and the one-shot
 * passes through the audit hook that objcap's own C code takes.
 *
 * There is no "trusted" state of a thread: the audit hook and the file
 * gates never stand down while Python code could run.  An interpreter is
 * armed once objcap has built it, and from then on every event raised in
 * it is the sandbox's, whichever thread raises it and whatever objcap's C
 * code is doing below (a codec, a finalizer or a weakref callback run
 * there runs with the script's authority only).  objcap's own code builds
 * file objects through the types' original slots (bare.c), not through a
 * lowered gate, and lets exactly one event through for an exact argument
 * where CPython raises one on its behalf (ocap_trust_expect).
 */
#include "base/base.h"

#include <string.h>

static _Thread_local ocap_sandbox *current_sandbox;

void
ocap_trust_set_sandbox(ocap_sandbox *sb)
{
    current_sandbox = sb;
}

ocap_sandbox *
ocap_trust_sandbox(void)
{
    return current_sandbox;
}

/* ---- armed interpreters ---- */

#define MAX_ARMED 4096

static pthread_mutex_t armed_mu = PTHREAD_MUTEX_INITIALIZER;
static struct {
    PyInterpreterState *interp;
    ocap_sandbox *sb;
} armed[MAX_ARMED];
static size_t armed_count;

int
ocap_trust_arm(ocap_sandbox *sb, PyInterpreterState *interp)
{
    if (sb == NULL || interp == NULL) {
        return -1;
    }
    pthread_mutex_lock(&armed_mu);
    int rc = -1;
    if (armed_count < MAX_ARMED) {
        armed[armed_count].interp = interp;
        armed[armed_count].sb = sb;
        armed_count++;
        atomic_store(&sb->armed_interp, interp);
        rc = 0;
    }
    pthread_mutex_unlock(&armed_mu);
    return rc;
}

void
ocap_trust_disarm(ocap_sandbox *sb)
{
    pthread_mutex_lock(&armed_mu);
    for (size_t i = 0; i < armed_count; i++) {
        if (armed[i].sb == sb) {
            armed[i] = armed[--armed_count];
            break;
        }
    }
    atomic_store(&sb->armed_interp, NULL);
    pthread_mutex_unlock(&armed_mu);
}

/*
 * The armed sandbox whose interpreter runs on this thread now, or NULL for
 * the host's own interpreter and a sandbox objcap is still building.  The
 * thread's sandbox answers without a lock; any other thread state of an
 * armed interpreter (the host's own, made to interrupt a call) is found in
 * the table.  GIL held.
 */
ocap_sandbox *
ocap_trust_armed_sandbox(void)
{
    PyInterpreterState *interp = PyInterpreterState_Get();
    ocap_sandbox *sb = current_sandbox;
    if (sb != NULL && atomic_load(&sb->armed_interp) == interp) {
        return sb;
    }
    ocap_sandbox *found = NULL;
    pthread_mutex_lock(&armed_mu);
    for (size_t i = 0; i < armed_count; i++) {
        if (armed[i].interp == interp) {
            found = armed[i].sb;
            break;
        }
    }
    pthread_mutex_unlock(&armed_mu);
    return found;
}

/*
 * Takes the GIL on a thread state of interp made for the purpose, as the
 * host: never through PyGILState (a thread that ran a sandbox's call on its
 * own stack must not land in that sandbox), and with no sandbox named on
 * this thread (it may be inside one's host function).  The interpreter's
 * own rules still apply to what happens there: an armed one stays armed.
 * -1 if no thread state could be made.
 */
int
ocap_host_enter(PyInterpreterState *interp, ocap_host_state *h)
{
    h->outer = current_sandbox;
    h->ts = PyThreadState_New(interp);
    if (h->ts == NULL) {
        return -1;
    }
    current_sandbox = NULL;
    PyEval_RestoreThread(h->ts);
    return 0;
}

void
ocap_host_leave(ocap_host_state *h)
{
    PyThreadState_Clear(h->ts);
    PyThreadState_DeleteCurrent(); /* and the GIL */
    current_sandbox = h->outer;
}

/* ---- one-shot passes ---- */

/*
 * One audit event that objcap's own C code is about to cause, with the
 * exact first argument it will carry: the name of a whitelisted extension
 * ("import"), objcap's marshal data or code object ("marshal.loads",
 * "marshal.dumps"), or no argument at all ("sys.settrace").  The hook lets
 * the first matching event through and forgets the pass; anything that
 * runs before or after (a finalizer the collector runs while CPython builds
 * the event's arguments, the module's init) meets the full rules.  Matching
 * compares in C only: no __eq__ or __hash__ of anything runs.
 */
static _Thread_local ocap_trust_pass expected;

/* A pass replaces the thread's current one, which the caller puts back
   when its call returns (ocap_trust_end): objcap code that takes a pass
   may run inside another's call (a finalizer importing an extension
   while a cached module is unmarshalled). */
ocap_trust_pass
ocap_trust_expect(const char *event, PyObject *first_arg)
{
    ocap_trust_pass outer = expected;
    memset(&expected, 0, sizeof expected);
    expected.event = event;
    expected.object = first_arg;
    expected.no_arguments = event != NULL && first_arg == NULL;
    return outer;
}

/* `times` events with no arguments (CPython 3.13+ sets a trace function
   on each thread of an interpreter with one event each). */
ocap_trust_pass
ocap_trust_expect_times(const char *event, int times)
{
    ocap_trust_pass outer = ocap_trust_expect(event, NULL);
    expected.times = times > 1 ? times - 1 : 0;
    return outer;
}

ocap_trust_pass
ocap_trust_expect_bytes(const char *event, const void *data, size_t len)
{
    ocap_trust_pass outer = expected;
    memset(&expected, 0, sizeof expected);
    expected.event = event;
    expected.bytes = data;
    expected.len = len;
    return outer;
}

/*
 * objcap's marshal.dumps of a code object.  CPython 3.11 sorts the
 * elements of each frozenset constant by their own marshal.dumps, one
 * event each: so the pass covers the code object once and, until cleared,
 * plain constants (nothing a script could gain by serializing).
 */
ocap_trust_pass
ocap_trust_expect_dump(PyObject *code)
{
    ocap_trust_pass outer = expected;
    memset(&expected, 0, sizeof expected);
    expected.event = "marshal.dumps";
    expected.object = code;
    expected.constants_too = 1;
    return outer;
}

void
ocap_trust_end(ocap_trust_pass outer)
{
    expected = outer;
}

/* A constant that marshal can hold: no code, no user type. */
static int
plain_constant(PyObject *o, int depth)
{
    if (o == Py_None || o == Py_Ellipsis || PyBool_Check(o) ||
        PyLong_CheckExact(o) || PyFloat_CheckExact(o) ||
        PyComplex_CheckExact(o) || PyUnicode_CheckExact(o) ||
        PyBytes_CheckExact(o)) {
        return 1;
    }
    if (depth > 16 || !(PyTuple_CheckExact(o) || PyFrozenSet_CheckExact(o))) {
        return 0;
    }
    if (PyTuple_CheckExact(o)) {
        for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(o); i++) {
            if (!plain_constant(PyTuple_GET_ITEM(o, i), depth + 1)) {
                return 0;
            }
        }
        return 1;
    }
    /* An exact frozenset's iterator runs no Python. */
    PyObject *it = PyObject_GetIter(o);
    PyObject *item;
    int plain = it != NULL;
    while (plain && (item = PyIter_Next(it)) != NULL) {
        plain = plain_constant(item, depth + 1);
        Py_DECREF(item);
    }
    Py_XDECREF(it);
    if (PyErr_Occurred()) {
        PyErr_Clear();
        plain = 0;
    }
    return plain;
}

static int
matches(PyObject *args)
{
    if (!PyTuple_Check(args)) {
        return 0;
    }
    if (expected.no_arguments) {
        return PyTuple_GET_SIZE(args) == 0;
    }
    if (PyTuple_GET_SIZE(args) < 1) {
        return 0;
    }
    PyObject *first = PyTuple_GET_ITEM(args, 0);
    if (expected.bytes != NULL) {
        return PyBytes_CheckExact(first) &&
            (size_t)PyBytes_GET_SIZE(first) == expected.len &&
            memcmp(PyBytes_AS_STRING(first), expected.bytes, expected.len) ==
            0;
    }
    if (first == expected.object) {
        return 1;
    }
    if (expected.constants_too) {
        return plain_constant(first, 0);
    }
    return PyUnicode_CheckExact(first) && expected.object != NULL &&
        PyUnicode_CheckExact(expected.object) &&
        PyUnicode_Compare(first, expected.object) == 0;
}

int
ocap_trust_take_expected(const char *event, PyObject *args)
{
    if (expected.event == NULL || strcmp(event, expected.event) != 0 ||
        !matches(args)) {
        return 0;
    }
    if (expected.constants_too) {
        expected.object = NULL; /* the code object once; constants go on */
    }
    else if (expected.times > 0) {
        expected.times--;
    }
    else {
        memset(&expected, 0, sizeof expected);
    }
    return 1;
}
