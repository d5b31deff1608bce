/*
 * objcap-worker: the engine behind a main(), serving one sandbox over the
 * framed protocol on fds 0 and 1 (a socket to the host).  It starts
 * CPython, creates the sandbox, confines itself (confine.c), and only then
 * runs sandboxed code.  It exits when the host says so, or when the host
 * goes away (parent-death signal, end of stream).
 */
#define _GNU_SOURCE
#include "confine.h"
#include "internal.h"
#include "protocol.h"

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

static objcap_sandbox sandbox;
static int64_t cpu_ms; /* per call, from the options */

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
                                  "that crosses from a worker", &out,
                                  &out_len);
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
    msgpack_pack_map(&pk, 6);
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
    ocap_buffer_take(&sbuf, out, out_len);
}

/* Extensions load their own libraries (libcrypto, libmpdec...) from outside
   the stdlib directories: map them all before Landlock closes those. */
static void
preload_extensions(void)
{
    ocap_policy_each_extension(ocap_runtime_dynload_dir());
}

/* Landlock lets it read the stdlib and the host's source paths, no more. */
static int
confine(const uint8_t *options, size_t len, ocap_confinement *what)
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
    preload_extensions();
    size_t n = 0;
    const char **readable = calloc(policy.source_paths.count + 3,
                                   sizeof *readable);
    if (readable == NULL) {
        ocap_policy_clear(&policy);
        return -1;
    }
    readable[n++] = ocap_runtime_stdlib_dir();
    readable[n++] = ocap_runtime_dynload_dir();
    for (size_t i = 0; i < policy.source_paths.count; i++) {
        readable[n++] = policy.source_paths.items[i];
    }
    int rc = ocap_confine(readable, memory_limit, what);
    free(readable);
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
    struct rusage used;
    struct rlimit limit;
    if (getrusage(RUSAGE_SELF, &used) != 0 || getrlimit(RLIMIT_CPU, &limit) != 0) {
        return;
    }
    rlim_t soft = (rlim_t)used.ru_utime.tv_sec + (rlim_t)used.ru_stime.tv_sec +
        (rlim_t)((cpu_ms + 999) / 1000) + 1;
    if (soft < limit.rlim_max) {
        limit.rlim_cur = soft;
        setrlimit(RLIMIT_CPU, &limit);
    }
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
            uint64_t ref = 0;
            for (int i = 7; i >= 0; i--) {
                ref = (ref << 8) | ((const uint8_t *)f[0].data)[i];
            }
            st = objcap_release(sandbox, ref);
        }
        break;
    case OCAP_REQ_DENIALS:
        st = objcap_denials(sandbox, &out, &out_len);
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
    /* Die with the host.  The parent may already be gone: check. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (argc >= 3 && strcmp(argv[1], "--parent") == 0 &&
        getppid() != (pid_t)atoi(argv[2])) {
        return 1;
    }
    if (argc >= 2 && strcmp(argv[1], "--self-test-confinement") == 0) {
        return ocap_worker_self_test(argc >= 3 ? argv[2] : NULL);
    }
    ocap_worker_side = 1;

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
    /* CPython first (it reads its stdlib), then the confinement, and only
       then any other thread: seccomp filters and Landlock domains apply to
       the thread that installs them and to threads it creates later, so
       the sandbox's interpreter thread must not exist yet (an independent
       attack found it unconfined when it was created first). */
    objcap_status st = objcap_runtime_start(NULL, &out, &out_len);
    if (st != OBJCAP_OK) {
        reply(st, out, out_len);
        return 2;
    }
    ocap_confinement what;
    if (confine(options.data, options.len, &what) < 0) {
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
    pack_isolation(&what, &out, &out_len);
    reply(OBJCAP_OK, out, out_len);

    for (;;) {
        int rc = ocap_frame_read(IN, &frame, -1);
        if (rc != 1 || frame.type == OCAP_REQ_DESTROY) {
            _exit(0); /* no interpreter teardown: the process ends */
        }
        serve(&frame);
        free(frame.body);
    }
}
