/*
 * The worker client: a sandbox whose interpreter runs in objcap-worker, a
 * process of its own, forked from the warm zygote (zygote_client.c) or
 * else spawned with posix_spawn (spawner.c; never fork of the host), and
 * driven over the framed protocol of protocol.h.  The worker is untrusted
 * once sandboxed code has run in it: every frame it sends is bounded and
 * checked, and its death or silence past the deadline is reported, never
 * waited on forever.
 */
#define _GNU_SOURCE
#include "values/values.h"
#include "capabilities/capabilities.h"
#include "isolation/isolation.h"
#include "isolation/protocol.h"
#include "isolation/spawner.h"
#include "isolation/zygote_client.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

_Static_assert(OCAP_MAX_VALUE <= OCAP_MAX_FRAME,
               "a frame holds the largest value");

#define GRACE_MS 500 /* after the deadline, before the kill */
#define CREATE_TIMEOUT_MS 30000
#define EXIT_WAIT_MS 200
#define KILLED_WAIT_MS 10000 /* for a killed worker to be gone */
#define REPORT_WAIT_MS 2000  /* for its zygote to say how it ended */

struct ocap_remote {
    pid_t pid;
    int pidfd;            /* signals reach this worker only, even reaped */
    ocap_zygote *zygote;  /* forked it: reaps it and says how it ended */
    uint32_t serial;      /* which of the zygote's forks */
    ocap_spinner spinner; /* waits for its answers (protocol.h) */
    int fd;
    int control_fd; /* revocations, which must not wait for a call */
    pthread_mutex_t control_mu;
    ocap_sandbox *owner; /* serves the worker's host-function calls */
    char workdir[64];
    int dead;
    char death[200];
    int64_t timeout_ms;
    int64_t max_output; /* enforced here too: a subverted worker ignores it */
    int64_t max_result, memory_limit; /* bound what one frame may carry */
    int cpu_limited;                  /* it died of SIGXCPU */
    uint8_t *isolation;
    size_t isolation_len;
};

/* ---- death ---- */

