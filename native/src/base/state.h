/*
 * The data every layer reads: the sandbox, its jobs, its policy, its grants
 * and its importer's state, as plain structs.  Functions are declared in
 * each layer's own header; this one declares none.
 */
#ifndef OBJCAP_BASE_STATE_H
#define OBJCAP_BASE_STATE_H


#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <msgpack.h>
#include <pthread.h>
#include <stdatomic.h>

#include "objcap.h"

/* PyErr_GetRaisedException arrived in 3.12. */
#if PY_VERSION_HEX >= 0x030C0000
#define PyErr_GetRaisedException_compat PyErr_GetRaisedException
#define PyErr_SetRaisedException_compat PyErr_SetRaisedException
#else
static inline PyObject *
PyErr_GetRaisedException_compat(void)
{
    PyObject *type, *value, *tb;
    PyErr_Fetch(&type, &value, &tb);
    if (type == NULL) {
        return NULL;
    }
    PyErr_NormalizeException(&type, &value, &tb);
    if (tb != NULL) {
        PyException_SetTraceback(value, tb);
    }
    Py_DECREF(type);
    Py_XDECREF(tb);
    return value;
}

static inline void
PyErr_SetRaisedException_compat(PyObject *exc)
{
    if (exc != NULL) {
        PyErr_Restore(Py_NewRef((PyObject *)Py_TYPE(exc)), exc,
                      PyException_GetTraceback(exc));
    }
}
#endif

/* CPython 3.12+: each sandbox is a sub-interpreter with a GIL of its own
   (PyInterpreterConfig_OWN_GIL), so sandboxes on different threads run
   Python at the same time; 3.11 has one GIL.  Every global of the engine
   is immutable after the runtime starts, atomic, thread-local or behind a
   mutex (docs/design-notes.md, "Own GIL"). */
#if PY_VERSION_HEX >= 0x030C0000
#define OCAP_OWN_GIL 1
#else
#define OCAP_OWN_GIL 0
#endif

typedef struct ocap_sandbox ocap_sandbox;
typedef struct ocap_job ocap_job;
typedef struct ocap_remote ocap_remote;

/* Kinds of module (paper 5.5); bytecode is not one: it is never loaded. */
enum {
    OCAP_KIND_BUILTIN,
    OCAP_KIND_FROZEN,
    OCAP_KIND_EXTENSION,
    OCAP_KIND_SOURCE,
    OCAP_KIND_COUNT
};

typedef struct ocap_string_list {
    char **items;
    size_t count;
} ocap_string_list;

/* What the host allows beyond the default, as given at creation. */
typedef struct ocap_policy {
    ocap_string_list allow[OCAP_KIND_COUNT];
    ocap_string_list source_paths;
    ocap_string_list dangerous;
    ocap_string_list read_dirs; /* directories that may be granted */
    ocap_string_list write_dirs;
} ocap_policy;

/* ---- capabilities (capabilities/) */

typedef enum ocap_grant_kind {
    OCAP_GRANT_DIRECTORY_RO = 1,
    OCAP_GRANT_DIRECTORY_RW = 2,
    OCAP_GRANT_FUNCTION = 3,
    OCAP_GRANT_VALUE = 4
} ocap_grant_kind;

/* A descriptor lent to Python code: closed only when nobody is inside a
   system call with it, so that a revocation never closes a number that a
   read in progress (or, after reuse, someone else) is using. */
typedef struct ocap_lent_fd {
    int fd;                           /* -1 once closed */
    int users;                        /* system calls in progress */
    int closing;                      /* close when users drops to 0 */
    int revoked;                      /* it was closed by a revocation */
    struct ocap_lent_fd *next, *prev; /* the grant's open files */
} ocap_lent_fd;

typedef struct ocap_grant {
    uint64_t id;
    ocap_grant_kind kind;
    atomic_int refs;     /* the sandbox's table and each object using it */
    pthread_mutex_t mu;  /* revoked, dir, files */
    pthread_cond_t idle; /* a lent descriptor's last user is done */
    int revoked;
    ocap_lent_fd dir;    /* directories: an O_PATH descriptor */
    ocap_lent_fd *files; /* files opened through a directory grant */
    uint64_t function;   /* host functions: the host's number */
    char *name;          /* the global name (for repr and messages) */
    PyObject *value;     /* values: the object given (engine thread only) */
    int value_removed;
} ocap_grant;

/* Per-interpreter types of the capability objects (made on first grant). */
typedef struct ocap_cap_types {
    PyObject *directory;
    PyObject *file;
    PyObject *function;
    PyObject *host_error;
    PyObject *io; /* the real _io, hidden from the script */
} ocap_cap_types;

/* The importer's state: Python objects, engine thread only. */
typedef struct ocap_importer {
    PyObject *user[OCAP_KIND_COUNT];    /* sets of names a script may import */
    PyObject *support[OCAP_KIND_COUNT]; /* sets only loaded modules may import */
    PyObject *dangerous;       /* names the host accepted as real modules */
    PyObject *source_paths;    /* host directories of pure-Python modules */
    PyObject *modules;         /* the interpreter's sys.modules */
    PyObject *visible_modules; /* the stand-in sys.modules */
    PyObject *hidden;          /* modules the sandbox must not see */
    PyObject *support_code;    /* {id(code): (code, module dict)}: the
                                  code objcap runs as support modules */
    PyObject *package_dirs;    /* {package name: (directory, is_support)} */
    PyObject *host_names;      /* top-level names loaded from host paths */
    PyObject *imp;             /* the real _imp */
    PyObject *namespace_type;  /* types.SimpleNamespace */
    PyObject *builtins;        /* the builtins module */
    PyObject *extension_suffixes;
    PyObject *array_methods; /* hardening.c: array's original methods */
    int depth;               /* nested imports, to stop runaway recursion */
    int requester_support;   /* the import in progress is the stdlib's */
    /* Handed to standins.c by importer.c and loaders.c, which call it (so
       it may not call them): loading a real module as support code, and
       registering a module by name. */
    PyObject *(*load_support)(ocap_sandbox *sb, const char *name);
    PyObject *(*register_module)(ocap_sandbox *sb, const char *name,
                                 PyObject *module);
} ocap_importer;

