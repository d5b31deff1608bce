/*
 * The host's side of objcap-worker's zygote (zygote_protocol.h): one
 * zygote per worker binary and CPython, started with the first worker and
 * alive as long as the host.  A worker forked from it skips CPython's
 * start and the engine's first-sandbox work.  Its workers are the
 * zygote's children, not ours: the zygote reaps them and reports how each
 * ended, by pid and serial, and we hold a pidfd for each, so that a kill
 * never reaches a recycled pid.  A zygote that does not answer is retired,
 * not killed (its workers would die with it): the next worker comes from a
 * new one.  Anything else that goes wrong makes callers spawn the worker
 * (spawner.c), and so do sandboxes created with fresh_worker, and all of
 * them under OBJCAP_ZYGOTE=0.
 */
#define _GNU_SOURCE
#include "isolation/zygote_client.h"
#include "isolation/protocol.h"
#include "isolation/spawner.h"
#include "isolation/zygote_protocol.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_ZYGOTES 4  /* distinct worker binaries and CPythons */
#define MAX_EXITS 1024 /* reports nobody asked for yet */
#define START_MS 30000 /* CPython's start and the warm-up */
#define FORK_MS 5000   /* one fork, answered */

typedef struct exit_report {
    pid_t pid;
    uint32_t serial;
    int status;
} exit_report;

struct ocap_zygote {
    ocap_worker_spec spec;
    pid_t pid;
    int fd;
    int state;   /* 0 starting, 1 ready, -1 gone */
    int retired; /* it missed a fork: no more requests, its reports read */
    int refused; /* it never became ready: spawn workers for this spec */
    pthread_mutex_t send_mu; /* one FORK in flight */
    int waiting;             /* a FORK waits for its answer */
    int answered;
    ocap_zygote_message answer;
    int answer_fd;
    exit_report exits[MAX_EXITS];
    size_t exit_count;
};

/* Guards every zygote's state, answer and exits; the reader threads
   broadcast on `changed`. */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t changed;
static pthread_once_t changed_once = PTHREAD_ONCE_INIT;
static ocap_zygote *zygotes[MAX_ZYGOTES];

static void
init_changed(void)
{
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&changed, &attr);
    pthread_condattr_destroy(&attr);
}

/* Waits on `changed` (mu held) until deadline_ms; 0 once it has passed. */
static int
wait_until(int64_t deadline_ms)
{
    if (ocap_now_ms() >= deadline_ms) {
        return 0;
    }
    struct timespec ts = {(time_t)(deadline_ms / 1000),
                          (long)(deadline_ms % 1000) * 1000000L};
    pthread_cond_timedwait(&changed, &mu, &ts);
    return 1;
}

/* Has the zygote kill a worker of its own (one whose pidfd never reached
   us): it does so only while that worker is its unreaped child.  Never
   blocks (the reader sends it with mu held); one that cannot be sent
   leaves a worker whose sockets are closed, which ends it. */
static int
send_kill(ocap_zygote *z, pid_t pid, uint32_t serial)
{
    ocap_zygote_message m = {
        .kind = OCAP_ZYGOTE_KILL, .pid = pid, .serial = serial};
    return ocap_zygote_send(z->fd, &m, NULL, 0, MSG_DONTWAIT);
}

/* Receives one message and at most one descriptor (-1 if none, or if the
   kernel cut the attachment); the zygote never ran sandboxed code, but
   what it sends is checked.  0 or -1. */
static int
receive(int fd, ocap_zygote_message *m, int *passed)
{
    int fds[2];
    size_t count = 0;
    int rc = ocap_zygote_receive(fd, m, fds, &count);
    *passed = count > 0 ? fds[0] : -1;
    if (count > 1) {
        close(fds[1]); /* no message of the zygote carries two */
    }
    return rc == 1 ? 0 : -1;
}

static void
record_exit(ocap_zygote *z, const ocap_zygote_message *m)
{
    if (m->serial == 0) {
        return; /* a child it killed before naming it */
    }
    if (z->exit_count == MAX_EXITS) {
        /* The oldest report nobody asked for goes. */
        memmove(z->exits, z->exits + 1, (MAX_EXITS - 1) * sizeof *z->exits);
        z->exit_count--;
    }
    z->exits[z->exit_count++] = (exit_report){m->pid, m->serial, m->value};
}

/* A FORKED the reader takes: the waiting request's answer, or (late, or
   without its pidfd) a worker nobody will use, which the zygote kills. */
