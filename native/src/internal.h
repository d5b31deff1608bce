/* Declarations shared by the engine's files; nothing here is exported. */
#ifndef OBJCAP_INTERNAL_H
#define OBJCAP_INTERNAL_H

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

typedef struct ocap_sandbox ocap_sandbox;
typedef struct ocap_job ocap_job;
typedef struct ocap_remote ocap_remote;

/* Kinds of module (paper 5.5); bytecode is not one: it is never loaded. */
enum { OCAP_KIND_BUILTIN, OCAP_KIND_FROZEN, OCAP_KIND_EXTENSION,
       OCAP_KIND_SOURCE, OCAP_KIND_COUNT };

typedef struct ocap_string_list {
    char **items;
    size_t count;
} ocap_string_list;

/* What the host allows beyond the default, as given at creation. */
typedef struct ocap_policy {
    ocap_string_list allow[OCAP_KIND_COUNT];
    ocap_string_list source_paths;
    ocap_string_list dangerous;
    ocap_string_list read_dirs;  /* directories that may be granted */
    ocap_string_list write_dirs;
} ocap_policy;

/* ---- capabilities (grants.c, directory.c, granted_file.c, host_function.c) */

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
    int fd;        /* -1 once closed */
    int users;     /* system calls in progress */
    int closing;   /* close when users drops to 0 */
    int revoked;   /* it was closed by a revocation */
    struct ocap_lent_fd *next, *prev; /* the grant's open files */
} ocap_lent_fd;

typedef struct ocap_grant {
    uint64_t id;
    ocap_grant_kind kind;
    atomic_int refs;      /* the sandbox's table and each object using it */
    pthread_mutex_t mu;   /* revoked, dir, files */
    pthread_cond_t idle;  /* a lent descriptor's last user is done */
    int revoked;
    ocap_lent_fd dir;     /* directories: an O_PATH descriptor */
    ocap_lent_fd *files;  /* files opened through a directory grant */
    uint64_t function;    /* host functions: the host's number */
    char *name;           /* the global name (for repr and messages) */
    PyObject *value;      /* values: the object given (engine thread only) */
    int value_removed;
} ocap_grant;

/* Per-interpreter types of the capability objects (made on first grant). */
typedef struct ocap_cap_types {
    PyObject *directory;
    PyObject *file;
    PyObject *function;
    PyObject *host_error;
    PyObject *io;         /* the real _io, hidden from the script */
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
    PyObject *array_methods;   /* hardening.c: array's original methods */
    int depth;                 /* nested imports, to stop runaway recursion */
    int requester_support;     /* the import in progress is the stdlib's */
} ocap_importer;

