/*
 * Harmless stand-ins for the modules that whitelisted code imports but that
 * carry authority (sys, os, _thread, time, io, importlib).  A stand-in holds
 * only plain values, functions written for it, and "forwarders": C objects
 * that call one real function and expose nothing (no __self__ leading back
 * to the real module, no __wrapped__).  Python written here runs with the
 * stand-in's own dict as globals, which holds nothing more than the module
 * itself shows.
 */
#include "base/base.h"
#include "values/values.h"
#include "imports/imports.h"

#include <string.h>
#include <time.h>

/* ---- forwarders ---- */

typedef struct {
    PyObject_HEAD PyObject *target;
    PyObject *name;
} Forwarder;

static PyObject *
forwarder_call(Forwarder *self, PyObject *args, PyObject *kwargs)
{
    return PyObject_Call(self->target, args, kwargs);
}

static void
forwarder_dealloc(Forwarder *self)
{
    PyTypeObject *type = Py_TYPE(self);
    Py_XDECREF(self->target);
    Py_XDECREF(self->name);
    PyObject_Free(self);
    Py_DECREF(type);
}

static PyObject *
forwarder_repr(Forwarder *self)
{
    return PyUnicode_FromFormat("<built-in function %U>", self->name);
}

static PyObject *
forwarder_get_name(Forwarder *self, void *closure)
{
    return Py_NewRef(self->name);
}

static PyGetSetDef forwarder_getset[] = {
    {"__name__", (getter)forwarder_get_name, NULL, NULL, NULL},
    {"__qualname__", (getter)forwarder_get_name, NULL, NULL, NULL},
    {NULL, NULL, NULL, NULL, NULL}};

static PyType_Slot forwarder_slots[] = {{Py_tp_call, forwarder_call},
                                        {Py_tp_dealloc, forwarder_dealloc},
                                        {Py_tp_repr, forwarder_repr},
                                        {Py_tp_getset, forwarder_getset},
                                        {0, NULL}};

static PyType_Spec forwarder_spec = {
    .name = "objcap.builtin_function",
    .basicsize = sizeof(Forwarder),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_DISALLOW_INSTANTIATION,
    .slots = forwarder_slots,
};

/* Adds module.name = a forwarder to source.name (missing ones are skipped:
   not every platform has every function). */
static int
forward(PyObject *module, PyObject *source, const char *name)
{
    PyObject *target = PyObject_GetAttrString(source, name);
    if (target == NULL) {
        PyErr_Clear();
        return 0;
    }
    PyObject *type = PyType_FromSpec(&forwarder_spec);
    Forwarder *f = type ? PyObject_New(Forwarder, (PyTypeObject *)type) : NULL;
    Py_XDECREF(type);
    if (f == NULL) {
        Py_DECREF(target);
        return -1;
    }
    f->target = target;
    f->name = PyUnicode_FromString(name);
    int rc = f->name ? PyObject_SetAttrString(module, name, (PyObject *)f)
                     : -1;
    Py_DECREF(f);
    return rc;
}

/* Copies plain values (numbers, strings, tuples, structseqs...). */
static int
copy_value(PyObject *module, PyObject *source, const char *name)
{
    PyObject *value = PyObject_GetAttrString(source, name);
    if (value == NULL) {
        PyErr_Clear();
        return 0;
    }
    int rc = PyObject_SetAttrString(module, name, value);
    Py_DECREF(value);
    return rc;
}

static PyObject *
hidden(ocap_sandbox *sb, const char *name)
{
    PyObject *m = PyDict_GetItemString(sb->importer.hidden, name);
    if (m == NULL) {
        PyErr_Format(PyExc_ImportError, "objcap: %s is not loaded", name);
    }
    return m;
}

/* Runs Python source with the stand-in's dict as globals. */
static int
run_in(ocap_sandbox *sb, PyObject *module, const char *source)
{
    PyObject *dict = PyModule_GetDict(module);
    if (PyDict_SetItemString(dict, "__builtins__", sb->importer.builtins) <
        0) {
        return -1;
    }
    PyObject *r = PyRun_String(source, Py_file_input, dict, dict);
    Py_XDECREF(r);
    return r == NULL ? -1 : 0;
}

