/*
 * objcap-worker --zygote: a warm image that new workers are forked from.
 * It starts CPython and warms the engine (one sandbox created and ended,
 * which fills the code cache and maps the extension modules), then forks
 * one worker per FORK request of the host (zygote_protocol.h).  Each child
 * goes on as a freshly started worker would after CPython's start: it
 * reads its options, confines itself and creates its sandbox.  The zygote
 * itself never sees options, grants or sandboxed code: it holds nothing to
 * steal, and its children cannot reach it (no socket to it, and their
 * seccomp filter and Landlock scope refuse signals and tracing).
 */
#define _GNU_SOURCE
#include "zygote.h"
#include "confine.h"
#include "base/base.h"
#include "core/core.h"
#include "imports/imports.h"
#include "isolation/protocol.h"
#include "isolation/zygote_protocol.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define HOST_FD 0

/* The workers forked and not yet reaped: while a pid is here it is this
   process's child, and no other process can hold it. */
typedef struct child {
    pid_t pid;
    uint32_t serial;
} child;

static child *children;
static size_t child_count, child_room;
static uint32_t next_serial;

/* Room for one more entry: 0, or -1 without memory. */
static int
reserve_child(void)
{
    if (child_count == child_room) {
        size_t room = child_room ? 2 * child_room : 64;
        child *grown = realloc(children, room * sizeof *grown);
        if (grown == NULL) {
            return -1;
        }
        children = grown;
        child_room = room;
    }
    return 0;
}

/* Removes pid's entry: its serial, or 0 if it was not a worker. */
static uint32_t
remove_child(pid_t pid)
{
    for (size_t i = 0; i < child_count; i++) {
        if (children[i].pid == pid) {
            uint32_t serial = children[i].serial;
            children[i] = children[--child_count];
            return serial;
        }
    }
    return 0;
}

/* ---- the code cache, warmed while idle ----
   Compiling what a sandbox may import by default took 320 ms, too long
   to wait for before the first fork: the zygote compiles one file at a
   time while no request waits, and each later worker inherits what is in
   the cache by then (a worker's first `import json` was 80-120 ms of
   compiling). */

static char **warm_paths;
static size_t warm_count, warm_next;

static void
add_warm_path(const char *path)
{
    char **grown = realloc(warm_paths, (warm_count + 1) * sizeof *grown);
    char *copy = strdup(path);
    if (grown == NULL || copy == NULL) {
        free(copy);
        if (grown != NULL) {
            warm_paths = grown;
        }
        return;
    }
    warm_paths = grown;
    warm_paths[warm_count++] = copy;
}

/* A module's source, or a package's modules (one level: what the default
   modules import of their own packages). */
