/*
 * Layer 6: the worker's own confinement, applied by the kernel so that it
 * holds even if every Python-level layer were bypassed.
 *  - rlimits: address space, CPU seconds, open files, file size, no cores;
 *  - PR_SET_NO_NEW_PRIVS, and every capability dropped (a root host's);
 *  - namespaces (namespaces.c): a file system of the allowed directories
 *    only, no network, no IPC;
 *  - Landlock: read-only access to the stdlib directories and the
 *    directories the host may grant read-only, read-write access to those
 *    it may grant read-write, nothing else;
 *  - Landlock's scoping (ABI 6): no signal or abstract Unix socket beyond
 *    the worker itself;
 *  - seccomp (libseccomp): an allowlist, each call as narrow as its use
 *    (threads only, its own limits and signals only, fcntl without owners
 *    or O_ASYNC); everything else fails with EPERM, and calls no
 *    legitimate path makes kill the process.
 */
#define _GNU_SOURCE
#include "confine.h"
#include "namespaces.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/landlock.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <seccomp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#define ADDRESS_SPACE (8ull << 30) /* with no memory limit */
/* Address space beyond the memory limit: code, stacks, malloc arenas'
   reservations.  A worker's peak virtual size measured 200 MiB above its
   limit (32, 64, 256 MiB, after list, bytearray, decimal and scrypt
   bombs), its peak RSS 9-12 MiB above: every allocation of CPython and
   OpenSSL is counted against the limit (memory.c), this only backs that
   up for what is not. */
#define HEADROOM (512ull << 20)
#define CPU_SECONDS 3600
#define OPEN_FILES 64
#define FILE_SIZE (64ull << 20)
#ifndef SECCOMP_FILTER_FLAG_TSYNC_ESRCH
#define SECCOMP_FILTER_FLAG_TSYNC_ESRCH (1UL << 4)
#endif
#define THREAD_CLONE_FLAGS                                                    \
    (CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SYSVSEM | CLONE_SIGHAND |      \
     CLONE_THREAD | CLONE_SETTLS | CLONE_PARENT_SETTID |                      \
     CLONE_CHILD_CLEARTID)

/* Keeps 0-2 and the control socket (3). */
void
ocap_close_inherited_fds(void)
{
#ifdef SYS_close_range
    if (syscall(SYS_close_range, 4u, ~0u, 0u) == 0) {
        return;
    }
#endif
    for (int fd = 4; fd < 65536; fd++) {
        close(fd);
    }
}

static int
set_limit(int resource, rlim_t value)
{
    struct rlimit r = {value, value};
    return setrlimit(resource, &r);
}

static int
apply_rlimits(unsigned long long memory_limit)
{
    rlim_t space = memory_limit ? memory_limit + HEADROOM : ADDRESS_SPACE;
    return set_limit(RLIMIT_CORE, 0) | set_limit(RLIMIT_AS, space) |
        set_limit(RLIMIT_CPU, CPU_SECONDS) |
        set_limit(RLIMIT_NOFILE, OPEN_FILES) |
        set_limit(RLIMIT_FSIZE, FILE_SIZE);
}

/* ---- capabilities ---- */

/* A worker of a host that runs as root holds every capability: it drops
   them all, from every set, before the seccomp filter (capset is not in
   it).  The bounding set needs CAP_SETPCAP, which a non-root host's worker
   lacks and does not need. */
static int
drop_capabilities(void)
{
    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
    for (int cap = 0; cap < 64; cap++) {
        if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno == EINVAL) {
            break; /* past the kernel's last capability */
        }
    }
    struct __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];
    memset(data, 0, sizeof data);
    return (int)syscall(SYS_capset, &header, data);
}

/* ---- Landlock ---- */

#ifndef LANDLOCK_ACCESS_FS_REFER
#define LANDLOCK_ACCESS_FS_REFER (1ULL << 13)
#endif
#define ACCESS_FS_TRUNCATE (1ULL << 14)
#define ACCESS_FS_IOCTL_DEV (1ULL << 15)
#define SCOPE_ABSTRACT_UNIX_SOCKET (1ULL << 0)
#define SCOPE_SIGNAL (1ULL << 1)

static uint64_t
handled_access(int abi)
{
    uint64_t all = (1ULL << 13) - 1; /* ABI 1: EXECUTE ... MAKE_SYM */
    if (abi >= 2) {
        all |= LANDLOCK_ACCESS_FS_REFER;
    }
    if (abi >= 3) {
        all |= ACCESS_FS_TRUNCATE;
    }
    if (abi >= 5) {
        all |= ACCESS_FS_IOCTL_DEV;
    }
    return all;
}