static PyObject *
new_module(ocap_sandbox *sb, const char *name)
{
    PyObject *module = PyModule_New(name);
    if (module == NULL) {
        return NULL;
    }
    if (PyObject_SetAttrString(module, "__loader__", Py_None) < 0 ||
        PyObject_SetAttrString(module, "__spec__", Py_None) < 0 ||
        sb->importer.register_module(sb, name, module) == NULL) {
        Py_DECREF(module);
        return NULL;
    }
    return module;
}

/* ---- sys ---- */

static const char *const sys_values[] = {"version",
                                         "version_info",
                                         "hexversion",
                                         "api_version",
                                         "implementation",
                                         "platform",
                                         "maxsize",
                                         "maxunicode",
                                         "byteorder",
                                         "float_info",
                                         "int_info",
                                         "hash_info",
                                         "float_repr_style",
                                         "flags",
                                         "copyright",
                                         "builtin_module_names",
                                         "stdout",
                                         "stderr",
                                         "__stdout__",
                                         "__stderr__",
                                         "stdin",
                                         "__stdin__",
                                         "thread_info",
                                         NULL};

static const char *const sys_functions[] = {"intern",
                                            "exc_info",
                                            "exception",
                                            "getrecursionlimit",
                                            "getsizeof",
                                            "getdefaultencoding",
                                            "getfilesystemencoding",
                                            "getfilesystemencodeerrors",
                                            "getrefcount",
                                            "is_finalizing",
                                            "exit",
                                            NULL};

#if PY_VERSION_HEX >= 0x030D0000
/* _collections_abc (3.13+) takes the FrameLocalsProxy type from
   type(sys._getframe().f_locals), called in a function of its own, once,
   as it is imported.  This answers that and nothing more: to support code
   asking for its own frame, an object holding only that frame's f_locals;
   never a frame, and to anyone else an error.  It is on the stand-in sys
   only while objcap imports _collections_abc, before any script exists
   (ocap_standin_preload). */
static PyObject *
getframe_locals_only(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    ocap_sandbox *sb = ocap_trust_sandbox();
    if (nargs != 0 || sb == NULL || !ocap_support_caller(sb)) {
        PyErr_SetString(PyExc_ValueError,
                        "frames are not available in this sandbox");
        return NULL;
    }
    /* The frame's own f_locals: a FrameLocalsProxy in a function
       (PyEval_GetFrameLocals would give a dict snapshot). */
    PyFrameObject *frame = PyEval_GetFrame(); /* borrowed */
    PyObject *locals = frame ? PyFrame_GetLocals(frame) : NULL;
    PyObject *none = locals ? PyTuple_New(0) : NULL;
    PyObject *kwargs = none ? Py_BuildValue("{s:O}", "f_locals", locals)
                            : NULL;
    PyObject *result = kwargs
        ? PyObject_Call(sb->importer.namespace_type, none, kwargs)
        : NULL;
    Py_XDECREF(kwargs);
    Py_XDECREF(none);
    Py_XDECREF(locals);
    return result;
}

static PyMethodDef getframe_def = {
    "_getframe", (PyCFunction)(void (*)(void))getframe_locals_only,
    METH_FASTCALL, NULL};
#endif

static PyObject *
build_sys(ocap_sandbox *sb)
{
    PyObject *real = hidden(sb, "sys");
    PyObject *module = real ? new_module(sb, "sys") : NULL;
    if (module == NULL) {
        return NULL;
    }
    for (const char *const *n = sys_values; *n; n++) {
        if (copy_value(module, real, *n) < 0) {
            goto error;
        }
    }
    for (const char *const *n = sys_functions; *n; n++) {
        if (forward(module, real, *n) < 0) {
            goto error;
        }
    }
    if (PyObject_SetAttrString(module, "modules",
                               sb->importer.visible_modules) < 0 ||
        run_in(sb, module,
               "argv = ['']\n"
               "warnoptions = []\n"
               "dont_write_bytecode = True\n"
               "executable = ''\n") < 0) {
        goto error;
    }
    return module;
error:
    Py_DECREF(module);
    return NULL;
}

