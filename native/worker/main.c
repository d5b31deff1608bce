/*
 * objcap-worker: the engine behind a main(), serving one sandbox over the
 * framed protocol on fds 0 and 1 (a socket to the host), with revocations
 * on fd 3 (a second socket, read by a thread of its own).  It starts
 * CPython, creates the sandbox, confines itself (confine.c), and only then
 * runs sandboxed code.  Started with --zygote, it starts CPython once and
 * forks such workers, which begin after CPython's start (zygote.c).  It exits when the host says so, or when the host
 * goes away (parent-death signal, end of stream).
 */
#define _GNU_SOURCE
#include "confine.h"
#include "cpu_limit.h"
#include "zygote.h"
#include "base/base.h"
#include "values/values.h"
#include "imports/imports.h"
#include "limits/limits.h"
#include "core/core.h"
#include "isolation/protocol.h"

#include <dlfcn.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define IN 0
#define OUT 1

/* Above the interpreter's budget: the serving loop's own frames. */
#define SERVER_STACK_EXTRA (1u << 20)

static objcap_sandbox sandbox;
static int64_t cpu_ms; /* per call, from the options */
/* protocol.h: waits without sleeping for what usually comes at once */
static ocap_spinner next_request = {OCAP_SPIN_US, 0};
static ocap_spinner host_answer = {OCAP_SPIN_US, 0};

static void
on_output(void *user, int stream, const char *data, size_t len)
{
    uint8_t tag = (uint8_t)stream;
    ocap_field fields[1] = {{data, len}};
    /* Body: u8 stream | bytes (a raw body, not fields). */
    uint8_t *body = malloc(len + 1);
    if (body == NULL) {
        return;
    }
    body[0] = tag;
    memcpy(body + 1, fields[0].data, len);
    ocap_frame_write_raw(OUT, OCAP_RESP_OUTPUT, body, len + 1);
    free(body);
}

static void
reply(objcap_status status, uint8_t *out, size_t out_len)
{
    if (out_len + 4 > OCAP_MAX_FRAME) {
        /* Larger than a frame may carry: say so rather than vanish. */
        objcap_free(out);
        out = NULL;
        status = ocap_error_plain(OBJCAP_ERR_VALUE, "ValueConversionError",
                                  "the result is larger than 1 GiB, the most "
                                  "that crosses from a worker",
                                  &out, &out_len);
    }
    uint8_t *body = malloc(out_len + 4);
    if (body == NULL) {
        _exit(3);
    }
    for (int i = 0; i < 4; i++) {
        body[i] = (uint8_t)((uint32_t)status >> (8 * i));
    }
    if (out_len) {
        memcpy(body + 4, out, out_len);
    }
    if (ocap_frame_write_raw(OUT, OCAP_RESP_RESULT, body, out_len + 4) < 0) {
        _exit(0); /* the host is gone */
    }
    free(body);
    objcap_free(out);
}

/* {"mode": "process", "pid", "seccomp", "landlock", "no_new_privs",
   "rlimits"} */
static void
pack_isolation(const ocap_confinement *c, uint8_t **out, size_t *out_len)
{
    msgpack_sbuffer sbuf;
    msgpack_sbuffer_init(&sbuf);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sbuf, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 8);
    msgpack_pack_str_with_body(&pk, "mode", 4);
    msgpack_pack_str_with_body(&pk, "process", 7);
    msgpack_pack_str_with_body(&pk, "pid", 3);
    msgpack_pack_int(&pk, getpid());
    msgpack_pack_str_with_body(&pk, "seccomp", 7);
    c->seccomp ? msgpack_pack_true(&pk) : msgpack_pack_false(&pk);
    msgpack_pack_str_with_body(&pk, "landlock", 8);
    msgpack_pack_int(&pk, c->landlock_abi);
    msgpack_pack_str_with_body(&pk, "no_new_privs", 12);
    c->no_new_privs ? msgpack_pack_true(&pk) : msgpack_pack_false(&pk);
    msgpack_pack_str_with_body(&pk, "rlimits", 7);
    c->rlimits ? msgpack_pack_true(&pk) : msgpack_pack_false(&pk);
    msgpack_pack_str_with_body(&pk, "capabilities_dropped", 20);
    c->capabilities_dropped ? msgpack_pack_true(&pk) : msgpack_pack_false(&pk);
    msgpack_pack_str_with_body(&pk, "namespaces", 10);
    c->namespaces == 1 ? msgpack_pack_true(&pk) : msgpack_pack_false(&pk);
    ocap_buffer_take(&sbuf, out, out_len);
}

/* Extensions load their own libraries (libcrypto, libmpdec...) from outside
   the stdlib directories: map them all before Landlock closes those. */