/* One unit of work, run on the sandbox's thread with its GIL held. */
struct ocap_job {
    objcap_status (*run)(ocap_sandbox *sb, ocap_job *job);
    uint8_t remote_type;   /* the same request for a worker (protocol.h) */
    const char *text;      /* source, expression or global name */
    size_t text_len;
    const char *filename;  /* exec only */
    size_t filename_len;
    const uint8_t *value;  /* MessagePack input: call arguments, set value */
    size_t value_len;
    uint64_t reference;    /* release only */
    struct ocap_grant *grant; /* grants only */
    const struct ocap_field *fields; /* a worker request's own fields */
    size_t field_count;
    objcap_status status;  /* outputs */
    uint8_t *out;
    size_t out_len;
    int done;
};

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
    int started;           /* 1 ready, -1 failed */
    char start_error[256];
    pthread_mutex_t call_mu; /* serializes callers */
    pthread_t caller;        /* holds call_mu, when has_caller */
    int has_caller;

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
    PyThreadState *tstate;     /* the engine thread's */
    PyInterpreterState *armed_interp; /* trust.c: set once built */
    PyThreadState *running;    /* the thread state running a job, if any */
    unsigned long running_ident;
    struct {                   /* thread states of calling threads */
        pthread_t thread;
        PyThreadState *ts;
    } callers[OCAP_CALLER_STATES];
    int caller_count, caller_next;
    PyObject *context;         /* contextvars and thread dict, carried */
    PyObject *thread_dict;     /* from thread to thread between jobs */
    PyObject *globals;     /* __main__.__dict__ */
    PyObject *references;  /* {int: object} handed out as references */
    uint64_t next_reference;
    PyObject *sources;     /* {filename: source} for traceback lines */
    int compiling_host_text; /* calls.c: the host's text is being compiled */
    PyObject *time_limit_exc; /* raised into the thread at the deadline */

    ocap_importer importer;

    atomic_int limit_hit;      /* an ocap_limit, set when a call overran */
    int64_t cpu_ms;            /* per call, 0 = none */
    int64_t max_output;        /* bytes per call, stdout + stderr, 0 = none */
    int64_t memory_limit;      /* bytes, 0 = none */
    int64_t max_result;        /* bytes of one encoded value, 0 = none */
    int64_t output_used;       /* this call's output so far */
    atomic_llong memory_used;  /* what this sandbox's thread holds */

    /* grants.c: what the host granted, by id; host_fn serves functions */
    pthread_mutex_t grants_mu;
    ocap_grant **grants;
    size_t grant_count, grant_capacity;
    uint64_t next_grant;
    objcap_host_fn host_fn;
    void *host_user;
    ocap_cap_types cap_types; /* engine thread only */
    atomic_int values_revoked; /* a value grant waits to be removed */

    /* denials.c */
    pthread_mutex_t denials_mu;
    uint64_t denial_count;
    size_t denial_next;
    char recent_denials[OCAP_RECENT_DENIALS][96];
};

/* registry.c */
objcap_status ocap_registry_add(ocap_sandbox *sb);
ocap_sandbox *ocap_registry_acquire(objcap_sandbox handle);
void ocap_registry_release(ocap_sandbox *sb);
ocap_sandbox *ocap_registry_take(objcap_sandbox handle, int *reentrant);

/* runtime.c */
objcap_status ocap_runtime_start(const char *stdlib_dir, char *msg,
                                 size_t msg_size);
PyInterpreterState *ocap_runtime_main_interpreter(void);
const char *ocap_runtime_stdlib_dir(void);
const char *ocap_runtime_dynload_dir(void);
const char *ocap_runtime_version(void);

/* sandbox.c */
typedef struct ocap_limits {
    int recursion_limit;
    int64_t timeout_ms, cpu_ms, max_output, memory_limit, max_result;
} ocap_limits;
objcap_status ocap_sandbox_new(const ocap_limits *limits,
                               ocap_policy *policy,
                               objcap_output_fn on_output, void *user,
                               ocap_sandbox **out, char *msg, size_t msg_size);
void ocap_sandbox_free(ocap_sandbox *sb);
objcap_status ocap_sandbox_run(ocap_sandbox *sb, ocap_job *job);
int ocap_sandbox_is_own_thread(ocap_sandbox *sb);

/* watchdog.c: the time and CPU limits of calls run on their caller's
   thread (the caller's stack holds it) */
typedef struct ocap_watch {
    ocap_sandbox *sb;
    int64_t start_ms;
    clockid_t clock;
    int64_t cpu_start;
    int64_t interrupted_at;
    struct ocap_watch *next, *prev;
} ocap_watch;
int ocap_watch_start(ocap_watch *w, ocap_sandbox *sb);
void ocap_watch_stop(ocap_watch *w);
int ocap_watchdog_start(void);

/* trust.c */
void ocap_trust_set_sandbox(ocap_sandbox *sb);
ocap_sandbox *ocap_trust_sandbox(void);
typedef struct ocap_host_state {
    PyThreadState *ts;
    ocap_sandbox *outer;
} ocap_host_state;
int ocap_host_enter(PyInterpreterState *interp, ocap_host_state *h);
void ocap_host_leave(ocap_host_state *h);
int ocap_trust_arm(ocap_sandbox *sb, PyInterpreterState *interp);
void ocap_trust_disarm(ocap_sandbox *sb);
ocap_sandbox *ocap_trust_armed_sandbox(void);
/* One audit event let through (trust.c); each returns the pass it
   replaced, for ocap_trust_end to put back. */
