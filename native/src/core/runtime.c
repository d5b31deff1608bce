/*
 * Process-wide CPython start, as CPYTHON-NOTES.md prescribes: isolated
 * configuration, UTF-8 mode, no site, no bytecode writing, an explicit
 * stdlib path, and no signal handlers (the JVM owns the signals).  The
 * main interpreter only hosts sub-interpreters; it never runs sandboxed
 * code.
 */
#define _GNU_SOURCE /* dladdr */
#include "base/base.h"
#include "bare/guards/guards.h"
#include "bare/bare.h"
#include "audit/audit.h"
#include "imports/imports.h"
#include "limits/limits.h"
#include "core/core.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static pthread_mutex_t runtime_mu = PTHREAD_MUTEX_INITIALIZER;
static int runtime_state; /* 0 not tried, 1 running, -1 failed */
static char runtime_error[256];
static PyInterpreterState *main_interp;

static int
append_path(PyConfig *config, const char *path)
{
    wchar_t *wide = Py_DecodeLocale(path, NULL);
    if (wide == NULL) {
        return -1;
    }
    PyStatus st = PyWideStringList_Append(&config->module_search_paths, wide);
    PyMem_RawFree(wide);
    return PyStatus_Exception(st) ? -1 : 0;
}

/*
 * Single-phase C modules that the default whitelist uses keep static state
 * shared by every interpreter, set up by the first one to import them.  In
 * an interpreter with a GIL of its own, 3.12 runs such a module's init
 * before it refuses the module, leaving that state in the sandbox's freed
 * memory for the next sandbox to touch (plain 3.12.1 crashes the same way
 * with _xxsubinterpreters); 3.13's _datetime, allowed there, sets up and
 * tears down static types as the first interpreter imports it and the last
 * one ends, and two sandboxes doing so at once corrupted the heap (plain
 * 3.13.5 too).  Imported here, the main interpreter holds that state for
 * the life of the process: on 3.12 the sandbox's import is then refused
 * before any init runs (decimal and datetime fall back to their Python
 * versions), on 3.13 no sandbox sets the types up or tears them down.
 * 3.14 gives each interpreter types of its own.
 */
static int
hold_shared_static_state(void)
{
#if PY_VERSION_HEX >= 0x030C0000 && PY_VERSION_HEX < 0x030E0000
    static const char *const modules[] = {
        "_datetime",
#if PY_VERSION_HEX < 0x030D0000
        "_decimal",
#endif
        NULL
    };
    for (const char *const *name = modules; *name; name++) {
        PyObject *module = PyImport_ImportModule(*name);
        if (module == NULL) {
            /* Built without it: its Python version serves everyone. */
            if (!PyErr_ExceptionMatches(PyExc_ModuleNotFoundError)) {
                PyErr_Clear();
                return -1;
            }
            PyErr_Clear();
        }
        Py_XDECREF(module);
    }
#endif
    return 0;
}