static void
add_module(const char *name, void *unused)
{
    (void)unused;
    char path[4096];
    int package = 0;
    if (!ocap_find_source(ocap_stdlib_dir(), name, path, sizeof path,
                          &package)) {
        return;
    }
    if (!package) {
        add_warm_path(path);
        return;
    }
    *strrchr(path, '/') = '\0'; /* the package's directory */
    DIR *d = opendir(path);
    struct dirent *e;
    while (d != NULL && (e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        char file[4096 + 256];
        if (len > 3 && strcmp(e->d_name + len - 3, ".py") == 0 &&
            snprintf(file, sizeof file, "%s/%s", path, e->d_name) <
                (int)sizeof file) {
            add_warm_path(file);
        }
    }
    if (d != NULL) {
        closedir(d);
    }
}

/* Compiles the next file into the cache; 0 once none is left. */
static int
warm_next_file(void)
{
    if (warm_next >= warm_count) {
        return 0;
    }
    PyGILState_STATE gil = PyGILState_Ensure();
    ocap_zygote_warming = 1;
    ocap_code_cache_prepare(warm_paths[warm_next]);
    ocap_zygote_warming = 0;
    PyGILState_Release(gil);
    free(warm_paths[warm_next]);
    warm_paths[warm_next++] = NULL;
    if (warm_next == warm_count) {
        malloc_trim(0); /* what compiling freed: each child would map it */
    }
    return 1;
}

static void
on_output(void *user, int stream, const char *data, size_t len)
{
    (void)user, (void)stream, (void)data, (void)len;
}

static void
say(uint32_t kind, pid_t pid, uint32_t serial, int value, int fd)
{
    ocap_zygote_message m = {
        .kind = kind, .pid = pid, .serial = serial, .value = value};
    if (ocap_zygote_send(HOST_FD, &m, &fd, fd >= 0 ? 1 : 0, 0) < 0) {
        _exit(0); /* the host is gone */
    }
}

/* Reads one request: FORK with exactly its two sockets, or KILL with none:
   1, 0 at the end of the stream, -1 for anything else (what arrived is
   closed). */
static int
read_request(ocap_zygote_message *m, int fds[2])
{
    size_t got = 0;
    int rc = ocap_zygote_receive(HOST_FD, m, fds, &got);
    if (rc == 0 || rc == -1) {
        return 0; /* a broken socket ends the zygote */
    }
    int ok = rc == 1 &&
        ((got == 2 && m->kind == OCAP_ZYGOTE_FORK &&
          memchr(m->workdir, '\0', sizeof m->workdir) != NULL) ||
         (got == 0 && m->kind == OCAP_ZYGOTE_KILL));
    if (!ok) {
        for (size_t i = 0; i < got; i++) {
            close(fds[i]);
        }
        return -1;
    }
    return 1;
}

/* Threads of this process: fork() copies only the caller, so the zygote
   forks only while it is alone. */
static int
thread_count(void)
{
    DIR *d = opendir("/proc/self/task");
    if (d == NULL) {
        return -1;
    }
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        n += e->d_name[0] != '.';
    }
    closedir(d);
    return n;
}

/* In the child: its sockets at 0, 1 and 3 (as posix_spawn would have put
   them), its directory as working directory, its own session, death with
   the zygote, which dies with the host. */
static int
become_worker(pid_t zygote, int signals, const ocap_zygote_message *m,
              const int fds[2])
{
    close(signals);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    signal(SIGCHLD, SIG_DFL);
    if (dup2(fds[0], 0) < 0 || dup2(fds[0], 1) < 0 ||
        dup2(fds[1], OCAP_CONTROL_FD) < 0) {
        return -1;
    }
    close(fds[0]);
    close(fds[1]);
    if (chdir(m->workdir) < 0 || setsid() < 0 ||
        prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != zygote) {
        return -1;
    }
    prctl(PR_SET_NAME, "objcap-worker");
    return 0;
}

/* Reaps every child that has ended and tells the host how. */
static void
report_exits(int signals)
{
    struct signalfd_siginfo info;
    while (read(signals, &info, sizeof info) == (ssize_t)sizeof info) {
    }
    int status;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        say(OCAP_ZYGOTE_EXITED, pid, remove_child(pid), status, -1);
    }
}

/* KILL: the worker dies if it is still this process's unreaped child
   with that serial (then its pid cannot be anyone else's). */
static void
kill_child(const ocap_zygote_message *m)
{
    for (size_t i = 0; i < child_count; i++) {
        if (children[i].pid == m->pid && children[i].serial == m->serial) {
            kill(m->pid, SIGKILL);
            return;
        }
    }
}