/* ---- os ---- */

static const char os_source[] =
    "name = 'posix'\n"
    "sep = '/'\n"
    "altsep = None\n"
    "extsep = '.'\n"
    "pathsep = ':'\n"
    "linesep = '\\n'\n"
    "curdir = '.'\n"
    "pardir = '..'\n"
    "defpath = '/bin:/usr/bin'\n"
    "devnull = '/dev/null'\n"
    "SEEK_SET, SEEK_CUR, SEEK_END = 0, 1, 2\n"
    "error = OSError\n"
    "environ = {}\n"
    "supports_bytes_environ = False\n"
    "def getenv(key, default=None):\n"
    "    return environ.get(key, default)\n"
    "class PathLike:\n"
    "    '''Paths are not available in this sandbox.'''\n"
    "    def __fspath__(self):\n"
    "        raise NotImplementedError\n"
    "def fspath(path):\n"
    "    if isinstance(path, (str, bytes)):\n"
    "        return path\n"
    "    method = getattr(type(path), '__fspath__', None)\n"
    "    if method is None:\n"
    "        raise TypeError('expected str, bytes or os.PathLike object, not "
    "'\n"
    "                        + type(path).__name__)\n"
    "    result = method(path)\n"
    "    if not isinstance(result, (str, bytes)):\n"
    "        raise TypeError('__fspath__() must return str or bytes')\n"
    "    return result\n"
    "def fsencode(filename):\n"
    "    filename = fspath(filename)\n"
    "    return filename.encode('utf-8', 'surrogateescape') "
    "if isinstance(filename, str) else filename\n"
    "def fsdecode(filename):\n"
    "    filename = fspath(filename)\n"
    "    return filename.decode('utf-8', 'surrogateescape') "
    "if isinstance(filename, bytes) else filename\n"
    "def cpu_count():\n"
    "    return None\n"
    "def _no_files(*args, **kwargs):\n"
    "    raise PermissionError('the file system is not available in this "
    "sandbox; the host can grant a directory capability')\n"
    "stat = lstat = listdir = scandir = getcwd = getcwdb = _no_files\n"
    "remove = unlink = rmdir = mkdir = makedirs = rename = replace = "
    "_no_files\n"
    "chdir = open = access = walk = getpid = _no_files\n"
    "del _no_files\n";

static PyObject *
build_os(ocap_sandbox *sb)
{
    PyObject *posix = hidden(sb, "posix");
    PyObject *module = posix ? new_module(sb, "os") : NULL;
    if (module == NULL) {
        return NULL;
    }
    if (run_in(sb, module, os_source) < 0 ||
        forward(module, posix, "urandom") < 0) {
        Py_DECREF(module);
        return NULL;
    }
    /* os.path is posixpath, loaded like any module, seeing this os. */
    PyObject *path = sb->importer.load_support(sb, "posixpath");
    if (path == NULL || PyObject_SetAttrString(module, "path", path) < 0 ||
        sb->importer.register_module(sb, "os.path", path) == NULL) {
        Py_XDECREF(path);
        Py_DECREF(module);
        return NULL;
    }
    Py_DECREF(path);
    return module;
}

/* ---- _thread: one thread, so locks only need to count ---- */

