/*
 * Workers forked from the zygote (native/worker/zygote.c): each is a child
 * of the host's zygote, holds nothing of it (no descriptor but its own four
 * sockets and /dev/null), starts from fresh random state, dies with it,
 * and the host starts a new zygote when one is gone, one for threads that
 * build at once, and a new one past a zygote that stalls, without killing
 * the stalled one's workers.  fresh_worker and OBJCAP_ZYGOTE=0 spawn the
 * worker instead.  argv[1] is objcap-worker.
 */
#define _GNU_SOURCE
#include "objcap.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "processes.h"

static objcap_sandbox
create(const char *worker, int fresh)
{
    uint8_t options[600];
    size_t n = worker_options(options, worker, 5000, fresh);
    objcap_sandbox sb = 0;
    drop();
    return objcap_sandbox_create(options, n, NULL, NULL, &sb, &out,
                                 &out_len) == OBJCAP_OK
        ? sb
        : 0;
}

/* The worker's pid, from its isolation report ("pid" as a uint 32 or a
   positive fixint: pids here are above 127 or not). */
static long
worker_pid(objcap_sandbox sb)
{
    drop();
    if (objcap_isolation(sb, &out, &out_len) != OBJCAP_OK) {
        return -1;
    }
    const uint8_t *p = memmem(out, out_len, "pid", 3);
    if (p == NULL || p + 3 >= out + out_len) {
        return -1;
    }
    p += 3;
    size_t size = p[0] <= 0x7f ? 0
        : p[0] == 0xcc         ? 1
        : p[0] == 0xcd         ? 2
        : p[0] == 0xce         ? 4
                               : 9;
    if (size > 4 || p + size >= out + out_len) {
        return -1;
    }
    long v = size == 0 ? p[0] : 0;
    for (size_t i = 1; i <= size; i++) {
        v = (v << 8) | p[i];
    }
    return v;
}

/* Whether the process's descriptors are exactly 0 to 3. */
static int
only_its_own_fds(long pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%ld/fd", pid);
    DIR *d = opendir(path);
    if (d == NULL) {
        return 0;
    }
    int ok = 1, count = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') {
            continue;
        }
        count++;
        ok = ok && atoi(e->d_name) <= 3;
    }
    closedir(d);
    return ok && count == 4;
}

/* Whether /proc/PID/status has the line, e.g. "NoNewPrivs:\t1". */
static int
status_says(long pid, const char *line)
{
    char text[8192];
    return read_proc(pid, "status", text, sizeof text) &&
        strstr(text, line) != NULL;
}

/* Whether pid is gone, reaped, within wait_ms (a signal takes effect
   after kill returns). */
static int
gone_within(long pid, int wait_ms)
{
    char name[32];
    long ppid;
    for (int waited = 0; waited < wait_ms; waited += 10) {
        if (!process_stat(pid, name, &ppid)) {
            return 1;
        }
        usleep(10000);
    }
    return 0;
}

/* The out buffer of eval(expr), copied (NULL if it failed). */
static char *
eval_copy(objcap_sandbox sb, const char *expr, size_t *len)
{
    drop();
    if (objcap_eval(sb, expr, strlen(expr), &out, &out_len) != OBJCAP_OK) {
        return NULL;
    }
    char *copy = malloc(out_len);
    if (copy != NULL) {
        memcpy(copy, out, out_len);
        *len = out_len;
    }
    return copy;
}

/* How many objcap-zygote processes are our children. */
static int
our_zygotes(void)
{
    DIR *d = opendir("/proc");
    int count = 0;
    struct dirent *e;
    while (d != NULL && (e = readdir(d)) != NULL) {
        char name[32];
        long pid = atol(e->d_name), ppid = 0;
        count += pid > 0 && process_stat(pid, name, &ppid) &&
            ppid == (long)getpid() && strcmp(name, "objcap-zygote") == 0;
    }
    if (d != NULL) {
        closedir(d);
    }
    return count;
}

#define BUILDERS 4
static const char *worker_path;
static objcap_sandbox built[BUILDERS];

static void *
build_one(void *slot)
{
    uint8_t options[600];
    size_t n = worker_options(options, worker_path, 5000, 0);
    uint8_t *o = NULL;
    size_t o_len = 0;
    objcap_sandbox_create(options, n, NULL, NULL, (objcap_sandbox *)slot, &o,
                          &o_len);
    objcap_free(o);
    return NULL;
}