typedef struct ocap_trust_pass {
    const char *event;
    PyObject *object;    /* the same object, or an equal exact str */
    const void *bytes;   /* or exact bytes of this content */
    size_t len;
    int no_arguments;    /* or an empty argument tuple */
    int constants_too;   /* a dump: also its constants, until ended */
} ocap_trust_pass;
ocap_trust_pass ocap_trust_expect(const char *event, PyObject *first_arg);
ocap_trust_pass ocap_trust_expect_bytes(const char *event, const void *data,
                                        size_t len);
ocap_trust_pass ocap_trust_expect_dump(PyObject *code);
void ocap_trust_end(ocap_trust_pass outer);
int ocap_trust_take_expected(const char *event, PyObject *args);

/* audit.c */
int ocap_audit_install(void);

/* denials.c */
void ocap_sandbox_count_denial(ocap_sandbox *sb, const char *event);
objcap_status ocap_denials_report(ocap_sandbox *sb, uint8_t **out,
                                  size_t *out_len);

/* bare.c */
PyObject *ocap_type_dict(PyTypeObject *type);
int ocap_bare_patch_builtins(PyObject *builtins_dict);
int ocap_bare_patch_types(void);
const char *ocap_bare_cpython_patches(void);
PyObject *ocap_bare_new_file(PyObject *type, PyObject *args);

/* hardening.c */
int ocap_harden_module(const char *name, PyObject *module);
int ocap_rewrap_slot(PyTypeObject *type, void *original, void *guarded);

/* list_compare.c: list comparison holds the items it compares */
int ocap_list_compare_patch(void);

/* busy_objects.c: 1 when `key` is now busy, 0 when it already was, -1
   with MemoryError set; leave what was entered */
int ocap_busy_enter(void *key);
void ocap_busy_leave(void *key);

/* iterator_guard.c: itertools iterators refuse re-entry */
int ocap_iterator_guard_start(void);
int ocap_iterator_guard_module(PyObject *itertools);
int ocap_iterator_guard_builtins(void);

/* set_guard.c: a set is not added to while an add to it runs */
int ocap_set_guard_start(void);
int ocap_set_guard_abc(PyObject *module_dict);
int ocap_set_guard_abc_modules(void);

/* bytearray_guard.c: bytearray methods cannot resize what they read */
int ocap_bytearray_guard_start(void);

/* deque_index.c: deque.index holds the item it compares */
int ocap_deque_index_start(void);
int ocap_deque_index_module(PyObject *collections);

/* policy.c */
int ocap_policy_is_dangerous(const char *name, size_t len);
int ocap_policy_imported_by_c(PyObject *name);
void ocap_policy_clear(ocap_policy *p);
const char *ocap_policy_read_list(const msgpack_object *o,
                                  ocap_string_list *list, int module_names);
const char *ocap_policy_validate(const ocap_policy *p, char *buffer,
                                 size_t size);
int ocap_policy_build(ocap_sandbox *sb);

/* importer.c */
int ocap_importer_install(ocap_sandbox *sb);
void ocap_importer_clear(ocap_sandbox *sb);
PyObject *ocap_importer_register(ocap_sandbox *sb, const char *name,
                                 PyObject *module);
PyObject *ocap_importer_load_support(ocap_sandbox *sb, const char *name);
int ocap_importer_is_support_code(ocap_sandbox *sb, PyObject *code);
int ocap_importer_own_codec_search(ocap_sandbox *sb);
int ocap_importer_stdlib_probe(ocap_sandbox *sb, const char *attribute);

/* code_cache.c: compiled module code shared by the process's sandboxes */
struct stat;
PyObject *ocap_code_cache_get(const char *path, const struct stat *st);
void ocap_code_cache_put(const char *path, const struct stat *st,
                         PyObject *code);