static const char thread_source[] =
    "error = RuntimeError\n"
    "TIMEOUT_MAX = 4294967.0\n"
    "def get_ident():\n"
    "    return 1\n"
    "def get_native_id():\n"
    "    return 1\n"
    "class LockType:\n"
    "    '''A lock in a sandbox that has exactly one thread.'''\n"
    "    def __init__(self):\n"
    "        self._held = False\n"
    "    def acquire(self, blocking=True, timeout=-1):\n"
    "        if self._held:\n"
    "            if blocking:\n"
    "                raise RuntimeError('deadlock: this sandbox has one "
    "thread')\n"
    "            return False\n"
    "        self._held = True\n"
    "        return True\n"
    "    def release(self):\n"
    "        if not self._held:\n"
    "            raise RuntimeError('release unlocked lock')\n"
    "        self._held = False\n"
    "    def locked(self):\n"
    "        return self._held\n"
    "    __enter__ = acquire\n"
    "    def __exit__(self, *exc):\n"
    "        self.release()\n"
    "class RLock:\n"
    "    '''A re-entrant lock in a sandbox that has exactly one thread.'''\n"
    "    def __init__(self):\n"
    "        self._count = 0\n"
    "    def acquire(self, blocking=True, timeout=-1):\n"
    "        self._count += 1\n"
    "        return True\n"
    "    def release(self):\n"
    "        if self._count == 0:\n"
    "            raise RuntimeError('cannot release un-acquired lock')\n"
    "        self._count -= 1\n"
    "    __enter__ = acquire\n"
    "    def __exit__(self, *exc):\n"
    "        self.release()\n"
    "def allocate_lock():\n"
    "    return LockType()\n"
    "allocate = allocate_lock\n";

static PyObject *
build_thread(ocap_sandbox *sb)
{
    PyObject *module = new_module(sb, "_thread");
    if (module != NULL && run_in(sb, module, thread_source) < 0) {
        Py_CLEAR(module);
    }
    return module;
}

/* ---- time: clocks, and a sleep that the time limit ends ---- */

static PyObject *
limited_sleep(PyObject *self, PyObject *arg)
{
    double seconds = PyFloat_AsDouble(arg);
    if (seconds == -1.0 && PyErr_Occurred()) {
        return NULL;
    }
    if (!(seconds >= 0.0)) {
        PyErr_SetString(PyExc_ValueError, "sleep length must be non-negative");
        return NULL;
    }
    ocap_sandbox *sb = ocap_trust_sandbox();
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        clock_gettime(CLOCK_MONOTONIC, &now);
        double elapsed = (double)(now.tv_sec - start.tv_sec) +
            (double)(now.tv_nsec - start.tv_nsec) / 1e9;
        if (elapsed >= seconds) {
            Py_RETURN_NONE;
        }
        if (sb != NULL && atomic_load(&sb->limit_hit)) {
            PyErr_SetString(sb->time_limit_exc, "time limit exceeded");
            return NULL;
        }
        double left = seconds - elapsed;
        double slice = left < 0.02 ? left : 0.02;
        struct timespec ts = {(time_t)slice,
                              (long)((slice - (double)(time_t)slice) * 1e9)};
        Py_BEGIN_ALLOW_THREADS nanosleep(&ts, NULL);
        Py_END_ALLOW_THREADS if (PyErr_CheckSignals() < 0)
        {
            return NULL;
        }
    }
}

static PyMethodDef sleep_def = {
    "sleep", limited_sleep, METH_O,
    "sleep(seconds)\n\nSleep; the sandbox's time limit still applies."};

static const char *const time_functions[] = {
    "time",           "time_ns",         "monotonic",
    "monotonic_ns",   "perf_counter",    "perf_counter_ns",
    "process_time",   "process_time_ns", "thread_time",
    "thread_time_ns", "gmtime",          "localtime",
    "mktime",         "asctime",         "ctime",
    "strftime",       "get_clock_info",  NULL};

static const char *const time_values[] = {"struct_time", "timezone", "altzone",
                                          "daylight",    "tzname",   NULL};

static PyObject *
build_time(ocap_sandbox *sb)
{
    PyObject *real = hidden(sb, "time");
    PyObject *module = real ? new_module(sb, "time") : NULL;
    if (module == NULL) {
        return NULL;
    }
    for (const char *const *n = time_functions; *n; n++) {
        if (forward(module, real, *n) < 0) {
            goto error;
        }
    }
    for (const char *const *n = time_values; *n; n++) {
        if (copy_value(module, real, *n) < 0) {
            goto error;
        }
    }
    PyObject *sleep = PyCFunction_New(&sleep_def, NULL);
    if (sleep == NULL || PyObject_SetAttrString(module, "sleep", sleep) < 0) {
        Py_XDECREF(sleep);
        goto error;
    }
    Py_DECREF(sleep);
    return module;
error:
    Py_DECREF(module);
    return NULL;
}