static void
preload_extensions(void)
{
    ocap_policy_each_extension(ocap_dynload_dir());
}

/* Landlock lets it read the stdlib, the host's source paths and the
   directories it may be granted, and write only those granted writable.
   A worker forked from the zygote has the extensions mapped already (the
   zygote's warm-up): looking for them again cost 0.9 ms of each start. */
static int
confine(const uint8_t *options, size_t len, int extensions_mapped,
        ocap_confinement *what)
{
    ocap_limits limits;
    ocap_policy policy;
    if (ocap_options_for_worker(options, len, &limits, &policy) < 0) {
        ocap_policy_clear(&policy);
        return -1;
    }
    unsigned long long memory_limit = (unsigned long long)limits.memory_limit;
    cpu_ms = limits.cpu_ms;
    tzset(); /* reads /etc/localtime now, not after Landlock */
    if (!extensions_mapped) {
        preload_extensions();
    }
    size_t n = 0;
    const char **readable =
        calloc(policy.source_paths.count + policy.read_dirs.count + 3,
               sizeof *readable);
    const char **writable = calloc(policy.write_dirs.count + 1,
                                   sizeof *writable);
    if (readable == NULL || writable == NULL) {
        free(readable);
        free(writable);
        ocap_policy_clear(&policy);
        return -1;
    }
    readable[n++] = ocap_stdlib_dir();
    readable[n++] = ocap_dynload_dir();
    for (size_t i = 0; i < policy.source_paths.count; i++) {
        readable[n++] = policy.source_paths.items[i];
    }
    for (size_t i = 0; i < policy.read_dirs.count; i++) {
        readable[n++] = policy.read_dirs.items[i];
    }
    for (size_t i = 0; i < policy.write_dirs.count; i++) {
        writable[i] = policy.write_dirs.items[i];
    }
    int rc = ocap_confine(readable, writable, memory_limit, what);
    free(readable);
    free(writable);
    ocap_policy_clear(&policy);
    return rc;
}

/* The engine stops Python code at the CPU limit; a single C call that
   never checks (9**9**9) is stopped by the kernel: the soft RLIMIT_CPU is
   moved to what this call may use, and SIGXCPU ends the worker. */
static void
arm_cpu_limit(void)
{
    if (cpu_ms <= 0) {
        return;
    }
    static struct rlimit limit; /* the hard limit is fixed by confine.c */
    static int known;
    struct rusage used;
    if (getrusage(RUSAGE_SELF, &used) != 0 ||
        (!known && getrlimit(RLIMIT_CPU, &limit) != 0)) {
        return;
    }
    known = 1;
    rlim_t soft = ocap_cpu_soft_limit(&used, cpu_ms);
    /* Whole seconds: most calls find it set to the same value already. */
    if (soft < limit.rlim_max && soft != limit.rlim_cur) {
        limit.rlim_cur = soft;
        setrlimit(RLIMIT_CPU, &limit);
    }
}

static uint64_t
u64_of(const ocap_field *f)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) {
        v = (v << 8) | ((const uint8_t *)f->data)[i];
    }
    return v;
}

/* GRANT: id | kind | name | payload, with the id the host chose. */
static objcap_status
grant(const ocap_frame *frame, uint8_t **out, size_t *out_len)
{
    ocap_field f[4];
    if (ocap_frame_fields(frame, f, 4) < 0 || f[0].len != 8 || f[1].len != 1) {
        return OBJCAP_ERR_ARGUMENT;
    }
    uint8_t kind = *(const uint8_t *)f[1].data;
    uint64_t id = u64_of(&f[0]), granted = 0;
    if (id == 0 || kind < OCAP_GRANT_DIRECTORY_RO || kind > OCAP_GRANT_VALUE) {
        return OBJCAP_ERR_ARGUMENT;
    }
    ocap_sandbox *sb = ocap_registry_acquire(sandbox);
    if (sb == NULL) {
        return OBJCAP_ERR_STATE;
    }
    objcap_status st = ocap_grant_add(sb, id, (ocap_grant_kind)kind, f[2].data,
                                      f[2].len, f[3].data, f[3].len, &granted,
                                      out, out_len);
    ocap_registry_release(sb);
    return st;
}

/* The sandbox called a host function: ask the host on the call's own
   socket and wait for its answer (the host sends nothing else meanwhile). */