/* standins.c */
PyObject *ocap_standin_build(ocap_sandbox *sb, const char *name);
int ocap_standin_known(const char *name);
int ocap_standin_for_scripts(const char *name);
int ocap_forwarder_ready(void);

/* worker_client.c */
struct ocap_field;
objcap_status ocap_remote_create(const char *worker_path,
                                 const uint8_t *options, size_t options_len,
                                 const ocap_limits *limits,
                                 objcap_output_fn on_output, void *user,
                                 ocap_remote **result, uint8_t **out,
                                 size_t *out_len);
objcap_status ocap_remote_call(ocap_remote *r, uint8_t type,
                               const struct ocap_field *fields, size_t count,
                               objcap_output_fn on_output, void *user,
                               uint8_t **out, size_t *out_len);
objcap_status ocap_remote_isolation(ocap_remote *r, uint8_t **out,
                                    size_t *out_len);
int ocap_remote_is_dead(ocap_remote *r);
void ocap_remote_revoke(ocap_remote *r, uint64_t grant);
void ocap_remote_set_owner(ocap_remote *r, ocap_sandbox *sb);
void ocap_remote_destroy(ocap_remote *r);
objcap_status ocap_sandbox_new_remote(ocap_remote *remote,
                                      objcap_output_fn on_output, void *user,
                                      ocap_sandbox **out);

/* grants.c */
void ocap_grants_init(ocap_sandbox *sb);
void ocap_grants_clear_python(ocap_sandbox *sb); /* engine thread, GIL */
void ocap_grants_free(ocap_sandbox *sb);
objcap_status ocap_grant_add(ocap_sandbox *sb, uint64_t id,
                             ocap_grant_kind kind, const char *name,
                             size_t name_len, const void *payload,
                             size_t payload_len, uint64_t *granted,
                             uint8_t **out, size_t *out_len);
objcap_status ocap_grant_revoke(ocap_sandbox *sb, uint64_t id);
void ocap_grants_remove_revoked_values(ocap_sandbox *sb);
ocap_grant *ocap_grant_ref(ocap_grant *g);
void ocap_grant_unref(ocap_grant *g);
int ocap_grant_is_revoked(ocap_grant *g);
PyObject *ocap_grant_revoked_error(ocap_grant *g);
int ocap_lent_fd_register(ocap_grant *g, ocap_lent_fd *lent, int fd);
int ocap_lent_fd_use(ocap_grant *g, ocap_lent_fd *lent);
void ocap_lent_fd_done(ocap_grant *g, ocap_lent_fd *lent);
void ocap_lent_fd_close(ocap_grant *g, ocap_lent_fd *lent);
objcap_status ocap_grant_serve_host_call(ocap_sandbox *sb, uint64_t id,
                                         const uint8_t *args, size_t len,
                                         uint8_t **out, size_t *out_len);
struct objcap_reply {
    uint8_t *data;
    size_t len;
};

/* directory.c, granted_file.c, host_function.c: the objects */
int ocap_cap_types_ready(ocap_sandbox *sb);
void ocap_cap_types_clear(ocap_sandbox *sb);
PyObject *ocap_directory_new(ocap_sandbox *sb, ocap_grant *g);
PyObject *ocap_granted_file_open(ocap_sandbox *sb, ocap_grant *g, int fd,
                                 PyObject *name, const char *raw_mode,
                                 int readable, int writable);
PyObject *ocap_host_function_new(ocap_sandbox *sb, ocap_grant *g);
PyObject *ocap_directory_type_new(void);
PyObject *ocap_granted_file_type_new(void);
PyObject *ocap_host_function_type_new(void);
PyObject *ocap_cap_refuse_copy(PyObject *self, PyObject *args);
/* The methods every capability type has: copying and pickling refused. */
#define OCAP_CAP_NO_COPY_METHODS                                           \
    {"__reduce__", ocap_cap_refuse_copy, METH_VARARGS, NULL},              \
    {"__reduce_ex__", ocap_cap_refuse_copy, METH_VARARGS, NULL},           \
    {"__copy__", ocap_cap_refuse_copy, METH_VARARGS, NULL},                \
    {"__deepcopy__", ocap_cap_refuse_copy, METH_VARARGS, NULL},            \
    {"__getstate__", ocap_cap_refuse_copy, METH_VARARGS, NULL}