/* ---- io: the real classes (file types cannot be constructed) ---- */

static const char *const io_values[] = {"BytesIO",
                                        "StringIO",
                                        "IOBase",
                                        "RawIOBase",
                                        "BufferedIOBase",
                                        "TextIOBase",
                                        "UnsupportedOperation",
                                        "BlockingIOError",
                                        "IncrementalNewlineDecoder",
                                        "DEFAULT_BUFFER_SIZE",
                                        "SEEK_SET",
                                        "SEEK_CUR",
                                        "SEEK_END",
                                        "FileIO",
                                        "BufferedReader",
                                        "BufferedWriter",
                                        "BufferedRandom",
                                        "BufferedRWPair",
                                        "TextIOWrapper",
                                        NULL};

static PyObject *
build_io(ocap_sandbox *sb)
{
    PyObject *real = hidden(sb, "io");
    PyObject *module = real ? new_module(sb, "io") : NULL;
    if (module == NULL) {
        return NULL;
    }
    for (const char *const *n = io_values; *n; n++) {
        if (copy_value(module, real, *n) < 0) {
            Py_DECREF(module);
            return NULL;
        }
    }
    /* A built-in function's __self__ is its module: forward, never copy. */
    if (forward(module, real, "text_encoding") < 0) {
        Py_DECREF(module);
        return NULL;
    }
    PyObject *open =
        PyDict_GetItemString(PyModule_GetDict(sb->importer.builtins), "open");
    if (open == NULL || PyObject_SetAttrString(module, "open", open) < 0) {
        Py_DECREF(module);
        return NULL;
    }
    return module;
}

/* ---- importlib: the little that inspect reads ---- */

static PyObject *
build_importlib(ocap_sandbox *sb, const char *name)
{
    PyObject *module = new_module(sb, name);
    if (module == NULL) {
        return NULL;
    }
    const char *source = strcmp(name, "importlib") == 0
        ? "__path__ = []\n"
        : "SOURCE_SUFFIXES = ['.py']\n"
          "BYTECODE_SUFFIXES = []\n"
          "DEBUG_BYTECODE_SUFFIXES = []\n"
          "OPTIMIZED_BYTECODE_SUFFIXES = []\n"
          "EXTENSION_SUFFIXES = []\n"
          "def all_suffixes():\n"
          "    return ['.py']\n";
    if (run_in(sb, module, source) < 0) {
        Py_CLEAR(module);
    }
    return module;
}

/* ---- traceback: formats from C-read entries, never from frames ----
   The real module walks tb.tb_frame, which a sandbox may not read (a frame
   leads to other frames' globals and locals).  This one gets each entry's
   file, line, function and (for sources this sandbox ran) text from C. */

static PyObject *
traceback_entries(PyObject *self, PyObject *tb)
{
    ocap_sandbox *sb = ocap_trust_sandbox();
    PyObject *list = PyList_New(0);
    for (PyObject *t = tb; list != NULL && t != NULL && t != Py_None;
         t = (PyObject *)((PyTracebackObject *)t)->tb_next) {
        if (!PyTraceBack_Check(t)) {
            PyErr_SetString(PyExc_TypeError, "expected a traceback");
            Py_CLEAR(list);
            break;
        }
        PyCodeObject *code =
            PyFrame_GetCode(((PyTracebackObject *)t)->tb_frame);
        PyObject *lineno = PyObject_GetAttrString(t, "tb_lineno");
        PyObject *line = sb
            ? ocap_source_line(sb, code->co_filename,
                               lineno ? PyLong_AsLong(lineno) : -1)
            : NULL;
        PyErr_Clear();
        PyObject *entry = Py_BuildValue("(OOOO)", code->co_filename,
                                        lineno ? lineno : Py_None,
                                        code->co_name, line ? line : Py_None);
        Py_XDECREF(lineno);
        Py_XDECREF(line);
        Py_DECREF(code);
        if (entry == NULL || PyList_Append(list, entry) < 0) {
            Py_XDECREF(entry);
            Py_CLEAR(list);
            break;
        }
        Py_DECREF(entry);
    }
    return list;
}