/* Threads that build the first sandboxes at once start one zygote. */
static void
first_builds_at_once(void)
{
    pthread_t t[BUILDERS];
    for (int i = 0; i < BUILDERS; i++) {
        CHECK(pthread_create(&t[i], NULL, build_one, &built[i]) == 0);
    }
    for (int i = 0; i < BUILDERS; i++) {
        pthread_join(t[i], NULL);
    }
    long zygote = built[0] != 0 ? zygote_of(worker_pid(built[0])) : 0;
    CHECK(zygote > 0 && our_zygotes() == 1);
    for (int i = 0; i < BUILDERS; i++) {
        CHECK(built[i] != 0 && zygote_of(worker_pid(built[i])) == zygote);
        CHECK(objcap_sandbox_destroy(built[i]) == OBJCAP_OK);
    }
}

/* A zygote that does not answer (stopped here; frozen or swapped out in
   life) is retired after 5 s: the sandbox comes from a new one, and the
   old one's workers live on. */
static void
a_stalled_zygote_is_retired(const char *worker)
{
    objcap_sandbox a = create(worker, 0);
    CHECK(a != 0 && run(a, "x = 6 * 7") == OBJCAP_OK);
    long stalled = zygote_of(worker_pid(a));
    CHECK(stalled > 0 && kill((pid_t)stalled, SIGSTOP) == 0);
    objcap_sandbox b = create(worker, 0);
    long fresh = b != 0 ? zygote_of(worker_pid(b)) : 0;
    CHECK(fresh > 0 && fresh != stalled);
    CHECK(kill((pid_t)stalled, SIGCONT) == 0);
    CHECK(run(a, "assert x == 42") == OBJCAP_OK);
    CHECK(run(b, "x = 1") == OBJCAP_OK);
    CHECK(objcap_sandbox_destroy(a) == OBJCAP_OK);
    CHECK(objcap_sandbox_destroy(b) == OBJCAP_OK);
}

/* The next pid the kernel hands out is pid + 1: 0 where it cannot be
   steered (not root, or a kernel without ns_last_pid). */
static int
next_pid_after(long pid)
{
    int fd = open("/proc/sys/kernel/ns_last_pid", O_WRONLY);
    char text[32];
    int n = snprintf(text, sizeof text, "%ld", pid);
    int ok = fd >= 0 && write(fd, text, (size_t)n) == n;
    if (fd >= 0) {
        close(fd);
    }
    return ok;
}

/* A's worker ends, its pid goes to B's worker (found by review: exit
   reports and kills were by pid alone).  A must report its own end, B its
   own, and a revocation on A, which kills A's worker, must not touch B. */
static void
a_recycled_pid_names_one_worker(const char *worker)
{
    objcap_sandbox a = create(worker, 0);
    uint64_t grant = 0;
    drop();
    CHECK(objcap_grant_function(a, "f", 1, 1, &grant, &out, &out_len) ==
          OBJCAP_OK);
    long pa = worker_pid(a);
    CHECK(pa > 1 && kill((pid_t)pa, SIGKILL) == 0 && gone_within(pa, 5000));
    if (!next_pid_after(pa - 1)) {
        printf("skipped: pid reuse (ns_last_pid is not writable here)\n");
        objcap_sandbox_destroy(a);
        return;
    }
    objcap_sandbox b = create(worker, 0);
    if (worker_pid(b) != pa) {
        printf("skipped: pid reuse (another process took pid %ld)\n", pa);
    }
    else {
        CHECK(objcap_revoke(a, grant) == OBJCAP_OK);
        CHECK(run(a, "1") == OBJCAP_ERR_CRASHED && says("SIGKILL"));
        CHECK(run(b, "x = 1") == OBJCAP_OK);
        /* B's worker ends itself with a signal of its choice (its filter
           allows signals to itself): only B tells of it. */
        CHECK(kill((pid_t)pa, SIGXCPU) == 0 && gone_within(pa, 5000));
        CHECK(run(b, "1") == OBJCAP_ERR_LIMIT && says("CPU"));
    }
    CHECK(objcap_sandbox_destroy(a) == OBJCAP_OK);
    CHECK(objcap_sandbox_destroy(b) == OBJCAP_OK);
}