/* Limits a call can run into (limits.c). */
typedef enum ocap_limit {
    OCAP_LIMIT_NONE = 0,
    OCAP_LIMIT_TIME,
    OCAP_LIMIT_CPU,
    OCAP_LIMIT_MEMORY,
    OCAP_LIMIT_OUTPUT
} ocap_limit;

/* The worker sets this: it serves one sandbox and spawns none. */
extern int ocap_worker_side;
int ocap_worker_self_test(const char *outside_dir);
int ocap_options_for_worker(const uint8_t *options, size_t len,
                            ocap_limits *limits, ocap_policy *policy);
void ocap_policy_each_extension(const char *dynload_dir);

/* calls.c: job bodies */
objcap_status ocap_job_exec(ocap_sandbox *sb, ocap_job *job);
objcap_status ocap_job_eval(ocap_sandbox *sb, ocap_job *job);
objcap_status ocap_job_call(ocap_sandbox *sb, ocap_job *job);
objcap_status ocap_job_set(ocap_sandbox *sb, ocap_job *job);
objcap_status ocap_job_get(ocap_sandbox *sb, ocap_job *job);
objcap_status ocap_job_release(ocap_sandbox *sb, ocap_job *job);

/* errors.c: the largest error description (a 64 Ki-character message and
   up to 200 frames of 512-character names and lines, in UTF-8) */
#define OCAP_MAX_ERROR_REPORT (4u << 20)

/* values.c: a conversion failure that is not a Python exception */
typedef struct ocap_value_error {
    char message[200];
    int result_limit; /* the value passed the sandbox's max_result */
} ocap_value_error;
objcap_status ocap_value_pack(ocap_sandbox *sb, PyObject *obj,
                              msgpack_packer *pk, int depth,
                              ocap_value_error *err);
objcap_status ocap_value_to_buffer(ocap_sandbox *sb, PyObject *obj,
                                   uint8_t **out, size_t *out_len,
                                   ocap_value_error *err);
objcap_status ocap_value_from_buffer(ocap_sandbox *sb, const uint8_t *data,
                                     size_t len, PyObject **result,
                                     ocap_value_error *err);
int ocap_pack_text(msgpack_packer *pk, PyObject *str);

/* errors.c */
objcap_status ocap_error_plain(objcap_status status, const char *type,
                               const char *message, uint8_t **out,
                               size_t *out_len);
objcap_status ocap_error_plain_closing(objcap_status status, const char *type,
                                       const char *message, int closed,
                                       uint8_t **out, size_t *out_len);
PyObject *ocap_source_line(ocap_sandbox *sb, PyObject *filename, long line);
objcap_status ocap_error_from_python(ocap_sandbox *sb, uint8_t **out,
                                     size_t *out_len);

/* output.c */
int ocap_output_install(ocap_sandbox *sb);

/* timeout.c */
void ocap_timeout_interrupt(ocap_sandbox *sb, ocap_limit why);
void ocap_timeout_reset(ocap_sandbox *sb);
void ocap_limit_stop_here(ocap_sandbox *sb, ocap_limit why);
const char *ocap_limit_name(ocap_limit limit);

/* memory.c */
int ocap_memory_install(void);
int ocap_timeout_install(ocap_sandbox *sb);

/* wire.c */
int ocap_wire_plausible(const uint8_t *data, size_t len);

/* buffer.c */
objcap_status ocap_buffer_take(msgpack_sbuffer *sbuf, uint8_t **out,
                               size_t *out_len);
int ocap_utf8_valid(const char *s, size_t len);

#endif