static void
describe_exit(ocap_remote *r, int status)
{
    if (WIFSIGNALED(status)) {
        int sig = WTERMSIG(status);
        r->cpu_limited = sig == SIGXCPU;
        const char *name = sigabbrev_np(sig);
        snprintf(r->death, sizeof r->death,
                 "the sandbox's worker process was killed by signal %d "
                 "(SIG%s)",
                 sig, name ? name : "?");
    }
    else {
        snprintf(r->death, sizeof r->death,
                 "the sandbox's worker process exited with status %d",
                 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    }
}

/* SIGKILL to the worker, through its pidfd: a reaped worker's pid may be
   someone else's by now (the zygote reaps its workers when they end, and
   revoke() may kill from another thread while a call reaps).  Without a
   pidfd, a spawned worker (a kernel before 5.3) by its pid, a forked one
   by its zygote, which does so only while the pid is still its child. */
static void
kill_worker(ocap_remote *r)
{
    if (r->pidfd >= 0 &&
        syscall(SYS_pidfd_send_signal, r->pidfd, SIGKILL, NULL, 0) == 0) {
        return;
    }
    if (r->zygote != NULL) {
        ocap_zygote_kill(r->zygote, r->pid, r->serial);
    }
    else if (r->pid > 0 && r->pidfd < 0) {
        kill(r->pid, SIGKILL);
    }
}

/* Waits up to wait_ms for the pidfd to say the worker ended: 1 if so. */
static int
ended_within(ocap_remote *r, int wait_ms)
{
    struct pollfd p = {r->pidfd, POLLIN, 0};
    int rc;
    while ((rc = poll(&p, 1, wait_ms)) < 0 && errno == EINTR) {
    }
    return rc > 0;
}

/* A zygote's worker: waits for it to end (killing it after wait_ms), then
   asks the zygote how.  1 with *status; 0 if that is not known; -1 if it
   did not end even when killed. */
static int
reap_forked(ocap_remote *r, int wait_ms, int *status)
{
    if (!ended_within(r, wait_ms)) {
        kill_worker(r);
        if (!ended_within(r, KILLED_WAIT_MS)) {
            return -1; /* told so, not waited on */
        }
    }
    return ocap_zygote_exit_status(r->zygote, r->pid, r->serial,
                                   REPORT_WAIT_MS, status);
}

/* Reaps the worker, killing it if it has not gone within `wait_ms`. */
static void
reap(ocap_remote *r, int wait_ms, int kill_first)
{
    if (r->pid <= 0) {
        return;
    }
    int status = 0;
    if (kill_first) {
        kill_worker(r);
    }
    if (r->zygote != NULL) {
        int known = reap_forked(r, wait_ms, &status);
        if (known <= 0) {
            if (!r->dead) {
                snprintf(r->death, sizeof r->death, "%s",
                         known < 0
                             ? "the sandbox's worker process did not end "
                               "when killed"
                             : "the sandbox's worker process ended, and its "
                               "zygote did not say how");
            }
            r->pid = -1;
            return;
        }
    }
    else {
        int64_t until = ocap_now_ms() + wait_ms;
        for (;;) {
            pid_t w = waitpid(r->pid, &status, WNOHANG);
            if (w == r->pid || (w < 0 && errno != EINTR)) {
                break;
            }
            if (w == 0 && ocap_now_ms() >= until) {
                kill_worker(r);
                while (waitpid(r->pid, &status, 0) < 0 && errno == EINTR) {
                }
                break;
            }
            usleep(2000);
        }
    }
    if (!r->dead) {
        describe_exit(r, status);
    }
    r->pid = -1;
}

static objcap_status
died(ocap_remote *r, uint8_t **out, size_t *out_len)
{
    if (!r->dead) {
        reap(r, EXIT_WAIT_MS, 0);
        r->dead = 1;
        if (r->cpu_limited) {
            /* SIGXCPU: the kernel stopped a C call at the CPU limit. */
            return ocap_error_plain_closing(OBJCAP_ERR_LIMIT, "CPU",
                                            "the call used more CPU time than "
                                            "its limit; the worker was killed",
                                            1, out, out_len);
        }
    }
    return ocap_error_plain_closing(OBJCAP_ERR_CRASHED, "SandboxCrashed",
                                    r->death, 1, out, out_len);
}

static objcap_status
timed_out(ocap_remote *r, uint8_t **out, size_t *out_len)
{
    reap(r, 0, 1);
    r->dead = 1;
    snprintf(r->death, sizeof r->death,
             "the sandbox's worker did not answer "
             "within its time limit and was killed");
    return ocap_error_plain_closing(OBJCAP_ERR_LIMIT, "TIME",
                                    "the call ran past its time limit; the "
                                    "worker was killed",
                                    1, out, out_len);
}

/* ---- calls ---- */

/* A worker that no longer follows the protocol is killed and reaped. */
static objcap_status
broke_protocol(ocap_remote *r, const char *how, uint8_t **out, size_t *out_len)
{
    reap(r, 0, 1);
    r->dead = 1;
    snprintf(r->death, sizeof r->death,
             "the sandbox's worker %s and was "
             "killed",
             how);
    return ocap_error_plain_closing(OBJCAP_ERR_CRASHED, "SandboxCrashed",
                                    r->death, 1, out, out_len);
}

/*
 * The most a frame of each type may carry from an honest worker, checked
 * before the host allocates it: output is cut at the output limit, a value
 * at the result limit (else the memory limit, as values.c encodes it), an
 * error report is bounded field by field (errors.c).
 */
static size_t
frame_cap(uint8_t type, const void *ctx)
{
    const ocap_remote *r = ctx;
    size_t value = r->max_result > 0 ? (size_t)r->max_result
        : r->memory_limit > 0        ? (size_t)r->memory_limit
                                     : OCAP_MAX_FRAME;
    if (value < OCAP_MAX_ERROR_REPORT) {
        value = OCAP_MAX_ERROR_REPORT;
    }
    switch (type) {
    case OCAP_RESP_OUTPUT:
        return r->max_output > 0 ? 1 + (size_t)r->max_output : OCAP_MAX_FRAME;
    case OCAP_RESP_RESULT:
        return 4 + value;
    case OCAP_RESP_HOST_CALL:
        return 16 + value;
    default:
        return 0; /* no other frame comes from a worker */
    }
}

/* A host function the worker's script called: the host's table decides
   (grants.c), the handler runs on this thread, the answer goes back.
   0, -1 if the answer cannot be sent, -2 if the request is malformed. */
static int
serve_host_call(ocap_remote *r, const ocap_frame *frame)
{
    ocap_field f[2];
    if (r->owner == NULL || ocap_frame_fields(frame, f, 2) < 0 ||
        f[0].len != 8 || !ocap_wire_plausible(f[1].data, f[1].len)) {
        return -2; /* malformed */
    }
    uint64_t id = 0;
    for (int i = 7; i >= 0; i--) {
        id = (id << 8) | ((const uint8_t *)f[0].data)[i];
    }
    uint8_t *out = NULL;
    size_t out_len = 0;
    objcap_status st = ocap_grant_serve_host_call(r->owner, id, f[1].data,
                                                  f[1].len, &out, &out_len);
    uint8_t status[4];
    for (int i = 0; i < 4; i++) {
        status[i] = (uint8_t)((uint32_t)st >> (8 * i));
    }
    ocap_field reply[2] = {{status, 4}, {out, out_len}};
    int rc = ocap_frame_write(r->fd, OCAP_REQ_HOST_RESULT, reply, 2);
    free(out);
    return rc;
}

objcap_status
ocap_remote_call(ocap_remote *r, uint8_t type, const ocap_field *fields,
                 size_t count, objcap_output_fn on_output, void *user,
                 uint8_t **out, size_t *out_len)
{
    *out = NULL;
    *out_len = 0;
    if (r->dead) {
        return ocap_error_plain_closing(OBJCAP_ERR_STATE, "SandboxClosed",
                                        r->death, 1, out, out_len);
    }
    if (ocap_frame_write(r->fd, type, fields, count) < 0) {
        return died(r, out, out_len);
    }
    int64_t deadline = r->timeout_ms > 0
        ? ocap_now_ms() + r->timeout_ms + GRACE_MS
        : (type == OCAP_REQ_CREATE ? ocap_now_ms() + CREATE_TIMEOUT_MS : -1);
    int64_t output = 0;
    /* A few spins a call: a worker that paced its frames to come within
       each spin would otherwise keep this thread on a core for the whole
       call, where waking costs it next to nothing. */
    int spins = 4;
    for (;;) {
        ocap_frame frame;
        if (spins-- > 0) {
            ocap_spin_before_read(&r->spinner, r->fd);
        }
        int rc = ocap_frame_read_bounded(r->fd, &frame, deadline, frame_cap,
                                         r);
        if (rc < 0 && errno == ETIMEDOUT) {
            return timed_out(r, out, out_len);
        }
        if (rc < 0 && errno == EMSGSIZE) {
            return broke_protocol(r,
                                  "sent a frame larger than its limits "
                                  "allow",
                                  out, out_len);
        }
        if (rc <= 0) {
            return died(r, out, out_len);
        }
        if (frame.type == OCAP_RESP_OUTPUT && frame.len >= 1 &&
            (frame.body[0] == OBJCAP_STDOUT ||
             frame.body[0] == OBJCAP_STDERR)) {
            output += (int64_t)frame.len - 1;
            if (r->max_output > 0 && output > r->max_output) {
                /* The worker's own engine stops at the cap: one that sends
                   more is no longer ours to trust. */
                free(frame.body);
                reap(r, 0, 1);
                r->dead = 1;
                snprintf(r->death, sizeof r->death,
                         "the sandbox's worker "
                         "wrote past its output limit and was killed");
                return ocap_error_plain_closing(OBJCAP_ERR_LIMIT, "OUTPUT",
                                                r->death, 1, out, out_len);
            }
            if (on_output != NULL && frame.len > 1) {
                on_output(user, frame.body[0], (const char *)frame.body + 1,
                          frame.len - 1);
            }
            free(frame.body);
            continue;
        }
        if (frame.type == OCAP_RESP_HOST_CALL && type != OCAP_REQ_CREATE) {
            int rc = serve_host_call(r, &frame);
            free(frame.body);
            if (rc == 0) {
                continue;
            }
            if (rc == -1) {
                return died(r, out, out_len); /* it cannot be answered */
            }
            frame.body = NULL; /* malformed: it broke the protocol */
        }
        else if (frame.type == OCAP_RESP_RESULT && frame.len >= 4) {
            uint32_t status = (uint32_t)frame.body[0] |
                ((uint32_t)frame.body[1] << 8) |
                ((uint32_t)frame.body[2] << 16) |
                ((uint32_t)frame.body[3] << 24);
            size_t n = frame.len - 4;
            if (status <= OBJCAP_ERR_NOMEM &&
                (n == 0 || ocap_wire_plausible(frame.body + 4, n))) {
                if (n > 0) {
                    memmove(frame.body, frame.body + 4, n);
                    *out = frame.body;
                    *out_len = n;
                }
                else {
                    free(frame.body);
                }
                return (objcap_status)status;
            }
        }
        /* Anything else is a worker that no longer follows the protocol. */
        free(frame.body);
        return broke_protocol(r, "broke the protocol", out, out_len);
    }
}

/* The worker's request and control socket pairs: 0, or an errno with
   all four -1. */
static int
open_sockets(int sv[2], int control[2])
{
    sv[0] = sv[1] = control[0] = control[1] = -1;
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
        return errno;
    }
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, control) < 0) {
        int error = errno;
        close(sv[0]);
        close(sv[1]);
        sv[0] = sv[1] = -1;
        return error;
    }
    return 0;
}