/* What a read-write grant may do beneath its directory: read, write,
   truncate, create and remove files and directories, and rename within
   and between granted directories; never execute or make devices, FIFOs,
   sockets or symlinks. */
static uint64_t
writable_access(int abi)
{
    uint64_t access = LANDLOCK_ACCESS_FS_READ_FILE |
        LANDLOCK_ACCESS_FS_READ_DIR | LANDLOCK_ACCESS_FS_WRITE_FILE |
        LANDLOCK_ACCESS_FS_REMOVE_DIR | LANDLOCK_ACCESS_FS_REMOVE_FILE |
        LANDLOCK_ACCESS_FS_MAKE_DIR | LANDLOCK_ACCESS_FS_MAKE_REG;
    return (access | LANDLOCK_ACCESS_FS_REFER | ACCESS_FS_TRUNCATE) &
        handled_access(abi);
}

static int
add_rules(int ruleset, const char *const *paths, uint64_t access)
{
    for (const char *const *p = paths; *p; p++) {
        int fd = open(*p, O_PATH | O_CLOEXEC);
        if (fd < 0) {
            continue; /* a directory this CPython does not have */
        }
        struct landlock_path_beneath_attr rule = {
            .allowed_access = access,
            .parent_fd = fd,
        };
        int ok = syscall(SYS_landlock_add_rule, ruleset,
                         LANDLOCK_RULE_PATH_BENEATH, &rule, 0) == 0;
        close(fd);
        if (!ok) {
            return -1;
        }
    }
    return 0;
}

static int
apply_landlock(const char *const *readable, const char *const *writable)
{
    int abi = (int)syscall(SYS_landlock_create_ruleset, NULL, 0,
                           LANDLOCK_CREATE_RULESET_VERSION);
    if (abi < 1) {
        return 0;
    }
    /* ABI 6 adds scoping: no signal to a process outside this domain (the
       host), no connection to an abstract Unix socket outside it. */
    struct {
        uint64_t handled_access_fs, handled_access_net, scoped;
    } attr = {.handled_access_fs = handled_access(abi),
              .scoped = abi >= 6 ? SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL
                                 : 0};
    size_t attr_size = abi >= 6 ? sizeof attr : sizeof attr.handled_access_fs;
    int ruleset = (int)syscall(SYS_landlock_create_ruleset, &attr, attr_size,
                               0);
    if (ruleset < 0) {
        return 0;
    }
    int ok = add_rules(ruleset, readable,
                       LANDLOCK_ACCESS_FS_READ_FILE |
                           LANDLOCK_ACCESS_FS_READ_DIR) == 0 &&
        add_rules(ruleset, writable, writable_access(abi)) == 0;
    ok = ok && syscall(SYS_landlock_restrict_self, ruleset, 0) == 0;
    close(ruleset);
    return ok ? abi : -1;
}

/* ---- seccomp ---- */

static const int allowed_syscalls[] = {
    SCMP_SYS(read),
    SCMP_SYS(write),
    SCMP_SYS(readv),
    SCMP_SYS(writev),
    SCMP_SYS(pread64),
    SCMP_SYS(close),
    SCMP_SYS(fstat),
    SCMP_SYS(newfstatat),
    SCMP_SYS(statx),
    /* The old path forms of newfstatat: glibc before 2.33 builds stat()
       on them, and so does a CPython built there (org.bytedeco's 3.12.1,
       whose sub-interpreters could not find encodings without them). */
    SCMP_SYS(stat),
    SCMP_SYS(lstat),
    SCMP_SYS(lseek),
    SCMP_SYS(mmap),
    SCMP_SYS(munmap),
    SCMP_SYS(mprotect),
    SCMP_SYS(mremap),
    SCMP_SYS(brk),
    SCMP_SYS(madvise),
    SCMP_SYS(futex),
    SCMP_SYS(rt_sigaction),
    SCMP_SYS(rt_sigprocmask),
    SCMP_SYS(rt_sigreturn),
    SCMP_SYS(sigaltstack),
    SCMP_SYS(set_robust_list),
    SCMP_SYS(rseq),
    SCMP_SYS(exit),
    SCMP_SYS(exit_group),
    SCMP_SYS(gettid),
    SCMP_SYS(getpid),
    SCMP_SYS(sched_yield),
    SCMP_SYS(sched_getaffinity),
    SCMP_SYS(getrandom),
    SCMP_SYS(clock_gettime),
    SCMP_SYS(clock_getres),
    SCMP_SYS(clock_nanosleep),
    SCMP_SYS(nanosleep),
    SCMP_SYS(gettimeofday),
    SCMP_SYS(openat),
    SCMP_SYS(getdents64),
    SCMP_SYS(getcwd),
    SCMP_SYS(uname),
    SCMP_SYS(getuid),
    SCMP_SYS(geteuid),
    SCMP_SYS(getgid),
    SCMP_SYS(getegid),
    SCMP_SYS(readlink),
    SCMP_SYS(readlinkat),
    SCMP_SYS(access),
    SCMP_SYS(faccessat),
    SCMP_SYS(faccessat2),
    SCMP_SYS(dup),
    SCMP_SYS(dup3),
    SCMP_SYS(poll),
    SCMP_SYS(ppoll),
    SCMP_SYS(restart_syscall),
    SCMP_SYS(membarrier),
    SCMP_SYS(sysinfo),
    SCMP_SYS(getrusage),
    SCMP_SYS(times),
    SCMP_SYS(set_tid_address),
    /* granted directories (directory.c); Landlock bounds where */
    SCMP_SYS(openat2),
    SCMP_SYS(mkdirat),
    SCMP_SYS(unlinkat),
    SCMP_SYS(renameat),
    SCMP_SYS(renameat2),
    SCMP_SYS(ftruncate),
};

