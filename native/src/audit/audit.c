/*
 * Layer 3: the audit hook (PEP 578), installed before CPython starts so it
 * covers every interpreter; Python has no API to remove it.  In an armed
 * sandbox's interpreter (trust.c) every event is denied unless it is known
 * to reach no resource (fail-safe), whatever C code is below, and
 * attribute reads that lead out of the sandbox's scope fail as missing
 * attributes.  The only exception is the one event objcap's own C code
 * announced, with its exact argument (ocap_trust_expect).
 */
#include "base/base.h"
#include "imports/imports.h"
#include "audit/audit.h"

#include <stdio.h>
#include <string.h>

/* Events that ordinary code raises and that reach no resource. */
static const char *const allowed_events[] = {
    "compile",
    "exec",
    "builtins.id",
    "array.__new__",
    "object.__delattr__",
    "sys.unraisablehook",
    "sys.excepthook",
    "time.sleep",
    "cpython.PyInterpreterState_Clear",
    NULL};

/* Attribute reads that reach frames, module globals or closures. */
static const char *const hidden_attributes[] = {
    "__globals__", "__builtins__", "__closure__", "tb_frame",
    "gi_frame",    "cr_frame",     "ag_frame",    "f_back",
    "f_globals",   "f_builtins",   "f_locals",    NULL};

static int
in_list(const char *name, const char *const *list)
{
    for (; *list != NULL; list++) {
        if (strcmp(name, *list) == 0) {
            return 1;
        }
    }
    return 0;
}

/* The attribute name of an object.__getattr__/__setattr__ event. */
static const char *
event_attribute(PyObject *args, PyObject **target)
{
    if (!PyTuple_Check(args) || PyTuple_GET_SIZE(args) < 2) {
        return NULL;
    }
    *target = PyTuple_GET_ITEM(args, 0);
    PyObject *name = PyTuple_GET_ITEM(args, 1);
    return PyUnicode_Check(name) ? PyUnicode_AsUTF8(name) : NULL;
}

/* Standard-library code probes with getattr(f, '__globals__', default)
   (inspect.signature, typing.get_type_hints): still refused, but not
   reported as something the script tried, when the innermost frame runs
   a module objcap loaded (in its own globals, which a script cannot fake)
   and that code itself names the attribute.  This affects the log only. */
static int
probed_by_stdlib(ocap_sandbox *sb, const char *attribute)
{
    return attribute != NULL && ocap_support_stdlib_probe(sb, attribute);
}

static int
deny(ocap_sandbox *sb, PyObject *exc_type, const char *event,
     const char *detail)
{
    char what[96];
    snprintf(what, sizeof what, "%s%s%s", event, detail ? " " : "",
             detail ? detail : "");
    if (exc_type != PyExc_AttributeError || !probed_by_stdlib(sb, detail)) {
        ocap_sandbox_count_denial(sb, what);
    }
    if (exc_type == PyExc_AttributeError) {
        PyErr_Format(PyExc_AttributeError,
                     "'%s' is not available in this sandbox", detail);
    }
    else {
        PyErr_Format(PyExc_PermissionError,
                     "%s is not allowed in this sandbox", event);
    }
    return -1;
}

static int
audit_hook(const char *event, PyObject *args, void *unused)
{
    ocap_sandbox *sb = ocap_trust_armed_sandbox();
    if (sb == NULL || ocap_trust_take_expected(event, args)) {
        return 0; /* the host's interpreter, or objcap's own one event */
    }
    if (strcmp(event, "object.__getattr__") == 0) {
        PyObject *target = NULL;
        const char *name = event_attribute(args, &target);
        if (name == NULL) {
            PyErr_Clear();
            return deny(sb, PyExc_AttributeError, event, "attribute");
        }
        if (in_list(name, hidden_attributes)) {
            return deny(sb, PyExc_AttributeError, event, name);
        }
        return 0;
    }
    if (strcmp(event, "object.__setattr__") == 0) {
        /* Swapping a function's code runs new code with its globals. */
        PyObject *target = NULL;
        const char *name = event_attribute(args, &target);
        if (name == NULL ||
            (PyFunction_Check(target) && strcmp(name, "__code__") == 0)) {
            PyErr_Clear();
            return deny(sb, PyExc_PermissionError,
                        "setting a function's __code__", NULL);
        }
        return 0;
    }
    if (strcmp(event, "exec") == 0 && PyTuple_Check(args) &&
        PyTuple_GET_SIZE(args) >= 1 &&
        ocap_support_code_contains(sb, PyTuple_GET_ITEM(args, 0))) {
        /* A module's code run again in globals of the caller's choosing
           would speak for that module (support_code.c). */
        return deny(sb, PyExc_PermissionError,
                    "exec of a standard-library code object", NULL);
    }
    if (in_list(event, allowed_events)) {
        return 0;
    }
    if (sb->compiling_host_text && strcmp(event, "open") == 0) {
        /* CPython's own look for a SyntaxError's line: refused, but not
           something the script tried. */
        PyErr_SetString(PyExc_PermissionError,
                        "open is not allowed in this sandbox");
        return -1;
    }
    return deny(sb, PyExc_PermissionError, event, NULL);
}

int
ocap_audit_install(void)
{
    return PySys_AddAuditHook(audit_hook, NULL);
}
