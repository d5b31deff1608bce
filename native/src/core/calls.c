/*
 * The jobs behind exec, eval, call, set, get and release.  Each runs on the
 * sandbox's thread with the GIL held and leaves either a value or an error
 * description in job->out.
 */
#include "values/values.h"
#include "core/core.h"

#include <string.h>

#define EVAL_FILENAME "<eval>"

static objcap_status
fail_python(ocap_sandbox *sb, ocap_job *job)
{
    return ocap_error_from_python(sb, &job->out, &job->out_len);
}

static objcap_status
fail_value(objcap_status st, ocap_sandbox *sb, ocap_job *job,
           ocap_value_error *err)
{
    if (st == OBJCAP_ERR_VALUE && err->result_limit) {
        return ocap_error_plain(OBJCAP_ERR_LIMIT, "RESULT", err->message,
                                &job->out, &job->out_len);
    }
    if (st == OBJCAP_ERR_VALUE) {
        return ocap_error_plain(st, "ValueConversionError", err->message,
                                &job->out, &job->out_len);
    }
    return fail_python(sb, job);
}

static objcap_status
reply(ocap_sandbox *sb, ocap_job *job, PyObject *value)
{
    ocap_value_error err = {0};
    objcap_status st = ocap_value_to_buffer(sb, value, &job->out,
                                            &job->out_len, &err);
    return st == OBJCAP_OK ? OBJCAP_OK : fail_value(st, sb, job, &err);
}

/* Repeated exec and eval of the same text reuse its code object, as
   CPython's own callers of compile() would: code is immutable, and the
   sandbox's own code objects never leave it.  Bounded: past either limit
   the cache starts over. */
#define COMPILED_MAX_ENTRIES 256
#define COMPILED_MAX_CHARS (1u << 20)

static void
remember_compiled(ocap_sandbox *sb, PyObject *key, PyObject *source,
                  PyObject *code)
{
    size_t chars = (size_t)PyUnicode_GET_LENGTH(source);
    if (chars > COMPILED_MAX_CHARS) {
        return;
    }
    if (sb->compiled == NULL ||
        PyDict_GET_SIZE(sb->compiled) >= COMPILED_MAX_ENTRIES ||
        sb->compiled_chars + chars > COMPILED_MAX_CHARS) {
        Py_XSETREF(sb->compiled, PyDict_New());
        sb->compiled_chars = 0;
    }
    if (sb->compiled == NULL || PyDict_SetItem(sb->compiled, key, code) < 0) {
        PyErr_Clear(); /* only a cache */
        return;
    }
    sb->compiled_chars += chars;
}

/* Compiles UTF-8 text, remembering it for traceback lines. */
static PyObject *
compile_text(ocap_sandbox *sb, const char *text, size_t len,
             PyObject *filename, int start)
{
    PyObject *source = PyUnicode_DecodeUTF8(text, (Py_ssize_t)len, "strict");
    if (source == NULL) {
        return NULL;
    }
    PyObject *key = Py_BuildValue("(iOO)", start, filename, source);
    PyObject *code = key && sb->compiled
        ? Py_XNewRef(PyDict_GetItemWithError(sb->compiled, key))
        : NULL;
    if (code == NULL && !PyErr_Occurred()) {
        const char *utf8 = PyUnicode_AsUTF8(source); /* NUL-terminated */
        PyCompilerFlags flags = _PyCompilerFlags_INIT;
        /* The text is UTF-8 already: a coding cookie must not re-decode
           it. */
        flags.cf_flags = PyCF_IGNORE_COOKIE | PyCF_SOURCE_IS_UTF8;
        /* On a SyntaxError CPython opens `filename` for the line; the
           audit hook refuses, and the line comes from the text. */
        sb->compiling_host_text = 1;
        code = utf8 ? Py_CompileStringObject(utf8, filename, start, &flags, -1)
                    : NULL;
        sb->compiling_host_text = 0;
        if (code != NULL && key != NULL) {
            remember_compiled(sb, key, source, code);
        }
    }
    Py_XDECREF(key);
    if (PyDict_SetItem(sb->sources, filename, source) < 0) {
        Py_CLEAR(code);
    }
    Py_DECREF(source);
    return code;
}

objcap_status
ocap_job_exec(ocap_sandbox *sb, ocap_job *job)
{
    PyObject *filename = PyUnicode_DecodeUTF8(
        job->filename, (Py_ssize_t)job->filename_len, "strict");
    if (filename == NULL) {
        return fail_python(sb, job);
    }
    PyObject *code = compile_text(sb, job->text, job->text_len, filename,
                                  Py_file_input);
    Py_DECREF(filename);
    if (code == NULL) {
        return fail_python(sb, job);
    }
    PyObject *result = PyEval_EvalCode(code, sb->globals, sb->globals);
    Py_DECREF(code);
    if (result == NULL) {
        return fail_python(sb, job);
    }
    Py_DECREF(result);
    return reply(sb, job, Py_None);
}

/* The code of a repeated short expression: the last one's, if this is the
   same text and "<eval>" still shows its source in tracebacks (an exec
   under that name replaces it); else NULL. */
static PyObject *
repeated_eval(ocap_sandbox *sb, const char *text, size_t len)
{
    if (sb->last_eval_code == NULL || len != sb->last_eval_len ||
        memcmp(text, sb->last_eval, len) != 0 ||
        PyDict_GetItemWithError(sb->sources, sb->eval_filename) !=
            sb->last_eval_source) {
        return NULL;
    }
    return Py_NewRef(sb->last_eval_code);
}

