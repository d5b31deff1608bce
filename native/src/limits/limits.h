/*
 * Layer 5, limits: memory accounting (memory.c), time and CPU deadlines
 * (timeout.c, watchdog.c) and output (output.c).  Uses base/ only.
 */
#ifndef OBJCAP_LIMITS_LIMITS_H
#define OBJCAP_LIMITS_LIMITS_H

#include "base/state.h"

/* output.c */
int ocap_output_install(ocap_sandbox *sb);

/* timeout.c */
void ocap_timeout_interrupt(ocap_sandbox *sb, ocap_limit why);
void ocap_timeout_reset(ocap_sandbox *sb);
void ocap_limit_stop_here(ocap_sandbox *sb, ocap_limit why);
const char *ocap_limit_name(ocap_limit limit);

/* memory.c */
int ocap_memory_install(void);
/* 0 when the accounting is in place (put back over CPython's own
   allocator if that had replaced it), -1 when something else holds it. */
int ocap_memory_ensure(void);
int ocap_timeout_install(ocap_sandbox *sb);

/* watchdog.c: the time and CPU limits of calls run on their caller's
   thread (the caller's stack holds it) */
typedef struct ocap_watch {
    ocap_sandbox *sb;
    int64_t start_ms;
    clockid_t clock;
    int64_t cpu_start; /* set by the watchdog when it first sees the call */
    int64_t interrupted_at;
    struct ocap_watch *next, *prev;
} ocap_watch;
int ocap_watch_start(ocap_watch *w, ocap_sandbox *sb);
void ocap_watch_stop(ocap_watch *w);
int ocap_watchdog_start(void);

#endif
