/*
 * Error descriptions for the host (the "Error format" of objcap.h).  A
 * Python exception is read through the C API: its type name, str(), the
 * traceback as (file, line, function) and, for files this sandbox ran,
 * the source line.  Lines of any other file are never read, so a traceback
 * cannot leak a host file through a forged co_filename.
 */
#include "base/base.h"
#include "values/values.h"

#include <string.h>

#define MAX_FRAMES 200

static void
pack_cstr(msgpack_packer *pk, const char *s)
{
    msgpack_pack_str_with_body(pk, s, strlen(s));
}

objcap_status
ocap_error_plain(objcap_status status, const char *type, const char *message,
                 uint8_t **out, size_t *out_len)
{
    return ocap_error_plain_closing(status, type, message, 0, out, out_len);
}

/* closed: the sandbox cannot be used any more (its worker is gone). */
objcap_status
ocap_error_plain_closing(objcap_status status, const char *type,
                         const char *message, int closed, uint8_t **out,
                         size_t *out_len)
{
    msgpack_sbuffer sbuf;
    msgpack_sbuffer_init(&sbuf);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sbuf, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, closed ? 4 : 3);
    if (closed) {
        pack_cstr(&pk, "closed");
        msgpack_pack_true(&pk);
    }
    pack_cstr(&pk, "status");
    msgpack_pack_int(&pk, status);
    pack_cstr(&pk, "type");
    pack_cstr(&pk, type);
    pack_cstr(&pk, "message");
    pack_cstr(&pk, message);
    if (sbuf.data == NULL) {
        *out = NULL;
        *out_len = 0;
        return OBJCAP_ERR_NOMEM;
    }
    ocap_buffer_take(&sbuf, out, out_len);
    return status;
}

/* "ValueError", or "module.Name" for types outside builtins/__main__. */
static PyObject *
type_name(PyTypeObject *type)
{
    if (!(type->tp_flags & Py_TPFLAGS_HEAPTYPE)) {
        return PyUnicode_FromString(type->tp_name);
    }
    PyObject *qualname = PyType_GetQualName(type);
    PyObject *module = type->tp_dict
        ? PyDict_GetItemString(type->tp_dict, "__module__")
        : NULL;
    if (qualname == NULL || module == NULL || !PyUnicode_CheckExact(module) ||
        PyUnicode_CompareWithASCIIString(module, "builtins") == 0 ||
        PyUnicode_CompareWithASCIIString(module, "__main__") == 0) {
        PyErr_Clear();
        return qualname ? qualname : PyUnicode_FromString(type->tp_name);
    }
    PyObject *name = PyUnicode_FromFormat("%U.%U", module, qualname);
    Py_DECREF(qualname);
    return name;
}

#define MAX_MESSAGE 65536 /* characters of an exception's message */
#define MAX_NAME 512      /* of a type, file or function name, a line */

/* Text cut to `max` characters, with a marker: a script can make str(exc),
   a class's or a function's name, a file name as large as its memory, and
   the host would have to hold it all (OCAP_MAX_ERROR_REPORT sums these). */
static PyObject *
bounded_to(PyObject *text, Py_ssize_t max)
{
    if (text == NULL || !PyUnicode_Check(text) ||
        PyUnicode_GET_LENGTH(text) <= max) {
        return text;
    }
    PyObject *head = PyUnicode_Substring(text, 0, max);
    PyObject *cut = head ? PyUnicode_FromFormat("%U... (%zd characters)", head,
                                                PyUnicode_GET_LENGTH(text))
                         : NULL;
    Py_XDECREF(head);
    Py_DECREF(text);
    if (cut == NULL) {
        PyErr_Clear();
    }
    return cut;
}

static PyObject *
bounded(PyObject *text)
{
    return bounded_to(text, MAX_MESSAGE);
}

/* A borrowed name, cut to MAX_NAME: a new reference or NULL. */
static PyObject *
short_name(PyObject *name)
{
    return bounded_to(Py_XNewRef(name), MAX_NAME);
}

/* str(exc), which may run the sandbox's code and may fail. */
static PyObject *
message_of(PyObject *exc)
{
    PyObject *text = PyObject_Str(exc);
    if (text == NULL) {
        PyErr_Clear();
        return PyUnicode_FromString("<exception str() failed>");
    }
    return bounded(text);
}

static void
pack_text_or_nil(msgpack_packer *pk, PyObject *text)
{
    if (text == NULL || !PyUnicode_Check(text) ||
        ocap_pack_text(pk, text) < 0) {
        PyErr_Clear();
        msgpack_pack_nil(pk);
    }
}

static PyObject *source_line(ocap_sandbox *sb, PyObject *filename, long line);

PyObject *
ocap_source_line(ocap_sandbox *sb, PyObject *filename, long line)
{
    return source_line(sb, filename, line);
}

/* Line `line` (1-based, unstripped) of a source this sandbox ran under `filename`. */
static PyObject *
source_line(ocap_sandbox *sb, PyObject *filename, long line)
{
    if (sb == NULL || sb->sources == NULL || filename == NULL || line < 1) {
        return NULL;
    }
    PyObject *source = PyDict_GetItemWithError(sb->sources, filename);
    if (source == NULL) {
        PyErr_Clear();
        return NULL;
    }
    PyObject *lines = PyUnicode_Splitlines(source, 0);
    if (lines == NULL) {
        PyErr_Clear();
        return NULL;
    }
    PyObject *result = NULL;
    if (line <= PyList_GET_SIZE(lines)) {
        result = Py_NewRef(PyList_GET_ITEM(lines, line - 1));
    }
    Py_DECREF(lines);
    return result;
}

