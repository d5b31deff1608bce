/*
 * The watchdog of calls that run on their caller's own thread (sandbox.c):
 * nobody waits beside such a call, so one thread of the process checks
 * every 10 ms whether any of them ran past its time or CPU limit, and
 * interrupts it (timeout.c), again every 100 ms until it gives up.  The
 * watchdog lingers a second after the last call before it sleeps, so that
 * a stream of short calls never pays for waking it.
 *
 * Reading a thread's CPU clock is a system call that takes the scheduler's
 * run-queue lock (about 0.8 us, more than a whole short call), so the
 * calling thread never reads it: the watchdog reads it when it first sees
 * the call and counts everything before as CPU time (a thread cannot have
 * used more CPU than the wall time that passed).  The CPU limit may so act
 * up to one poll early on a call that waited, never late.
 *
 * Lock order: the watchdog holds `mu` while it interrupts (which takes the
 * GIL); a calling thread takes `mu` only without the GIL, before the call
 * and after it has released the GIL, so the sandbox outlives any interrupt
 * aimed at it.
 */
#include "limits/limits.h"

#include <time.h>

#define POLL_MS 10
#define REPEAT_MS 100
#define LINGER_MS 1000
#define CPU_UNSEEN INT64_MIN /* cpu_start before the watchdog's first look */

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static ocap_watch *watched;
static int started, sleeping;

static int64_t
now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t
cpu_ms(clockid_t clock)
{
    struct timespec ts;
    if (clock_gettime(clock, &ts) != 0) {
        return 0;
    }
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* With mu held. */
static void
check(ocap_watch *w, int64_t now)
{
    ocap_sandbox *sb = w->sb;
    int64_t elapsed = now - w->start_ms;
    ocap_limit why = OCAP_LIMIT_NONE;
    if (ocap_memory_ensure() < 0) {
        why = OCAP_LIMIT_MEMORY; /* nothing would count any more */
    }
    else if (sb->timeout_ms > 0 && elapsed >= sb->timeout_ms) {
        why = OCAP_LIMIT_TIME;
    }
    else if (sb->cpu_ms > 0) {
        int64_t cpu = cpu_ms(w->clock);
        if (w->cpu_start == CPU_UNSEEN) {
            w->cpu_start = cpu - elapsed;
        }
        if (cpu - w->cpu_start >= sb->cpu_ms) {
            why = OCAP_LIMIT_CPU;
        }
    }
    if (why != OCAP_LIMIT_NONE &&
        (w->interrupted_at < 0 || elapsed - w->interrupted_at >= REPEAT_MS)) {
        w->interrupted_at = elapsed;
        ocap_timeout_interrupt(sb, why);
    }
}

static void
nap(void)
{
    pthread_mutex_unlock(&mu);
    struct timespec ts = {0, POLL_MS * 1000000L};
    nanosleep(&ts, NULL);
    pthread_mutex_lock(&mu);
}

static void *
watchdog_main(void *unused)
{
    pthread_mutex_lock(&mu);
    int64_t idle_since = now_ms();
    for (;;) {
        int64_t now = now_ms();
        if (watched == NULL) {
            if (now - idle_since >= LINGER_MS) {
                sleeping = 1;
                pthread_cond_wait(&cv, &mu);
                sleeping = 0;
                idle_since = now_ms();
            }
            else {
                nap();
            }
            continue;
        }
        idle_since = now;
        for (ocap_watch *w = watched; w != NULL; w = w->next) {
            check(w, now);
        }
        nap();
    }
    return NULL;
}

/* Starts the watchdog's thread if it is not running; with mu held. */
static int
ensure_started(void)
{
    if (!started) {
        pthread_t t;
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        started = pthread_create(&t, &attr, watchdog_main, NULL) == 0;
        pthread_attr_destroy(&attr);
    }
    return started ? 0 : -1;
}

/* Starts the watchdog now (the worker does, before it forbids itself new
   threads); 0 or -1. */
int
ocap_watchdog_start(void)
{
    pthread_mutex_lock(&mu);
    int rc = ensure_started();
    pthread_mutex_unlock(&mu);
    return rc;
}

/* Watches a call about to run on this thread; -1 if no watchdog can run
   (then the call must not run here: nothing would stop it). */
int
ocap_watch_start(ocap_watch *w, ocap_sandbox *sb)
{
    w->sb = sb;
    w->start_ms = now_ms();
    w->interrupted_at = -1;
    if (pthread_getcpuclockid(pthread_self(), &w->clock) != 0) {
        return -1;
    }
    w->cpu_start = CPU_UNSEEN;
    pthread_mutex_lock(&mu);
    if (ensure_started() < 0) {
        pthread_mutex_unlock(&mu);
        return -1;
    }
    w->prev = NULL;
    w->next = watched;
    if (watched != NULL) {
        watched->prev = w;
    }
    watched = w;
    if (sleeping) {
        pthread_cond_signal(&cv);
    }
    pthread_mutex_unlock(&mu);
    return 0;
}

/* After the call, without the GIL. */
void
ocap_watch_stop(ocap_watch *w)
{
    pthread_mutex_lock(&mu);
    if (w->prev != NULL) {
        w->prev->next = w->next;
    }
    else {
        watched = w->next;
    }
    if (w->next != NULL) {
        w->next->prev = w->prev;
    }
    pthread_mutex_unlock(&mu);
}
