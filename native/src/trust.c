/*
 * Which thread runs which sandbox, and whether objcap's own C code is on
 * the stack.  Trust is a property of the C path, never of a Python frame or
 * file name: Python code called back from a trusted path is not trusted
 * (a confused deputy), so trust is only held around C calls that run no
 * sandbox-controlled Python.
 */
#include "internal.h"

#include <string.h>

static _Thread_local ocap_sandbox *current_sandbox;
static _Thread_local int trusted_depth;

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

/*
 * Takes the GIL on a thread state of interp made for the purpose, as the
 * host: never through PyGILState (a thread that ran a sandbox's call on its
 * own stack must not land in that sandbox), and with no sandbox named on
 * this thread (it may be inside one's host function, whose audit rules
 * would then apply).  -1 if no thread state could be made.
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

void
ocap_trust_enter(void)
{
    trusted_depth++;
}

void
ocap_trust_leave(void)
{
    trusted_depth--;
}

int
ocap_trust_is_trusted(void)
{
    return trusted_depth > 0;
}

/*
 * One audit event that objcap's own C code is about to cause (loading a
 * whitelisted extension raises "import" before its init runs).  It is
 * allowed once, for exactly that first argument, and nothing the module's
 * init does afterwards rides on it.
 */
static _Thread_local const char *expected_event;
static _Thread_local PyObject *expected_arg;

void
ocap_trust_expect(const char *event, PyObject *arg)
{
    expected_event = event;
    expected_arg = arg;
}

int
ocap_trust_take_expected(const char *event, PyObject *args)
{
    if (expected_event == NULL || strcmp(event, expected_event) != 0 ||
        !PyTuple_Check(args) || PyTuple_GET_SIZE(args) < 1) {
        return 0;
    }
    int same = PyObject_RichCompareBool(PyTuple_GET_ITEM(args, 0),
                                        expected_arg, Py_EQ);
    if (same != 1) {
        PyErr_Clear();
        return 0;
    }
    expected_event = NULL;
    expected_arg = NULL;
    return 1;
}