static long
traceback_line(PyObject *tb)
{
    PyObject *lineno = PyObject_GetAttrString(tb, "tb_lineno");
    long line = lineno ? PyLong_AsLong(lineno) : -1;
    Py_XDECREF(lineno);
    PyErr_Clear();
    return line;
}

/* The innermost MAX_FRAMES entries, outermost first. */
static void
pack_traceback(ocap_sandbox *sb, msgpack_packer *pk, PyObject *tb)
{
    Py_ssize_t count = 0;
    for (PyObject *t = tb; t != NULL && t != Py_None;
         t = (PyObject *)((PyTracebackObject *)t)->tb_next) {
        count++;
    }
    Py_ssize_t skip = count > MAX_FRAMES ? count - MAX_FRAMES : 0;
    msgpack_pack_array(pk, (size_t)(count - skip));
    for (PyObject *t = tb; t != NULL && t != Py_None;
         t = (PyObject *)((PyTracebackObject *)t)->tb_next) {
        if (skip > 0) {
            skip--;
            continue;
        }
        PyCodeObject *code =
            PyFrame_GetCode(((PyTracebackObject *)t)->tb_frame);
        long line = traceback_line(t);
        msgpack_pack_array(pk, 4);
        PyObject *file = short_name(code->co_filename);
        PyObject *function = short_name(code->co_name);
        pack_text_or_nil(pk, file);
        msgpack_pack_long(pk, line);
        pack_text_or_nil(pk, function);
        Py_XDECREF(file);
        Py_XDECREF(function);
        PyObject *text = source_line(sb, code->co_filename, line);
        PyObject *stripped = text
            ? bounded_to(PyObject_CallMethod(text, "strip", NULL), MAX_NAME)
            : NULL;
        pack_text_or_nil(pk, stripped);
        Py_XDECREF(stripped);
        Py_XDECREF(text);
        Py_DECREF(code);
    }
}

static void
pack_syntax(ocap_sandbox *sb, msgpack_packer *pk, PySyntaxErrorObject *se)
{
    long line = se->lineno && PyLong_Check(se->lineno)
        ? PyLong_AsLong(se->lineno)
        : 0;
    long column = se->offset && PyLong_Check(se->offset)
        ? PyLong_AsLong(se->offset)
        : 0;
    PyErr_Clear();
    msgpack_pack_array(pk, 4);
    PyObject *file = short_name(se->filename);
    pack_text_or_nil(pk, file);
    Py_XDECREF(file);
    msgpack_pack_long(pk, line);
    msgpack_pack_long(pk, column);
    /* Only a source this sandbox ran: the compiler fills `text` from the
       file named by the code when it can read it, which would leak it. */
    PyObject *text = bounded_to(source_line(sb, se->filename, line),
                                MAX_MESSAGE);
    pack_text_or_nil(pk, text);
    Py_XDECREF(text);
}

objcap_status
ocap_error_from_python(ocap_sandbox *sb, uint8_t **out, size_t *out_len)
{
    PyObject *type, *exc, *tb;
    PyErr_Fetch(&type, &exc, &tb);
    if (type == NULL) {
        return ocap_error_plain(OBJCAP_ERR_RUNTIME, "SystemError",
                                "an error was reported without an exception",
                                out, out_len);
    }
    PyErr_NormalizeException(&type, &exc, &tb);
    if (tb != NULL && exc != NULL) {
        PyException_SetTraceback(exc, tb);
    }
    int is_syntax = exc &&
        PyObject_TypeCheck(exc, (PyTypeObject *)PyExc_SyntaxError);
    PyObject *name = bounded_to(
        type_name(exc ? Py_TYPE(exc) : (PyTypeObject *)type), MAX_NAME);
    PyObject *message;
    if (is_syntax && ((PySyntaxErrorObject *)exc)->msg) {
        message = bounded(Py_NewRef(((PySyntaxErrorObject *)exc)->msg));
    }
    else {
        message = exc ? message_of(exc) : PyUnicode_FromString("");
    }

    msgpack_sbuffer sbuf;
    msgpack_sbuffer_init(&sbuf);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sbuf, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, is_syntax ? 5 : 4);
    pack_cstr(&pk, "status");
    msgpack_pack_int(&pk, OBJCAP_ERR_PYTHON);
    pack_cstr(&pk, "type");
    pack_text_or_nil(&pk, name);
    pack_cstr(&pk, "message");
    pack_text_or_nil(&pk, message);
    pack_cstr(&pk, "traceback");
    pack_traceback(sb, &pk, tb);
    if (is_syntax) {
        pack_cstr(&pk, "syntax");
        pack_syntax(sb, &pk, (PySyntaxErrorObject *)exc);
    }
    Py_XDECREF(name);
    Py_XDECREF(message);
    Py_XDECREF(type);
    Py_XDECREF(exc);
    Py_XDECREF(tb);
    PyErr_Clear();
    if (sbuf.data == NULL) {
        return OBJCAP_ERR_NOMEM;
    }
    ocap_buffer_take(&sbuf, out, out_len);
    return OBJCAP_ERR_PYTHON;
}
