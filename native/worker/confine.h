/* How objcap-worker confines itself before any sandboxed code runs. */
#ifndef OBJCAP_CONFINE_H
#define OBJCAP_CONFINE_H

#include <stddef.h>

typedef struct ocap_confinement {
    int no_new_privs;
    int rlimits;
    int landlock_abi; /* 0: Landlock not enforced */
    int seccomp;
    int capabilities_dropped;
    int namespaces; /* 1: own mount, network, IPC and UTS namespaces */
} ocap_confinement;

/* Closes every inherited fd but 0-2 and the control socket (3). */
void ocap_close_inherited_fds(void);

/*
 * Applies rlimits (address space: memory_limit plus headroom for the
 * interpreter, or a fixed bound when it is 0), no_new_privs, Landlock
 * (read-only beneath `readable`, read-write beneath `writable`: NULL-
 * terminated lists) and the seccomp allowlist; fills *what with what took
 * effect.  Returns 0, or -1 if something that must hold did not.
 */
int ocap_confine(const char *const *readable, const char *const *writable,
                 unsigned long long memory_limit, ocap_confinement *what);

/*
 * Forbids new threads (clone fails with EAGAIN), in every thread: once the
 * worker has started all of its own, any thread more is an attacker's (a
 * thread costs one page of its memory and one of the machine's process
 * ids, which no rlimit bounds for a root host).  0 or -1.
 */
int ocap_confine_no_more_threads(void);

/*
 * The zygote's own confinement (zygote.c): no core dumps, no_new_privs and
 * a seccomp filter of what neither it nor the workers it forks, which
 * confine themselves after, ever call.  0 or -1.
 */
int ocap_confine_zygote(void);

/* self_test.c: objcap-worker --self-test-confinement DIR confines itself
   and reports what the kernel refused; 0 when everything was. */
int ocap_worker_self_test(const char *outside_dir);

#endif