static objcap_status
host_call(void *user, uint64_t grant_id, const uint8_t *args, size_t len,
          objcap_reply *reply)
{
    uint8_t id[8];
    for (int i = 0; i < 8; i++) {
        id[i] = (uint8_t)(grant_id >> (8 * i));
    }
    ocap_field fields[2] = {{id, 8}, {args, len}};
    if (ocap_frame_write(OUT, OCAP_RESP_HOST_CALL, fields, 2) < 0) {
        _exit(0); /* the host is gone */
    }
    ocap_frame frame;
    ocap_field f[2];
    ocap_spin_before_read(&host_answer, IN);
    if (ocap_frame_read(IN, &frame, -1) != 1) {
        _exit(0);
    }
    if (frame.type != OCAP_REQ_HOST_RESULT ||
        ocap_frame_fields(&frame, f, 2) < 0 || f[0].len != 4) {
        _exit(4); /* not our protocol */
    }
    const uint8_t *s = f[0].data;
    uint32_t status = (uint32_t)s[0] | ((uint32_t)s[1] << 8) |
        ((uint32_t)s[2] << 16) | ((uint32_t)s[3] << 24);
    objcap_reply_set(reply, f[1].data, f[1].len);
    free(frame.body);
    return (objcap_status)status;
}

/* Revocations arrive on the control socket while a call may be running on
   the main one, and take effect at once (grants.c). */
static void *
control_main(void *unused)
{
    ocap_frame frame;
    while (ocap_frame_read(OCAP_CONTROL_FD, &frame, -1) == 1) {
        ocap_field f;
        if (frame.type == OCAP_CTL_REVOKE &&
            ocap_frame_fields(&frame, &f, 1) == 0 && f.len == 8) {
            objcap_revoke(sandbox, u64_of(&f));
            /* The host waits for this: after revoke() nothing may use it. */
            ocap_frame_write(OCAP_CONTROL_FD, OCAP_CTL_REVOKE, &f, 1);
        }
        free(frame.body);
    }
    return NULL;
}

static void serve(const ocap_frame *frame);

static void *
serve_loop(void *unused)
{
    for (;;) {
        ocap_frame frame;
        ocap_spin_before_read(&next_request, IN);
        int rc = ocap_frame_read(IN, &frame, -1);
        if (rc != 1 || frame.type == OCAP_REQ_DESTROY) {
            _exit(0); /* no interpreter teardown: the process ends */
        }
        serve(&frame);
        free(frame.body);
    }
    return NULL;
}

static void
serve(const ocap_frame *frame)
{
    arm_cpu_limit();
    ocap_field f[2];
    uint8_t *out = NULL;
    size_t out_len = 0;
    objcap_status st = OBJCAP_ERR_ARGUMENT;
    switch (frame->type) {
    case OCAP_REQ_EXEC:
        if (ocap_frame_fields(frame, f, 2) == 0) {
            st = objcap_exec(sandbox, f[0].data, f[0].len, f[1].data, f[1].len,
                             &out, &out_len);
        }
        break;
    case OCAP_REQ_EVAL:
        if (ocap_frame_fields(frame, f, 1) == 0) {
            st = objcap_eval(sandbox, f[0].data, f[0].len, &out, &out_len);
        }
        break;
    case OCAP_REQ_CALL:
        if (ocap_frame_fields(frame, f, 2) == 0) {
            st = objcap_call(sandbox, f[0].data, f[0].len, f[1].data, f[1].len,
                             &out, &out_len);
        }
        break;
    case OCAP_REQ_SET:
        if (ocap_frame_fields(frame, f, 2) == 0) {
            st = objcap_set(sandbox, f[0].data, f[0].len, f[1].data, f[1].len,
                            &out, &out_len);
        }
        break;
    case OCAP_REQ_GET:
        if (ocap_frame_fields(frame, f, 1) == 0) {
            st = objcap_get(sandbox, f[0].data, f[0].len, &out, &out_len);
        }
        break;
    case OCAP_REQ_RELEASE:
        if (ocap_frame_fields(frame, f, 1) == 0 && f[0].len == 8) {
            st = objcap_release(sandbox, u64_of(&f[0]));
        }
        break;
    case OCAP_REQ_DENIALS:
        st = objcap_denials(sandbox, &out, &out_len);
        break;
    case OCAP_REQ_GRANT:
        st = grant(frame, &out, &out_len);
        break;
    default:
        break;
    }
    reply(st, out, out_len);
}

