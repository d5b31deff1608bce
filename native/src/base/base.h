/*
 * The bottom of the engine, used by every layer and using none: buffers and
 * UTF-8, where the standard library is, which sandbox an interpreter
 * belongs to (trust.c), the denial log, and two tools for CPython's types.
 */
#ifndef OBJCAP_BASE_BASE_H
#define OBJCAP_BASE_BASE_H

#include "base/state.h"

/* buffer.c */
objcap_status ocap_buffer_take(msgpack_sbuffer *sbuf, uint8_t **out,
                               size_t *out_len);
int ocap_utf8_valid(const char *s, size_t len);


/* paths.c: where the standard library is */
int ocap_paths_set(const char *stdlib_dir, const char *dynload_dir);
int ocap_paths_given(void);
const char *ocap_stdlib_dir(void);
const char *ocap_dynload_dir(void);

/* worker_side.c: set in objcap-worker, which serves one sandbox and spawns none */
extern int ocap_worker_side;
/* worker_side.c: set while objcap-worker's zygote warms the engine for the
   workers it will fork, which inherit what it caches */
extern int ocap_zygote_warming;

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
    PyObject *object;  /* the same object, or an equal exact str */
    const void *bytes; /* or exact bytes of this content */
    size_t len;
    int no_arguments;  /* or an empty argument tuple */
    int constants_too; /* a dump: also its constants, until ended */
    int times;         /* more events of the same kind still let through */
} ocap_trust_pass;
ocap_trust_pass ocap_trust_expect(const char *event, PyObject *first_arg);
ocap_trust_pass ocap_trust_expect_times(const char *event, int times);
ocap_trust_pass ocap_trust_expect_bytes(const char *event, const void *data,
                                        size_t len);
ocap_trust_pass ocap_trust_expect_dump(PyObject *code);
void ocap_trust_end(ocap_trust_pass outer);
int ocap_trust_take_expected(const char *event, PyObject *args);

/* denials.c */
void ocap_sandbox_count_denial(ocap_sandbox *sb, const char *event);
objcap_status ocap_denials_report(ocap_sandbox *sb, uint8_t **out,
                                  size_t *out_len);

/* slots.c: a type's own dict, and its slot wrappers pointed at a guard */
PyObject *ocap_type_dict(PyTypeObject *type);
int ocap_rewrap_slot(PyTypeObject *type, void *original, void *guarded);
void ocap_type_modified(PyTypeObject *type);

/* thread_stack.c: this thread's stack (the large one while a call runs on
   it), the room below the current frame, and the large stack a call moves
   onto when the thread's own is too small; run_large is -1 if it cannot
   (nothing ran), and run_home runs fn on the thread's own stack */
void ocap_stack_bounds(char **low, char **high);
size_t ocap_stack_room(void);
int ocap_stack_on_large(void);
int ocap_stack_run_large(size_t size, void (*fn)(void *), void *arg);
void ocap_stack_run_home(void (*fn)(void *), void *arg);

/* busy_objects.c: 1 when `key` is now busy, 0 when it already was, -1
   with MemoryError set; leave what was entered */
int ocap_busy_enter(void *key);
void ocap_busy_leave(void *key);

#endif