int
main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: test_zygote OBJCAP_WORKER\n");
        return 2;
    }
    const char *worker = argv[1];
    worker_path = worker;
    first_builds_at_once();
    objcap_sandbox a = create(worker, 0), b = create(worker, 0);
    CHECK(a != 0 && b != 0);
    long pa = worker_pid(a), pb = worker_pid(b);
    long zygote = zygote_of(pa);
    CHECK(zygote > 0 && zygote_of(pb) == zygote);
    /* Nothing of the zygote (its socket to the host, its signalfd) and
       nothing of the host in a worker. */
    CHECK(only_its_own_fds(pa) && only_its_own_fds(pb));
    /* The zygote confines what it can before it forks. */
    CHECK(status_says(zygote, "NoNewPrivs:\t1") &&
          status_says(zygote, "Seccomp:\t2"));
    /* Each worker seeds its own random state: none comes from the
       zygote's memory. */
    CHECK(run(a, "import random") == OBJCAP_OK &&
          run(b, "import random") == OBJCAP_OK);
    size_t la = 0, lb = 0;
    char *ra = eval_copy(a, "random.getrandbits(64)", &la);
    char *rb = eval_copy(b, "random.getrandbits(64)", &lb);
    CHECK(ra != NULL && rb != NULL && (la != lb || memcmp(ra, rb, la) != 0));
    free(ra);
    free(rb);

    /* fresh_worker: spawned by the host itself. */
    objcap_sandbox c = create(worker, 1);
    CHECK(c != 0);
    long pc = worker_pid(c), ppid = 0;
    char name[32];
    CHECK(zygote_of(pc) == 0 && process_stat(pc, name, &ppid) &&
          ppid == (long)getpid() && strcmp(name, "objcap-worker") == 0);
    CHECK(run(c, "x = 6 * 7") == OBJCAP_OK);

    /* The zygote gone: its workers with it, each call on them an error;
       the next sandbox comes from a new zygote. */
    CHECK(kill((pid_t)zygote, SIGKILL) == 0);
    CHECK(gone_within(pa, 5000) && gone_within(pb, 5000));
    CHECK(run(a, "1") == OBJCAP_ERR_CRASHED);
    CHECK(run(b, "1") == OBJCAP_ERR_CRASHED);
    CHECK(run(c, "1") == OBJCAP_OK); /* spawned: not the zygote's */
    objcap_sandbox d = create(worker, 0);
    CHECK(d != 0);
    long again = zygote_of(worker_pid(d));
    CHECK(again > 0 && again != zygote);
    CHECK(run(d, "import json") == OBJCAP_OK);
    /* Code the zygote compiled ahead runs as compiled by the import: a
       stdlib frame in a traceback names its file and line. */
    usleep(1500000); /* the zygote warms its cache while idle */
    objcap_sandbox warm = create(worker, 0);
    CHECK(warm != 0 &&
          run(warm,
              "import json, typing, dataclasses\n"
              "assert json.dumps({'a': [1]}) == '{\"a\": [1]}'\n"
              "json.loads('{')") == OBJCAP_ERR_PYTHON &&
          says("JSONDecodeError") && says("decoder.py"));
    CHECK(objcap_sandbox_destroy(warm) == OBJCAP_OK);

    /* OBJCAP_ZYGOTE=0: every worker spawned. */
    setenv("OBJCAP_ZYGOTE", "0", 1);
    objcap_sandbox e = create(worker, 0);
    CHECK(e != 0 && zygote_of(worker_pid(e)) == 0);
    unsetenv("OBJCAP_ZYGOTE");

    CHECK(objcap_sandbox_destroy(a) == OBJCAP_OK);
    CHECK(objcap_sandbox_destroy(b) == OBJCAP_OK);
    CHECK(objcap_sandbox_destroy(c) == OBJCAP_OK);
    CHECK(objcap_sandbox_destroy(d) == OBJCAP_OK);
    CHECK(objcap_sandbox_destroy(e) == OBJCAP_OK);
    a_stalled_zygote_is_retired(worker);
    a_recycled_pid_names_one_worker(worker);
    CHECK(!workers_left());
    drop();
    return check_summary();
}