static PyMethodDef traceback_entries_def = {
    "_entries", traceback_entries, METH_O,
    "(file, line, function, source line) of each traceback entry."};

static const char traceback_source[] =
    "import sys as _sys\n"
    "def extract_tb(tb, limit=None):\n"
    "    entries = [(f, n, name, line.strip() if line else line)\n"
    "               for f, n, name, line in _entries(tb)]\n"
    "    return entries if limit is None else entries[:limit]\n"
    "def format_list(entries):\n"
    "    out = []\n"
    "    for filename, lineno, name, line in entries:\n"
    "        item = '  File \"%s\", line %s, in %s\\n' % (filename, lineno, "
    "name)\n"
    "        if line and line.strip():\n"
    "            item += '    %s\\n' % line.strip()\n"
    "        out.append(item)\n"
    "    return out\n"
    "def format_tb(tb, limit=None):\n"
    "    return format_list(extract_tb(tb, limit))\n"
    "def print_tb(tb, limit=None, file=None):\n"
    "    (file or _sys.stderr).write(''.join(format_tb(tb, limit)))\n"
    "def _value(exc, value):\n"
    "    if value is not _missing:\n"
    "        return value\n"
    "    return exc\n"
    "_missing = object()\n"
    "def format_exception_only(exc, /, value=_missing):\n"
    "    value = _value(exc, value)\n"
    "    if value is None:\n"
    "        return ['NoneType: None\\n']\n"
    "    t = type(value)\n"
    "    name = t.__qualname__\n"
    "    if t.__module__ not in ('builtins', '__main__'):\n"
    "        name = t.__module__ + '.' + name\n"
    "    try:\n"
    "        text = str(value)\n"
    "    except BaseException:\n"
    "        text = '<exception str() failed>'\n"
    "    if isinstance(value, SyntaxError):\n"
    "        return ['  File \"%s\", line %s\\n' % (value.filename, "
    "value.lineno),\n"
    "                '%s: %s\\n' % (name, value.msg)]\n"
    "    return ['%s: %s\\n' % (name, text) if text else name + '\\n']\n"
    "def format_exception(exc, /, value=_missing, tb=_missing, limit=None,\n"
    "                     chain=True):\n"
    "    value = _value(exc, value)\n"
    "    out, seen = [], set()\n"
    "    def one(v):\n"
    "        seen.add(id(v))\n"
    "        if chain:\n"
    "            if v.__cause__ is not None and id(v.__cause__) not in seen:\n"
    "                one(v.__cause__)\n"
    "                out.append('\\nThe above exception was the direct cause "
    "'\n"
    "                           'of the following exception:\\n\\n')\n"
    "            elif (v.__context__ is not None and not "
    "v.__suppress_context__\n"
    "                  and id(v.__context__) not in seen):\n"
    "                one(v.__context__)\n"
    "                out.append('\\nDuring handling of the above exception, "
    "'\n"
    "                           'another exception occurred:\\n\\n')\n"
    "        t = v.__traceback__ if (tb is _missing or v is not value) else "
    "tb\n"
    "        if t is not None:\n"
    "            out.append('Traceback (most recent call last):\\n')\n"
    "            out.extend(format_tb(t, limit))\n"
    "        out.extend(format_exception_only(v))\n"
    "    if value is None:\n"
    "        return ['NoneType: None\\n']\n"
    "    one(value)\n"
    "    return out\n"
    "def print_exception(exc, /, value=_missing, tb=_missing, limit=None,\n"
    "                    file=None, chain=True):\n"
    "    (file or _sys.stderr).write(''.join(\n"
    "        format_exception(exc, value, tb, limit=limit, chain=chain)))\n"
    "def format_exc(limit=None, chain=True):\n"
    "    return ''.join(format_exception(_sys.exception(), limit=limit,\n"
    "                                    chain=chain))\n"
    "def print_exc(limit=None, file=None, chain=True):\n"
    "    print_exception(_sys.exception(), limit=limit, file=file, "
    "chain=chain)\n";