static void
take_forked(ocap_zygote *z, const ocap_zygote_message *m, int *passed)
{
    int usable = m->pid > 0 && *passed >= 0;
    if (z->waiting && !z->answered) {
        z->answered = 1;
        z->answer = *m;
        z->answer_fd = usable ? *passed : -1;
        if (usable) {
            *passed = -1;
        }
    }
    else {
        usable = 0;
    }
    if (m->pid > 0 && !usable) {
        send_kill(z, m->pid, m->serial);
    }
}

static void *
reader_main(void *arg)
{
    ocap_zygote *z = arg;
    for (;;) {
        ocap_zygote_message m;
        int passed;
        int rc = receive(z->fd, &m, &passed);
        pthread_mutex_lock(&mu);
        if (rc < 0) {
            z->state = -1;
        }
        else if (m.kind == OCAP_ZYGOTE_READY && z->state == 0) {
            z->state = 1;
        }
        else if (m.kind == OCAP_ZYGOTE_FORKED) {
            take_forked(z, &m, &passed);
        }
        else if (m.kind == OCAP_ZYGOTE_EXITED) {
            record_exit(z, &m);
        }
        else {
            z->state = -1; /* FAILED, or not the protocol */
        }
        int gone = z->state < 0;
        pthread_cond_broadcast(&changed);
        pthread_mutex_unlock(&mu);
        if (passed >= 0) {
            close(passed);
        }
        if (gone) {
            break;
        }
    }
    /* Our child, reaped only here: the kill cannot reach another process.
       Its workers die with it (their parent-death signal). */
    kill(z->pid, SIGKILL);
    while (waitpid(z->pid, NULL, 0) < 0 && errno == EINTR) {
    }
    close(z->fd);
    return NULL;
}

/* Starts a zygote for `spec` in `slot` and waits until it is ready, or
   marks it refused; NULL only without memory.  Called with mu held, which
   it drops while it waits: others find it in the slot, starting, and wait
   for it. */
static ocap_zygote *
start_zygote(const ocap_worker_spec *spec, int slot)
{
    ocap_zygote *z = calloc(1, sizeof *z);
    if (z == NULL) {
        return NULL;
    }
    z->spec = *spec;
    z->answer_fd = -1;
    z->refused = 1;
    z->state = -1;
    pthread_mutex_init(&z->send_mu, NULL);
    zygotes[slot] = z;
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
        return z;
    }
    z->fd = sv[0];
    int rc = ocap_spawn_worker(spec, sv[1], sv[1], "/", 1, &z->pid);
    close(sv[1]);
    pthread_t reader;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    z->state = 0;
    z->refused = 0;
    if (rc != 0 || pthread_create(&reader, &attr, reader_main, z) != 0) {
        pthread_attr_destroy(&attr);
        if (rc == 0) {
            kill(z->pid, SIGKILL);
            waitpid(z->pid, NULL, 0);
        }
        close(z->fd);
        z->state = -1;
        z->refused = 1;
        pthread_cond_broadcast(&changed);
        return z;
    }
    pthread_attr_destroy(&attr);
    int64_t deadline = ocap_now_ms() + START_MS;
    while (z->state == 0 && wait_until(deadline)) {
    }
    if (z->state == 0) {
        /* Not reaped yet (its reader reaps it only after it is gone, which
           it cannot say while we hold mu): the kill reaches it. */
        kill(z->pid, SIGKILL);
    }
    if (z->state != 1) {
        z->refused = 1;
    }
    pthread_cond_broadcast(&changed);
    return z;
}

/* Whether the zygote serves this worker binary and CPython (the strings,
   not the bytes past their ends). */
static int
same_spec(const ocap_worker_spec *a, const ocap_worker_spec *b)
{
    return strcmp(a->path, b->path) == 0 &&
        strcmp(a->library_dir, b->library_dir) == 0 &&
        strcmp(a->stdlib, b->stdlib) == 0 &&
        strcmp(a->dynload, b->dynload) == 0;
}

/* The ready zygote for `spec`, started if need be, or NULL.  Zygotes are
   never freed: a remote may still ask one how its worker ended, and a
   retired one's reader still reads its reports. */