static int
start_locked(const char *stdlib_dir, const char *dynload_dir)
{
    /* Extension modules resolve CPython's symbols globally; the JVM loaded
       us with RTLD_LOCAL, so promote the already-loaded libpython. */
    if (dlopen(OBJCAP_LIBPYTHON_SONAME,
               RTLD_NOW | RTLD_GLOBAL | RTLD_NOLOAD) == NULL) {
        snprintf(runtime_error, sizeof runtime_error,
                 "cannot make %s global: %s", OBJCAP_LIBPYTHON_SONAME,
                 dlerror());
        return -1;
    }

    /* Before CPython starts, so that it covers every interpreter. */
    if (ocap_audit_install() < 0) {
        snprintf(runtime_error, sizeof runtime_error,
                 "cannot install the audit hook");
        return -1;
    }

    PyPreConfig preconfig;
    PyPreConfig_InitIsolatedConfig(&preconfig);
    preconfig.utf8_mode = 1;
    PyStatus st = Py_PreInitialize(&preconfig);
    if (PyStatus_Exception(st)) {
        snprintf(runtime_error, sizeof runtime_error,
                 "CPython pre-initialization failed: %s",
                 st.err_msg ? st.err_msg : "unknown error");
        return -1;
    }

    PyConfig config;
    PyConfig_InitIsolatedConfig(&config);
    config.site_import = 0;
    config.write_bytecode = 0;
    config.install_signal_handlers = 0;
    config.faulthandler = 0;
    config.parse_argv = 0;
    config.pathconfig_warnings = 0;
    config.module_search_paths_set = 1;
    if (stdlib_dir != NULL && ocap_paths_set(stdlib_dir, dynload_dir) < 0) {
        snprintf(runtime_error, sizeof runtime_error,
                 "the standard library's paths must be absolute and "
                 "shorter than 4 KiB");
        return -1;
    }
    int failed = append_path(&config, ocap_stdlib_dir()) < 0;
    /* The build's CPython may keep its platform modules apart. */
    if (!failed && !ocap_paths_given() &&
        strcmp(OBJCAP_PLATSTDLIB_DIR, OBJCAP_STDLIB_DIR) != 0) {
        failed = append_path(&config, OBJCAP_PLATSTDLIB_DIR) < 0;
    }
    if (!failed) {
        failed = append_path(&config, ocap_dynload_dir()) < 0;
    }
    if (failed) {
        PyConfig_Clear(&config);
        snprintf(runtime_error, sizeof runtime_error,
                 "cannot set the module search path");
        return -1;
    }
    st = Py_InitializeFromConfig(&config);
    PyConfig_Clear(&config);
    if (PyStatus_Exception(st)) {
        snprintf(runtime_error, sizeof runtime_error,
                 "CPython failed to start: %s",
                 st.err_msg ? st.err_msg : "unknown error");
        return -1;
    }
    main_interp = PyInterpreterState_Main();
    if (hold_shared_static_state() < 0) {
        snprintf(runtime_error, sizeof runtime_error,
                 "cannot import _datetime or _decimal in the main "
                 "interpreter");
        PyEval_SaveThread();
        return -1;
    }
    ocap_memory_install();
    if (ocap_bare_patch_types() < 0 || ocap_iterator_guard_start() < 0 ||
        ocap_set_guard_start() < 0 || ocap_bytearray_guard_start() < 0 ||
        ocap_deque_index_start() < 0) {
        PyErr_Clear();
        snprintf(runtime_error, sizeof runtime_error,
                 "cannot harden CPython's types");
        PyEval_SaveThread();
        return -1;
    }
    /* Only a speed-up: without it CPython compiles them in each new
       interpreter. */
    ocap_boot_modules_freeze();
    PyErr_Clear();
    /* Release the GIL: sandboxes take it on their own threads. */
    PyEval_SaveThread();
    return 0;
}

objcap_status
ocap_runtime_start(const char *stdlib_dir, const char *dynload_dir, char *msg,
                   size_t msg_size)
{
    pthread_mutex_lock(&runtime_mu);
    if (runtime_state == 0) {
        runtime_state = start_locked(stdlib_dir, dynload_dir) == 0 ? 1 : -1;
    }
    int state = runtime_state;
    if (state < 0 && msg != NULL) {
        snprintf(msg, msg_size, "%s", runtime_error);
    }
    pthread_mutex_unlock(&runtime_mu);
    return state > 0 ? OBJCAP_OK : OBJCAP_ERR_RUNTIME;
}

/* fork() with CPython's state kept consistent on both sides, as os.fork
   does it (its import lock held across, its thread states and locks reset
   in the child, at-fork hooks of the stdlib run).  objcap-worker's zygote
   calls it with no other thread in the process. */
pid_t
ocap_runtime_fork(void)
{
    if (runtime_state != 1) {
        errno = EINVAL;
        return -1;
    }
    PyGILState_STATE gil = PyGILState_Ensure();
    PyOS_BeforeFork();
    pid_t pid = fork();
    int saved = errno;
    if (pid == 0) {
        PyOS_AfterFork_Child();
    }
    else {
        PyOS_AfterFork_Parent();
    }
    PyGILState_Release(gil);
    errno = saved;
    return pid;
}

PyInterpreterState *
ocap_runtime_main_interpreter(void)
{
    return main_interp;
}

/* objcap_version(): the library, its CPython and which cpython-patches that
   CPython carries (bare.c skips the surgery they make unnecessary). */
static char version[4352]; /* the library path may take 4 KiB */
static pthread_once_t version_once = PTHREAD_ONCE_INIT;

static void
fill_version(void)
{
    /* Where the interpreter came from: the libpython this process uses. */
    Dl_info info;
    const char *origin = dladdr((void *)Py_Initialize, &info) != 0 &&
            info.dli_fname != NULL
        ? info.dli_fname
        : "an unknown library";
    snprintf(version, sizeof version,
             "%s (CPython %s from %s; cpython-patches: %s)", OBJCAP_VERSION,
             PY_VERSION, origin, ocap_bare_cpython_patches());
}

const char *
ocap_runtime_version(void)
{
    pthread_once(&version_once, fill_version);
    return version;
}