static PyObject *
build_traceback(ocap_sandbox *sb)
{
    PyObject *module = new_module(sb, "traceback");
    if (module == NULL) {
        return NULL;
    }
    PyObject *entries = PyCFunction_New(&traceback_entries_def, NULL);
    if (entries == NULL ||
        PyObject_SetAttrString(module, "_entries", entries) < 0 ||
        run_in(sb, module, traceback_source) < 0) {
        Py_XDECREF(entries);
        Py_DECREF(module);
        return NULL;
    }
    Py_DECREF(entries);
    return module;
}

static const char *const known[] = {
    "sys",      "os",        "os.path",   "_thread",
    "time",     "io",        "importlib", "importlib.machinery",
    "builtins", "traceback", NULL};

/* The stand-ins a script may import itself; the others (os, _thread,
   importlib) only serve the stdlib modules that import them. */
static const char *const for_scripts[] = {"sys",      "time",      "io",
                                          "builtins", "traceback", NULL};

int
ocap_standin_for_scripts(const char *name)
{
    for (const char *const *k = for_scripts; *k; k++) {
        if (strcmp(*k, name) == 0) {
            return 1;
        }
    }
    return 0;
}

int
ocap_standin_known(const char *name)
{
    for (const char *const *k = known; *k; k++) {
        if (strcmp(*k, name) == 0) {
            return 1;
        }
    }
    return 0;
}

PyObject *
ocap_standin_build(ocap_sandbox *sb, const char *name)
{
    if (strcmp(name, "sys") == 0) {
        return build_sys(sb);
    }
    if (strcmp(name, "os") == 0) {
        return build_os(sb);
    }
    if (strcmp(name, "os.path") == 0) {
        PyObject *os = sb->importer.load_support(sb, "os");
        Py_XDECREF(os);
        PyObject *path = os
            ? PyDict_GetItemString(sb->importer.modules, "os.path")
            : NULL;
        return Py_XNewRef(path);
    }
    if (strcmp(name, "_thread") == 0) {
        return build_thread(sb);
    }
    if (strcmp(name, "time") == 0) {
        return build_time(sb);
    }
    if (strcmp(name, "io") == 0) {
        return build_io(sb);
    }
    if (strcmp(name, "builtins") == 0) {
        return Py_NewRef(sb->importer.builtins);
    }
    if (strcmp(name, "traceback") == 0) {
        return build_traceback(sb);
    }
    if (strncmp(name, "importlib", 9) == 0) {
        return build_importlib(sb, name);
    }
    PyErr_Format(PyExc_ImportError, "no stand-in for %s", name);
    return NULL;
}

int
ocap_standin_preload(ocap_sandbox *sb)
{
#if PY_VERSION_HEX >= 0x030D0000
    PyObject *sys = sb->importer.load_support(sb, "sys");
    PyObject *getframe = sys ? PyCFunction_New(&getframe_def, NULL) : NULL;
    int rc = getframe != NULL &&
            PyObject_SetAttrString(sys, "_getframe", getframe) == 0
        ? 0
        : -1;
    PyObject *abcs = rc == 0
        ? sb->importer.load_support(sb, "_collections_abc")
        : NULL;
    if (abcs == NULL) {
        rc = -1;
    }
    PyObject *exc = PyErr_GetRaisedException_compat();
    if (sys != NULL && PyObject_HasAttrString(sys, "_getframe") &&
        PyObject_DelAttrString(sys, "_getframe") < 0) {
        rc = -1; /* must not stay: fail the sandbox */
    }
    if (exc != NULL) {
        PyErr_SetRaisedException_compat(exc);
    }
    Py_XDECREF(abcs);
    Py_XDECREF(getframe);
    Py_XDECREF(sys);
    return rc;
#else
    return 0;
#endif
}
