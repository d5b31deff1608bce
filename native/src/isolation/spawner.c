/*
 * Spawns objcap-worker processes (workers, or the zygote they are forked
 * from) with posix_spawn, never fork of the host, and from one long-lived
 * thread of ours: a child's parent-death signal fires when the thread that
 * spawned it exits, and host threads come and go.
 */
#define _GNU_SOURCE
#include "isolation/spawner.h"
#include "isolation/protocol.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <unistd.h>

typedef struct spawn_request {
    const ocap_worker_spec *worker;
    int child_fd;
    int child_control_fd;
    const char *workdir;
    int zygote;
    pid_t pid;
    int error;
    int done;
    struct spawn_request *next;
} spawn_request;

static pthread_mutex_t spawn_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t spawn_cv = PTHREAD_COND_INITIALIZER;
static spawn_request *spawn_queue;
static int spawner_running;

static int
spawn_now(spawn_request *req)
{
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    posix_spawn_file_actions_init(&fa);
    posix_spawnattr_init(&attr);
    posix_spawn_file_actions_adddup2(&fa, req->child_fd, 0);
    posix_spawn_file_actions_adddup2(&fa, req->child_fd, 1);
    posix_spawn_file_actions_adddup2(&fa, req->child_control_fd,
                                     OCAP_CONTROL_FD);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addchdir_np(&fa, req->workdir);
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    /* The JVM ignores or handles signals; the worker starts clean, in a
       session of its own. */
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &all);
    posix_spawnattr_setflags(&attr,
                             POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK |
                                 POSIX_SPAWN_SETSIGDEF);
    char parent[32];
    snprintf(parent, sizeof parent, "%d", (int)getpid());
    const ocap_worker_spec *w = req->worker;
    char *argv[9] = {(char *)w->path, "--parent", parent, NULL};
    int argc = 3;
    char *envp[2] = {NULL};
    /* Another copy of the worker's CPython: its libpython is found first
       (before the RUNPATH of the build), its stdlib given to it. */
    char library_path[sizeof w->library_dir + 32];
    if (w->library_dir[0] != '\0') {
        snprintf(library_path, sizeof library_path, "LD_LIBRARY_PATH=%s",
                 w->library_dir);
        envp[0] = library_path;
        argv[argc++] = "--stdlib";
        argv[argc++] = (char *)w->stdlib;
        argv[argc++] = "--dynload";
        argv[argc++] = (char *)w->dynload;
    }
    if (req->zygote) {
        argv[argc++] = "--zygote";
    }
    int rc = posix_spawn(&req->pid, w->path, &fa, &attr, argv, envp);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    return rc;
}

static void *
spawner_main(void *unused)
{
    pthread_mutex_lock(&spawn_mu);
    for (;;) {
        while (spawn_queue == NULL) {
            pthread_cond_wait(&spawn_cv, &spawn_mu);
        }
        spawn_request *req = spawn_queue;
        spawn_queue = req->next;
        pthread_mutex_unlock(&spawn_mu);
        int rc = spawn_now(req);
        pthread_mutex_lock(&spawn_mu);
        req->error = rc;
        req->done = 1;
        pthread_cond_broadcast(&spawn_cv);
    }
    return NULL;
}

int
ocap_spawn_worker(const ocap_worker_spec *worker, int child_fd,
                  int child_control_fd, const char *workdir, int zygote,
                  pid_t *pid)
{
    spawn_request req = {.worker = worker,
                         .child_fd = child_fd,
                         .child_control_fd = child_control_fd,
                         .workdir = workdir,
                         .zygote = zygote};
    pthread_mutex_lock(&spawn_mu);
    if (!spawner_running) {
        pthread_t t;
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        int rc = pthread_create(&t, &attr, spawner_main, NULL);
        pthread_attr_destroy(&attr);
        if (rc != 0) {
            pthread_mutex_unlock(&spawn_mu);
            return rc;
        }
        spawner_running = 1;
    }
    req.next = spawn_queue;
    spawn_queue = &req;
    pthread_cond_broadcast(&spawn_cv);
    while (!req.done) {
        pthread_cond_wait(&spawn_cv, &spawn_mu);
    }
    pthread_mutex_unlock(&spawn_mu);
    *pid = req.pid;
    return req.error;
}