static void
close_sockets(int sv[2], int control[2])
{
    for (int i = 0; i < 2; i++) {
        close(sv[i]);
        close(control[i]);
    }
}

objcap_status
ocap_remote_create(const ocap_worker_spec *worker, const uint8_t *options,
                   size_t options_len, const ocap_limits *limits,
                   objcap_output_fn on_output, void *user,
                   ocap_remote **result, uint8_t **out, size_t *out_len)
{
    ocap_remote *r = calloc(1, sizeof *r);
    if (r == NULL) {
        return ocap_error_plain(OBJCAP_ERR_NOMEM, "MemoryError",
                                "out of memory", out, out_len);
    }
    r->pid = -1;
    r->pidfd = -1;
    r->spinner.budget = OCAP_SPIN_US;
    r->fd = -1;
    r->control_fd = -1;
    pthread_mutex_init(&r->control_mu, NULL);
    r->timeout_ms = limits->timeout_ms;
    r->max_output = limits->max_output;
    r->max_result = limits->max_result;
    r->memory_limit = limits->memory_limit;
    int sv[2], control[2];
    snprintf(r->workdir, sizeof r->workdir, "/tmp/objcap-worker-XXXXXX");
    if (mkdtemp(r->workdir) == NULL) {
        free(r);
        return ocap_error_plain(OBJCAP_ERR_RUNTIME, "RuntimeError",
                                "cannot create the worker's directory", out,
                                out_len);
    }
    if (open_sockets(sv, control) != 0) {
        rmdir(r->workdir);
        free(r);
        return ocap_error_plain(OBJCAP_ERR_RUNTIME, "RuntimeError",
                                "cannot create the worker's socket", out,
                                out_len);
    }
    /* From the zygote; once more from a new one if it was retired on the
       way; else spawned.  Each try on new sockets: a zygote that answers
       late forks a worker that finds the old ones closed. */
    int rc = 0, forked = 0;
    for (int attempt = 0; attempt < 2 && rc == 0 && !forked; attempt++) {
        forked = ocap_zygote_fork(worker, sv[1], control[1], r->workdir,
                                  &r->zygote, &r->pid, &r->serial,
                                  &r->pidfd) == 0;
        if (!forked) {
            r->zygote = NULL;
            close_sockets(sv, control);
            rc = open_sockets(sv, control);
        }
    }
    if (!forked && rc == 0) {
        rc = ocap_spawn_worker(worker, sv[1], control[1], r->workdir, 0,
                               &r->pid);
        /* Ours, and not reaped but by us: this pidfd is that worker's. */
        r->pidfd = rc == 0 ? (int)syscall(SYS_pidfd_open, r->pid, 0) : -1;
    }
    close(sv[1]);
    close(control[1]);
    r->fd = sv[0];
    r->control_fd = control[0];
    if (rc != 0) {
        char msg[300];
        snprintf(msg, sizeof msg, "cannot start the worker %.200s: %s",
                 worker->path, strerror(rc));
        close(r->fd);
        close(r->control_fd);
        rmdir(r->workdir);
        free(r);
        return ocap_error_plain(OBJCAP_ERR_RUNTIME, "RuntimeError", msg, out,
                                out_len);
    }
    ocap_field field = {options, options_len};
    int64_t saved = r->timeout_ms;
    r->timeout_ms = 0; /* creation has its own bound */
    objcap_status st = ocap_remote_call(r, OCAP_REQ_CREATE, &field, 1,
                                        on_output, user, out, out_len);
    r->timeout_ms = saved;
    if (st != OBJCAP_OK) {
        if (st == OBJCAP_ERR_CRASHED) {
            /* It died while confining itself or starting CPython. */
            free(*out);
            char msg[300];
            snprintf(msg, sizeof msg, "the worker could not start: %s",
                     r->death);
            ocap_remote_destroy(r);
            return ocap_error_plain(OBJCAP_ERR_RUNTIME, "RuntimeError", msg,
                                    out, out_len);
        }
        ocap_remote_destroy(r);
        return st;
    }
    r->isolation = *out;
    r->isolation_len = *out_len;
    *out = NULL;
    *out_len = 0;
    *result = r;
    return OBJCAP_OK;
}