/* One unit of work, run on the sandbox's thread with its GIL held. */
struct ocap_job {
    objcap_status (*run)(ocap_sandbox *sb, ocap_job *job);
    uint8_t remote_type; /* the same request for a worker (protocol.h) */
    const char *text;    /* source, expression or global name */
    size_t text_len;
    const char *filename; /* exec only */
    size_t filename_len;
    const uint8_t *value; /* MessagePack input: call arguments, set value */
    size_t value_len;
    uint64_t reference;              /* release only */
    struct ocap_grant *grant;        /* grants only */
    const struct ocap_field *fields; /* a worker request's own fields */
    size_t field_count;
    objcap_status status; /* outputs */
    uint8_t *out;
    size_t out_len;
    int done;
};

/* The limits a sandbox is created with (0 = none). */
typedef struct ocap_limits {
    int recursion_limit;
    int64_t timeout_ms, cpu_ms, max_output, memory_limit, max_result;
} ocap_limits;

/* Limits a call can run into (limits/). */
typedef enum ocap_limit {
    OCAP_LIMIT_NONE = 0,
    OCAP_LIMIT_TIME,
    OCAP_LIMIT_CPU,
    OCAP_LIMIT_MEMORY,
    OCAP_LIMIT_OUTPUT
} ocap_limit;

#define OCAP_RECENT_DENIALS 32
#define OCAP_CALLER_STATES 8

struct ocap_sandbox {
    objcap_sandbox handle;

    /* registry.c: callers holding the sandbox, and whether it is closing */
    int users;
    int closing;

    /* sandbox.c: the engine thread and the one job it is handed */
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    ocap_job *job;
    int stop;
    int started; /* 1 ready, -1 failed */
    char start_error[256];
    pthread_mutex_t call_mu; /* serializes callers */
    /* The thread that holds call_mu and runs the call, or 0.  Only that
       thread stores itself here, so a thread that reads its own id back
       is inside the call (no lock: it is read on every call). */
    _Atomic(pthread_t) caller;

    /* worker_client.c: set when the interpreter runs in objcap-worker */
    ocap_remote *remote;

    /* configuration, fixed at creation */
    ocap_policy policy;
    int recursion_limit;
    int64_t timeout_ms;
    size_t stack_size;
    objcap_output_fn on_output;
    void *user;

    /* Python state: touched only with the GIL held */
    PyThreadState *tstate; /* the engine thread's */
    int own_gil; /* the interpreter has its own GIL (3.12+), fixed at start */
    /* trust.c: set once built; read by the audit hook on any thread */
    _Atomic(PyInterpreterState *) armed_interp;
    PyThreadState *running; /* the thread state running a job, if any */
    unsigned long running_ident;
    struct { /* thread states of calling threads */
        pthread_t thread;
        PyThreadState *ts;
    } callers[OCAP_CALLER_STATES];
    int caller_count, caller_next;
    PyObject *context;     /* contextvars and thread dict, carried */
    PyObject *thread_dict; /* from thread to thread between jobs */
    PyObject *globals;     /* __main__.__dict__ */
    PyObject *references;  /* {int: object} handed out as references */
    uint64_t next_reference;
    PyObject *sources;  /* {filename: source} for traceback lines */
    PyObject *compiled; /* calls.c: {(start, filename, source): code} */
    /* calls.c: the last short expression evaluated and its code, and the
       last function name called: repeated, they skip decoding and lookups */
    char last_eval[256];
    size_t last_eval_len;
    PyObject *last_eval_code, *last_eval_source, *eval_filename;
    char last_name[128];
    size_t last_name_len;
    PyObject *last_name_object;
    size_t compiled_chars;    /* the cached sources' length, bounded */
    int compiling_host_text;  /* calls.c: the host's text is being compiled */
    PyObject *time_limit_exc; /* raised into the thread at the deadline */
    int trace_installed;      /* timeout.c: its trace is set (GIL held) */
    int ever_interrupted;     /* timeout.c: a limit's exception was aimed
                                 at one of its threads (GIL held) */
    int stopping;             /* timeout.c: inside ocap_limit_stop_here */

    ocap_importer importer;

    atomic_int limit_hit;     /* an ocap_limit, set when a call overran */
    int64_t cpu_ms;           /* per call, 0 = none */
    int64_t max_output;       /* bytes per call, stdout + stderr, 0 = none */
    int64_t memory_limit;     /* bytes, 0 = none */
    int64_t max_result;       /* bytes of one encoded value, 0 = none */
    int64_t output_used;      /* this call's output so far */
    atomic_llong memory_used; /* what this sandbox's thread holds */

    /* grants.c: what the host granted, by id; host_fn serves functions */
    pthread_mutex_t grants_mu;
    ocap_grant **grants;
    size_t grant_count, grant_capacity;
    uint64_t next_grant;
    objcap_host_fn host_fn;
    void *host_user;
    ocap_cap_types cap_types;  /* engine thread only */
    atomic_int values_revoked; /* a value grant waits to be removed */

    /* denials.c */
    pthread_mutex_t denials_mu;
    uint64_t denial_count;
    size_t denial_next;
    char recent_denials[OCAP_RECENT_DENIALS][96];
};

#endif