static ocap_zygote *
zygote_for(const ocap_worker_spec *spec)
{
    pthread_once(&changed_once, init_changed);
    pthread_mutex_lock(&mu);
    int slot = -1;
    for (int i = 0; i < MAX_ZYGOTES; i++) {
        ocap_zygote *z = zygotes[i];
        if (z != NULL && same_spec(&z->spec, spec)) {
            slot = i;
            break;
        }
        if (z == NULL && slot < 0) {
            slot = i;
        }
    }
    ocap_zygote *z = slot >= 0 ? zygotes[slot] : NULL;
    int64_t deadline = ocap_now_ms() + START_MS;
    while (z != NULL && z->state == 0 && wait_until(deadline)) {
        /* another thread starts it */
    }
    if (slot >= 0 &&
        (z == NULL || (!z->refused && (z->state < 0 || z->retired)))) {
        /* None yet, or it died or was retired: one more, in the same slot.
           One that never started stays there, refused: its start is paid
           once. */
        z = start_zygote(spec, slot);
    }
    if (z != NULL && (z->refused || z->retired || z->state != 1)) {
        z = NULL;
    }
    pthread_mutex_unlock(&mu);
    return z;
}

static int
enabled(void)
{
    const char *v = getenv("OBJCAP_ZYGOTE");
    return v == NULL || strcmp(v, "0") != 0;
}

/* One FORK to z: 0 with the answer taken, 1 if z was retired on the way
   (it did not answer: the next request starts a new zygote), -1 if it
   refused. */
static int
fork_from(ocap_zygote *z, const ocap_zygote_message *m, int child_fd,
          int child_control_fd, pid_t *pid, uint32_t *serial, int *pidfd)
{
    pthread_mutex_lock(&z->send_mu);
    pthread_mutex_lock(&mu);
    z->waiting = 1;
    z->answered = 0;
    pthread_mutex_unlock(&mu);
    int fds[2] = {child_fd, child_control_fd};
    int sent = ocap_zygote_send(z->fd, m, fds, 2, 0) == 0;
    pthread_mutex_lock(&mu);
    int64_t deadline = ocap_now_ms() + FORK_MS;
    while (sent && !z->answered && z->state == 1 && wait_until(deadline)) {
    }
    int rc = -1;
    if (z->answered && z->answer.pid > 0 && z->answer_fd >= 0) {
        *pid = z->answer.pid;
        *serial = z->answer.serial;
        *pidfd = z->answer_fd;
        rc = 0;
    }
    else if (!z->answered) {
        /* Stuck or broken: no more requests to it, but its workers live
           on; a late answer's worker is killed by the reader. */
        z->retired = 1;
        rc = 1;
    }
    z->waiting = 0;
    z->answered = 0;
    z->answer_fd = -1;
    pthread_mutex_unlock(&mu);
    pthread_mutex_unlock(&z->send_mu);
    return rc;
}

int
ocap_zygote_fork(const ocap_worker_spec *spec, int child_fd,
                 int child_control_fd, const char *workdir, ocap_zygote **zp,
                 pid_t *pid, uint32_t *serial, int *pidfd)
{
    if (spec == NULL || workdir == NULL || zp == NULL || pid == NULL ||
        serial == NULL || pidfd == NULL || spec->fresh || !enabled()) {
        return -1;
    }
    ocap_zygote_message m = {.kind = OCAP_ZYGOTE_FORK};
    size_t len = strlen(workdir);
    if (len >= sizeof m.workdir) {
        return -1;
    }
    memcpy(m.workdir, workdir, len + 1);
    ocap_zygote *z = zygote_for(spec);
    if (z == NULL ||
        fork_from(z, &m, child_fd, child_control_fd, pid, serial, pidfd) !=
            0) {
        return -1;
    }
    *zp = z;
    return 0;
}

int
ocap_zygote_kill(ocap_zygote *z, pid_t pid, uint32_t serial)
{
    if (z == NULL || pid <= 0 || serial == 0) {
        return -1;
    }
    return send_kill(z, pid, serial);
}

int
ocap_zygote_exit_status(ocap_zygote *z, pid_t pid, uint32_t serial,
                        int wait_ms, int *status)
{
    if (z == NULL || status == NULL || serial == 0) {
        return 0;
    }
    int64_t deadline = ocap_now_ms() + wait_ms;
    pthread_mutex_lock(&mu);
    int found = 0;
    for (;;) {
        for (size_t i = 0; i < z->exit_count; i++) {
            if (z->exits[i].pid == pid && z->exits[i].serial == serial) {
                *status = z->exits[i].status;
                z->exits[i] = z->exits[--z->exit_count];
                found = 1;
                break;
            }
        }
        if (found || z->state < 0 || !wait_until(deadline)) {
            break;
        }
    }
    pthread_mutex_unlock(&mu);
    return found;
}