static void
remember_eval(ocap_sandbox *sb, const char *text, size_t len, PyObject *code)
{
    Py_CLEAR(sb->last_eval_code);
    Py_CLEAR(sb->last_eval_source);
    if (len > sizeof sb->last_eval) {
        return;
    }
    PyObject *source = PyDict_GetItemWithError(sb->sources, sb->eval_filename);
    if (source == NULL) {
        PyErr_Clear();
        return;
    }
    memcpy(sb->last_eval, text, len);
    sb->last_eval_len = len;
    sb->last_eval_code = Py_NewRef(code);
    sb->last_eval_source = Py_NewRef(source);
}

objcap_status
ocap_job_eval(ocap_sandbox *sb, ocap_job *job)
{
    if (sb->eval_filename == NULL) {
        sb->eval_filename = PyUnicode_InternFromString(EVAL_FILENAME);
        if (sb->eval_filename == NULL) {
            return fail_python(sb, job);
        }
    }
    PyObject *code = repeated_eval(sb, job->text, job->text_len);
    if (code == NULL) {
        code = compile_text(sb, job->text, job->text_len, sb->eval_filename,
                            Py_eval_input);
        if (code == NULL) {
            return fail_python(sb, job);
        }
        remember_eval(sb, job->text, job->text_len, code);
    }
    PyObject *result = PyEval_EvalCode(code, sb->globals, sb->globals);
    Py_DECREF(code);
    if (result == NULL) {
        return fail_python(sb, job);
    }
    objcap_status st = reply(sb, job, result);
    Py_DECREF(result);
    return st;
}

/* The name job->text as a str: the last call's again if it is the same
   (its hash is then known too). */
static PyObject *
call_name(ocap_sandbox *sb, ocap_job *job)
{
    if (sb->last_name_object != NULL && job->text_len == sb->last_name_len &&
        memcmp(job->text, sb->last_name, job->text_len) == 0) {
        return Py_NewRef(sb->last_name_object);
    }
    PyObject *name = PyUnicode_DecodeUTF8(job->text, (Py_ssize_t)job->text_len,
                                          "strict");
    if (name != NULL && job->text_len <= sizeof sb->last_name) {
        memcpy(sb->last_name, job->text, job->text_len);
        sb->last_name_len = job->text_len;
        Py_XSETREF(sb->last_name_object, Py_NewRef(name));
    }
    return name;
}

/* The global named by job->text, or NameError as Python would raise it. */
static PyObject *
lookup_global(ocap_sandbox *sb, ocap_job *job)
{
    PyObject *name = call_name(sb, job);
    if (name == NULL) {
        return NULL;
    }
    PyObject *value = PyDict_GetItemWithError(sb->globals, name);
    if (value == NULL && !PyErr_Occurred()) {
        PyErr_Format(PyExc_NameError, "name '%U' is not defined", name);
    }
    Py_DECREF(name);
    return Py_XNewRef(value);
}

objcap_status
ocap_job_call(ocap_sandbox *sb, ocap_job *job)
{
    ocap_value_error err = {0};
    PyObject *args = NULL;
    objcap_status st = ocap_value_from_buffer(sb, job->value, job->value_len,
                                              &args, &err);
    if (st != OBJCAP_OK) {
        return fail_value(st, sb, job, &err);
    }
    if (!PyList_CheckExact(args)) {
        Py_DECREF(args);
        snprintf(err.message, sizeof err.message,
                 "call arguments must be an array");
        return fail_value(OBJCAP_ERR_VALUE, sb, job, &err);
    }
    PyObject *function = lookup_global(sb, job);
    if (function == NULL) {
        Py_DECREF(args);
        return fail_python(sb, job);
    }
    PyObject *tuple = PyList_AsTuple(args);
    Py_DECREF(args);
    PyObject *result = tuple ? PyObject_Call(function, tuple, NULL) : NULL;
    Py_XDECREF(tuple);
    Py_DECREF(function);
    if (result == NULL) {
        return fail_python(sb, job);
    }
    st = reply(sb, job, result);
    Py_DECREF(result);
    return st;
}

objcap_status
ocap_job_set(ocap_sandbox *sb, ocap_job *job)
{
    ocap_value_error err = {0};
    PyObject *value = NULL;
    objcap_status st = ocap_value_from_buffer(sb, job->value, job->value_len,
                                              &value, &err);
    if (st != OBJCAP_OK) {
        return fail_value(st, sb, job, &err);
    }
    PyObject *name = PyUnicode_DecodeUTF8(job->text, (Py_ssize_t)job->text_len,
                                          "strict");
    int rc = name ? PyDict_SetItem(sb->globals, name, value) : -1;
    Py_XDECREF(name);
    Py_DECREF(value);
    if (rc < 0) {
        return fail_python(sb, job);
    }
    return reply(sb, job, Py_None);
}

objcap_status
ocap_job_get(ocap_sandbox *sb, ocap_job *job)
{
    PyObject *value = lookup_global(sb, job);
    if (value == NULL) {
        return fail_python(sb, job);
    }
    objcap_status st = reply(sb, job, value);
    Py_DECREF(value);
    return st;
}

objcap_status
ocap_job_release(ocap_sandbox *sb, ocap_job *job)
{
    PyObject *key = PyLong_FromUnsignedLongLong(job->reference);
    if (key == NULL) {
        return fail_python(sb, job);
    }
    /* Releasing twice, or after the sandbox forgot it, is harmless. */
    int rc = PyDict_DelItem(sb->references, key);
    Py_DECREF(key);
    if (rc < 0) {
        PyErr_Clear();
    }
    return OBJCAP_OK;
}