/* No legitimate path makes these: the process dies. */
static const int killing_syscalls[] = {
    SCMP_SYS(ptrace),
    SCMP_SYS(process_vm_readv),
    SCMP_SYS(process_vm_writev),
    SCMP_SYS(bpf),
    SCMP_SYS(perf_event_open),
    SCMP_SYS(keyctl),
    SCMP_SYS(add_key),
    SCMP_SYS(request_key),
    SCMP_SYS(userfaultfd),
    SCMP_SYS(mount),
    SCMP_SYS(umount2),
    SCMP_SYS(pivot_root),
    SCMP_SYS(unshare),
    SCMP_SYS(setns),
    SCMP_SYS(kexec_load),
    SCMP_SYS(kexec_file_load),
    SCMP_SYS(init_module),
    SCMP_SYS(finit_module),
    SCMP_SYS(delete_module),
    SCMP_SYS(io_uring_setup),
    SCMP_SYS(io_uring_enter),
    SCMP_SYS(io_uring_register),
};

static int
apply_seccomp(void)
{
    /* Everything not listed (socket, execve, fork, kill, ...) gets EPERM. */
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ERRNO(EPERM));
    if (ctx == NULL) {
        return -1;
    }
    /* Every thread of the process, not only the caller (TSYNC). */
    int rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1);
    for (size_t i = 0; i < sizeof allowed_syscalls / sizeof *allowed_syscalls;
         i++) {
        rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, allowed_syscalls[i], 0);
    }
    for (size_t i = 0; i < sizeof killing_syscalls / sizeof *killing_syscalls;
         i++) {
        rc |= seccomp_rule_add(ctx, SCMP_ACT_KILL_PROCESS, killing_syscalls[i],
                               0);
    }
    pid_t self = getpid();
    /* Threads only, with exactly the flags glibc's pthread_create passes:
       no namespace, no CLONE_PARENT.  clone3 cannot be inspected, so it
       reports ENOSYS and glibc falls back to clone. */
    rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
                           SCMP_A0(SCMP_CMP_EQ, THREAD_CLONE_FLAGS));
    /* Its own limits only (the CPU limit is re-armed per call): pid 0 or
       its own pid, never the host's. */
    rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prlimit64), 1,
                           SCMP_A0(SCMP_CMP_EQ, 0));
    rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prlimit64), 1,
                           SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)self));
    /* fcntl for descriptor flags and duplicates only: no owner, signal,
       lease or notification (which would signal another process), and no
       O_ASYNC. */
    static const int fcntl_commands[] = {F_GETFD, F_SETFD, F_GETFL, F_DUPFD,
                                         F_DUPFD_CLOEXEC};
    for (size_t i = 0; i < sizeof fcntl_commands / sizeof *fcntl_commands;
         i++) {
        rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(fcntl), 1,
                               SCMP_A1(SCMP_CMP_EQ, fcntl_commands[i]));
    }
    rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(fcntl), 2,
                           SCMP_A1(SCMP_CMP_EQ, F_SETFL),
                           SCMP_A2(SCMP_CMP_MASKED_EQ, O_ASYNC, 0));
    rc |= seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
    /* Signals only to itself (abort, raise). */
    rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(tgkill), 1,
                           SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)self));
    rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(kill), 1,
                           SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)self));
    /* Replies go out on the socket it was given: no new destinations. */
    rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(sendto), 1,
                           SCMP_A4(SCMP_CMP_EQ, 0));
    /* Frames go out whole with sendmsg (protocol.c); the worker has no
       other socket, and the host reads no ancillary data. */
    rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(sendmsg), 1,
                           SCMP_A2(SCMP_CMP_EQ, MSG_NOSIGNAL));
    /* One more filter, synchronized to every thread, and nothing else of
       seccomp: the worker forbids itself new threads once it has its own
       (ocap_confine_no_more_threads).  A filter only ever takes away, so
       an attacker may add its own and gain nothing; no listener (the flags
       must be TSYNC, with libseccomp's TSYNC_ESRCH). */
    static const scmp_datum_t tsync_flags[] = {
        SECCOMP_FILTER_FLAG_TSYNC,
        SECCOMP_FILTER_FLAG_TSYNC | SECCOMP_FILTER_FLAG_TSYNC_ESRCH};
    for (size_t i = 0; i < 2; i++) {
        rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(seccomp), 2,
                               SCMP_A0(SCMP_CMP_EQ, SECCOMP_SET_MODE_FILTER),
                               SCMP_A1(SCMP_CMP_EQ, tsync_flags[i]));
    }
    /* Thread names, and nothing else of prctl. */
    rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prctl), 1,
                           SCMP_A0(SCMP_CMP_EQ, PR_SET_NAME));
    rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prctl), 1,
                           SCMP_A0(SCMP_CMP_EQ, PR_GET_NAME));
    if (rc == 0) {
        rc = seccomp_load(ctx);
    }
    seccomp_release(ctx);
    return rc == 0 ? 0 : -1;
}