/* One FORK request: 1 in the child, 0 in the zygote. */
static int
fork_worker(pid_t self, int signals, const ocap_zygote_message *m,
            const int fds[2])
{
    /* Room for its entry first: a child the zygote cannot name to the host
       must not exist. */
    int alone = thread_count() == 1 && reserve_child() == 0;
    pid_t pid = alone ? ocap_runtime_fork() : -1;
    int error = alone ? errno : EAGAIN;
    if (pid == 0) {
        /* The zygote's bookkeeping, not the worker's. */
        free(children);
        children = NULL;
        child_count = child_room = 0;
        for (size_t i = warm_next; i < warm_count; i++) {
            free(warm_paths[i]);
        }
        free(warm_paths);
        warm_paths = NULL;
        warm_count = warm_next = 0;
        if (become_worker(self, signals, m, fds) < 0) {
            _exit(2);
        }
        return 1;
    }
    close(fds[0]);
    close(fds[1]);
    int pidfd = pid > 0 ? (int)syscall(SYS_pidfd_open, pid, 0) : -1;
    uint32_t serial = 0;
    if (pid > 0 && pidfd < 0) {
        /* The host could not kill it safely: it must not live. */
        error = errno;
        kill(pid, SIGKILL);
        pid = -1;
    }
    if (pid > 0) {
        if (++next_serial == 0) {
            next_serial = 1; /* 0 names no worker */
        }
        serial = next_serial;
        children[child_count++] = (child){pid, serial}; /* room made above */
    }
    say(OCAP_ZYGOTE_FORKED, pid > 0 ? pid : 0, serial, pid > 0 ? 0 : error,
        pidfd);
    if (pidfd >= 0) {
        close(pidfd);
    }
    return 0;
}

/* One sandbox with the default options, created and ended before any
   fork: what the first sandbox of a process pays once (about half of a
   worker's creation), every forked worker inherits. */
static int
warm_up(void)
{
    objcap_sandbox warm = 0;
    uint8_t *out = NULL;
    size_t out_len = 0;
    static const uint8_t no_options[] = {0x80}; /* {} */
    ocap_zygote_warming = 1;
    objcap_status st = objcap_sandbox_create(
        no_options, sizeof no_options, on_output, NULL, &warm, &out, &out_len);
    objcap_free(out);
    if (st == OBJCAP_OK) {
        objcap_sandbox_destroy(warm);
    }
    ocap_zygote_warming = 0;
    /* Extensions load their own libraries (libcrypto, libmpdec...): mapped
       here once, before any child's Landlock closes their directories. */
    ocap_policy_each_extension(ocap_dynload_dir());
    return st == OBJCAP_OK ? 0 : -1;
}

int
ocap_zygote_serve(const char *stdlib_dir, const char *dynload_dir)
{
    prctl(PR_SET_NAME, "objcap-zygote");
    uint8_t *out = NULL;
    size_t out_len = 0;
    objcap_status st = objcap_runtime_start(stdlib_dir, dynload_dir, &out,
                                            &out_len);
    objcap_free(out);
    /* Children are reported through a signalfd; SIGCHLD stays blocked. */
    sigset_t chld;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    sigprocmask(SIG_BLOCK, &chld, NULL);
    int signals = signalfd(-1, &chld, SFD_NONBLOCK | SFD_CLOEXEC);
    int probe = (int)syscall(SYS_pidfd_open, getpid(), 0);
    if (st != OBJCAP_OK || signals < 0 || probe < 0 || warm_up() < 0 ||
        ocap_confine_zygote() < 0 || thread_count() != 1) {
        say(OCAP_ZYGOTE_FAILED, 0, 0, 0, -1);
        _exit(2);
    }
    close(probe);
    /* What the warm-up freed goes back to the kernel: each child would
       otherwise map it too. */
    malloc_trim(0);
    say(OCAP_ZYGOTE_READY, getpid(), 0, 0, -1);
    pid_t self = getpid();
    ocap_policy_each_default_source(add_module, NULL);
    for (;;) {
        struct pollfd p[2] = {{HOST_FD, POLLIN, 0}, {signals, POLLIN, 0}};
        int ready = poll(p, 2, warm_next < warm_count ? 0 : -1);
        if (ready < 0) {
            if (errno == EINTR) {
                continue;
            }
            _exit(3);
        }
        if (ready == 0) {
            warm_next_file();
            continue;
        }
        if (p[1].revents) {
            report_exits(signals);
        }
        if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
            ocap_zygote_message m;
            int fds[2];
            int rc = read_request(&m, fds);
            if (rc == 0) {
                _exit(0); /* the host is gone: so are the children */
            }
            if (rc == 1 && m.kind == OCAP_ZYGOTE_KILL) {
                kill_child(&m);
            }
            else if (rc == 1 && fork_worker(self, signals, &m, fds)) {
                return 0;
            }
        }
    }
}