int
main(int argc, char **argv)
{
    ocap_close_inherited_fds();
    /* Past the file-size rlimit a write fails with EFBIG (an OSError in
       the script) instead of killing the worker. */
    signal(SIGXFSZ, SIG_IGN);
    /* Die with the host.  The parent may already be gone: check. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (argc >= 3 && strcmp(argv[1], "--parent") == 0 &&
        getppid() != (pid_t)atoi(argv[2])) {
        return 1;
    }
    if (argc >= 2 && strcmp(argv[1], "--self-test-confinement") == 0) {
        /* DIR [--stdlib DIR --dynload DIR]: the CPython the engine would
           hand it, whose stdlib Landlock must let it read. */
        if (argc == 7 && strcmp(argv[3], "--stdlib") == 0 &&
            strcmp(argv[5], "--dynload") == 0 &&
            ocap_paths_set(argv[4], argv[6]) < 0) {
            return 2;
        }
        return ocap_worker_self_test(argc >= 3 ? argv[2] : NULL);
    }
    ocap_worker_side = 1;
    /* --parent PID [--stdlib DIR --dynload DIR] [--zygote]: the host's copy
       of this CPython, whose libpython LD_LIBRARY_PATH already found; as a
       zygote, the workers are forked from this process (zygote.c). */
    int zygote = argc > 3 && strcmp(argv[argc - 1], "--zygote") == 0;
    argc -= zygote;
    const char *stdlib_dir = NULL, *dynload_dir = NULL;
    if (argc == 7 && strcmp(argv[3], "--stdlib") == 0 &&
        strcmp(argv[5], "--dynload") == 0) {
        stdlib_dir = argv[4];
        dynload_dir = argv[6];
    }
    else if (argc != 3) {
        return 2;
    }
    if (zygote && ocap_zygote_serve(stdlib_dir, dynload_dir) != 0) {
        return 2;
    }

    ocap_frame frame;
    if (ocap_frame_read(IN, &frame, -1) != 1 ||
        frame.type != OCAP_REQ_CREATE) {
        return 2;
    }
    ocap_field options;
    uint8_t *out = NULL;
    size_t out_len = 0;
    if (ocap_frame_fields(&frame, &options, 1) < 0) {
        reply(OBJCAP_ERR_ARGUMENT, NULL, 0);
        return 2;
    }
    /* CPython first (it reads its stdlib; a forked worker has it already),
       then the confinement, and only
       then any other thread: seccomp filters and Landlock domains apply to
       the thread that installs them and to threads it creates later, so
       the sandbox's interpreter thread must not exist yet (an independent
       attack found it unconfined when it was created first). */
    objcap_status st = objcap_runtime_start(stdlib_dir, dynload_dir, &out,
                                            &out_len);
    if (st != OBJCAP_OK) {
        reply(st, out, out_len);
        return 2;
    }
    ocap_confinement what;
    if (confine(options.data, options.len, zygote, &what) < 0) {
        uint8_t *err = NULL;
        size_t err_len = 0;
        ocap_error_plain(OBJCAP_ERR_RUNTIME, "RuntimeError",
                         "the worker could not confine itself", &err,
                         &err_len);
        reply(OBJCAP_ERR_RUNTIME, err, err_len);
        return 2;
    }
    st = objcap_sandbox_create(options.data, options.len, on_output, NULL,
                               &sandbox, &out, &out_len);
    free(frame.body);
    if (st != OBJCAP_OK) {
        reply(st, out, out_len);
        return 2;
    }
    objcap_set_host_handler(sandbox, host_call, NULL);
    pthread_t control;
    if (pthread_create(&control, NULL, control_main, NULL) != 0) {
        ocap_error_plain(OBJCAP_ERR_RUNTIME, "RuntimeError",
                         "the worker could not start its control thread", &out,
                         &out_len);
        reply(OBJCAP_ERR_RUNTIME, out, out_len);
        return 2;
    }
    pthread_detach(control);
    /* Requests are served on a thread with the interpreter's stack, so that
       each call runs right there (sandbox.c) instead of being handed to the
       sandbox's own thread: one wake-up fewer per call. */
    ocap_sandbox *sb = ocap_registry_acquire(sandbox);
    size_t stack = sb != NULL ? sb->stack_size : 0;
    ocap_registry_release(sb);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, stack + SERVER_STACK_EXTRA);
    pthread_t server;
    int rc = pthread_create(&server, &attr, serve_loop, NULL);
    pthread_attr_destroy(&attr);
    /* Every thread the worker needs exists now (the sandbox's, control,
       server, and the watchdog of calls run on the server's stack): no
       more. */
    if (ocap_watchdog_start() < 0 || ocap_confine_no_more_threads() < 0) {
        ocap_error_plain(OBJCAP_ERR_RUNTIME, "RuntimeError",
                         "the worker could not close thread creation", &out,
                         &out_len);
        reply(OBJCAP_ERR_RUNTIME, out, out_len);
        return 2;
    }
    pack_isolation(&what, &out, &out_len);
    reply(OBJCAP_OK, out, out_len);
    if (rc != 0) {
        serve_loop(NULL); /* on this thread: calls then go to the engine's */
    }
    pthread_join(server, NULL);
    return 0;
}