/* The zygote's children still mount, unshare, and apply their own Landlock
   and seccomp, so its filter can only take what neither it nor they ever
   use: new programs, sockets, tracing, other processes' memory, the
   kernel's keyrings, modules, BPF and io_uring.  The actions match the
   worker's own filter, which a child stacks on top (the stricter wins). */
static const int zygote_refused[] = {
    SCMP_SYS(execve), SCMP_SYS(execveat), SCMP_SYS(socket), SCMP_SYS(connect),
    SCMP_SYS(bind),   SCMP_SYS(listen),   SCMP_SYS(accept), SCMP_SYS(accept4),
};

int
ocap_confine_zygote(void)
{
    struct rlimit no_core = {0, 0};
    if (setrlimit(RLIMIT_CORE, &no_core) != 0 ||
        prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
        return -1;
    }
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
    if (ctx == NULL) {
        return -1;
    }
    int rc = 0;
    for (size_t i = 0; i < sizeof zygote_refused / sizeof *zygote_refused;
         i++) {
        rc |= seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), zygote_refused[i],
                               0);
    }
    for (size_t i = 0; i < sizeof killing_syscalls / sizeof *killing_syscalls;
         i++) {
        int sys = killing_syscalls[i];
        if (sys != SCMP_SYS(mount) && sys != SCMP_SYS(umount2) &&
            sys != SCMP_SYS(pivot_root) && sys != SCMP_SYS(unshare) &&
            sys != SCMP_SYS(setns)) {
            rc |= seccomp_rule_add(ctx, SCMP_ACT_KILL_PROCESS, sys, 0);
        }
    }
    if (rc == 0) {
        rc = seccomp_load(ctx);
    }
    seccomp_release(ctx);
    return rc == 0 ? 0 : -1;
}

int
ocap_confine_no_more_threads(void)
{
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
    if (ctx == NULL) {
        return -1;
    }
    /* no_new_privs is set already, and prctl is no longer allowed. */
    int rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1) |
        seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
    rc |= seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EAGAIN), SCMP_SYS(clone), 0);
    rc |= seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EAGAIN), SCMP_SYS(clone3), 0);
    if (rc == 0) {
        rc = seccomp_load(ctx);
    }
    seccomp_release(ctx);
    return rc == 0 ? 0 : -1;
}

int
ocap_confine(const char *const *readable, const char *const *writable,
             unsigned long long memory_limit, ocap_confinement *what)
{
    memset(what, 0, sizeof *what);
    what->rlimits = apply_rlimits(memory_limit) == 0;
    what->no_new_privs = prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0;
    /* Before Landlock: its rules then name the paths inside the new root. */
    what->namespaces = ocap_enter_namespaces(readable, writable);
    if (what->namespaces < 0) {
        return -1;
    }
    what->landlock_abi = apply_landlock(readable, writable);
    if (what->landlock_abi < 0) {
        return -1; /* Landlock exists but the rules did not take */
    }
    what->capabilities_dropped = drop_capabilities() == 0;
    what->seccomp = what->no_new_privs && apply_seccomp() == 0;
    return what->rlimits && what->no_new_privs && what->capabilities_dropped
        ? 0
        : -1;
}