objcap_status
ocap_remote_isolation(ocap_remote *r, uint8_t **out, size_t *out_len)
{
    *out = malloc(r->isolation_len ? r->isolation_len : 1);
    if (*out == NULL) {
        return OBJCAP_ERR_NOMEM;
    }
    memcpy(*out, r->isolation, r->isolation_len);
    *out_len = r->isolation_len;
    return OBJCAP_OK;
}

int
ocap_remote_is_dead(ocap_remote *r)
{
    return r->dead;
}

void
ocap_remote_set_owner(ocap_remote *r, ocap_sandbox *sb)
{
    r->owner = sb;
}

/* Sent on the control socket, which the worker reads on a thread of its
   own, so it takes effect while a call runs.  The worker echoes it once
   applied: when revoke returns, the capability is dead.  A worker that does
   not answer in time is killed, which revokes everything. */
#define REVOKE_TIMEOUT_MS 2000

void
ocap_remote_revoke(ocap_remote *r, uint64_t grant)
{
    uint8_t id[8];
    for (int i = 0; i < 8; i++) {
        id[i] = (uint8_t)(grant >> (8 * i));
    }
    ocap_field field = {id, sizeof id};
    pthread_mutex_lock(&r->control_mu);
    if (!r->dead && r->control_fd >= 0) {
        int ok = ocap_frame_write(r->control_fd, OCAP_CTL_REVOKE, &field, 1) ==
            0;
        int64_t deadline = ocap_now_ms() + REVOKE_TIMEOUT_MS;
        while (ok) {
            ocap_frame ack;
            ok = ocap_frame_read(r->control_fd, &ack, deadline) == 1;
            if (!ok) {
                break;
            }
            ocap_field f;
            int done = ack.type == OCAP_CTL_REVOKE &&
                ocap_frame_fields(&ack, &f, 1) == 0 && f.len == 8 &&
                memcmp(f.data, id, 8) == 0;
            free(ack.body);
            if (done) {
                break;
            }
        }
        if (!ok && r->pid > 0) {
            /* The call in progress sees it die and reaps it. */
            kill_worker(r);
        }
    }
    pthread_mutex_unlock(&r->control_mu);
}

pid_t
ocap_remote_pid(ocap_remote *r)
{
    return r->pid;
}

void
ocap_remote_destroy(ocap_remote *r)
{
    if (r == NULL) {
        return;
    }
    if (!r->dead && r->fd >= 0) {
        ocap_frame_write(r->fd, OCAP_REQ_DESTROY, NULL, 0);
    }
    if (r->fd >= 0) {
        shutdown(r->fd, SHUT_RDWR);
        close(r->fd);
    }
    if (r->control_fd >= 0) {
        close(r->control_fd);
    }
    pthread_mutex_destroy(&r->control_mu);
    reap(r, EXIT_WAIT_MS, 0);
    if (r->pidfd >= 0) {
        close(r->pidfd);
    }
    rmdir(r->workdir);
    free(r->isolation);
    free(r);
}
