/* Declarations shared by the engine's files; nothing here is exported. */
#ifndef OBJCAP_INTERNAL_H
#define OBJCAP_INTERNAL_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <msgpack.h>
#include <pthread.h>
#include <stdatomic.h>

#include "objcap.h"

typedef struct ocap_sandbox ocap_sandbox;
typedef struct ocap_job ocap_job;

/* One unit of work, run on the sandbox's thread with its GIL held. */
struct ocap_job {
    objcap_status (*run)(ocap_sandbox *sb, ocap_job *job);
    const char *text;      /* source, expression or global name */
    size_t text_len;
    const char *filename;  /* exec only */
    size_t filename_len;
    const uint8_t *value;  /* MessagePack input: call arguments, set value */
    size_t value_len;
    uint64_t reference;    /* release only */
    objcap_status status;  /* outputs */
    uint8_t *out;
    size_t out_len;
    int done;
};

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

    /* configuration, fixed at creation */
    int recursion_limit;
    int64_t timeout_ms;
    size_t stack_size;
    objcap_output_fn on_output;
    void *user;

    /* Python state: touched only on the engine thread with the GIL held */
    PyThreadState *tstate;
    unsigned long thread_ident;
    PyObject *globals;     /* __main__.__dict__ */
    PyObject *references;  /* {int: object} handed out as references */
    uint64_t next_reference;
    PyObject *sources;     /* {filename: source} for traceback lines */
    PyObject *time_limit_exc; /* raised into the thread at the deadline */

    atomic_int timed_out;
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

/* sandbox.c */
objcap_status ocap_sandbox_new(int recursion_limit, int64_t timeout_ms,
                               objcap_output_fn on_output, void *user,
                               ocap_sandbox **out, char *msg, size_t msg_size);
void ocap_sandbox_free(ocap_sandbox *sb);
objcap_status ocap_sandbox_run(ocap_sandbox *sb, ocap_job *job);
int ocap_sandbox_is_own_thread(ocap_sandbox *sb);

/* calls.c: job bodies */
objcap_status ocap_job_exec(ocap_sandbox *sb, ocap_job *job);
objcap_status ocap_job_eval(ocap_sandbox *sb, ocap_job *job);
objcap_status ocap_job_call(ocap_sandbox *sb, ocap_job *job);
objcap_status ocap_job_set(ocap_sandbox *sb, ocap_job *job);
objcap_status ocap_job_get(ocap_sandbox *sb, ocap_job *job);
objcap_status ocap_job_release(ocap_sandbox *sb, ocap_job *job);

/* values.c: a conversion failure that is not a Python exception */
typedef struct ocap_value_error {
    char message[200];
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
objcap_status ocap_error_from_python(ocap_sandbox *sb, uint8_t **out,
                                     size_t *out_len);

/* output.c */
int ocap_output_install(ocap_sandbox *sb);

/* timeout.c */
void ocap_timeout_interrupt(ocap_sandbox *sb);
int ocap_timeout_install(ocap_sandbox *sb);

/* buffer.c */
objcap_status ocap_buffer_take(msgpack_sbuffer *sbuf, uint8_t **out,
                               size_t *out_len);
int ocap_utf8_valid(const char *s, size_t len);

#endif
