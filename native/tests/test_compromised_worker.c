/*
 * A compromised worker: each attack runs in a child process that confines
 * itself exactly as objcap-worker does (ocap_confine) and then makes one raw
 * system call that shellcode after a CPython memory bug would try against
 * its host (this process, standing in for the JVM).  An attack is refused
 * when the call fails or the kernel kills the child; it escaped when the
 * call succeeded.  Afterwards the host checks that it is unharmed: no
 * signal arrived, its resource limits are as they were.
 *
 * Lines: "refused NAME", "ESCAPED NAME", or "KNOWN GAP NAME (why)" for a
 * hole that only the worker's namespaces close, on a kernel that refuses
 * them (it does not fail the test there).  Keep the list growing.
 * As root it runs as the host would; ctest also runs it as nobody, where
 * the namespaces come from an unprivileged user namespace.
 */
#define _GNU_SOURCE
#include "confine.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <linux/userfaultfd.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef F_SETSIG
#define F_SETSIG 10
#endif

static pid_t host;
static int control = -1;   /* the worker's end of the control socket */
static char outside[4096]; /* a file outside every grant */
static char granted[4096]; /* the one directory granted read-only */

typedef struct {
    const char *name;
    long (*attack)(void);
    const char *known_gap; /* why it is still open, or NULL */
} attack;

/* ---- signalling the host ---- */
static long
kill_host(void)
{
    return kill(host, 0);
}
static long
kill_group(void)
{
    return kill(0, 0);
}
static long
kill_everyone(void)
{
    return kill(-1, 0);
}
static long
tgkill_host(void)
{
    return syscall(SYS_tgkill, host, host, 0);
}
static long
sigqueue_host(void)
{
    siginfo_t info;
    memset(&info, 0, sizeof info);
    info.si_code = SI_QUEUE;
    return syscall(SYS_rt_sigqueueinfo, host, SIGURG, &info);
}
static long
tgsigqueue_host(void)
{
    siginfo_t info;
    memset(&info, 0, sizeof info);
    info.si_code = SI_QUEUE;
    return syscall(SYS_rt_tgsigqueueinfo, host, host, SIGURG, &info);
}
static long
pidfd_host(void)
{
    return syscall(SYS_pidfd_open, host, 0);
}
static long
pidfd_signal_self(void)
{
    /* Even a pidfd it had could not be used. */
    return syscall(SYS_pidfd_send_signal, 0, 0, NULL, 0);
}
static long
setown_host(void)
{
    return fcntl(control, F_SETOWN, host);
}
static long
setown_ex_host(void)
{
    struct f_owner_ex owner = {F_OWNER_PID, host};
    return fcntl(control, F_SETOWN_EX, &owner);
}
static long
setsig_kill(void)
{
    return fcntl(control, F_SETSIG, SIGKILL);
}
static long
set_async(void)
{
    return fcntl(control, F_SETFL, O_ASYNC | O_NONBLOCK);
}
static long
setlease(void)
{
    int fd = open(granted, O_RDONLY | O_DIRECTORY);
    return fd < 0 ? -1 : fcntl(fd, F_SETLEASE, F_RDLCK);
}
static long
notify(void)
{
    int fd = open(granted, O_RDONLY | O_DIRECTORY);
    return fd < 0 ? -1 : fcntl(fd, F_NOTIFY, DN_CREATE);
}

/* ---- the host's resources and memory ---- */
static long
lower_host_files(void)
{
    struct rlimit low = {4, 4};
    return syscall(SYS_prlimit64, host, RLIMIT_NOFILE, &low, NULL);
}
static long
read_host_limits(void)
{
    struct rlimit old;
    return syscall(SYS_prlimit64, host, RLIMIT_NOFILE, NULL, &old);
}
static long
renice_host(void)
{
    return syscall(SYS_setpriority, PRIO_PROCESS, host, 19);
}
static long
ptrace_host(void)
{
    return ptrace(PTRACE_ATTACH, host, 0, 0);
}
static long
write_host_memory(void)
{
    char byte = 0;
    struct iovec local = {&byte, 1}, remote = {&byte, 1};
    return syscall(SYS_process_vm_writev, host, &local, 1, &remote, 1, 0);
}
static long
host_file(const char *leaf)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/%s", (int)host, leaf);
    return open(path, O_RDONLY);
}
static long
open_host_mem(void)
{
    return host_file("mem");
}
static long
open_host_environ(void)
{
    return host_file("environ");
}
static long
open_host_fd(void)
{
    return host_file("fd/0");
}
static long
kcmp_host(void)
{
    return syscall(SYS_kcmp, getpid(), host, 0 /* KCMP_FILE */, 0, 0);
}
static long
madvise_host(void)
{
    return syscall(SYS_process_madvise, 0, NULL, 0, 0, 0);
}

/* ---- the kernel's wider surface ---- */
static long
io_uring(void)
{
    char params[120] = {0};
    return syscall(SYS_io_uring_setup, 1, params);
}
static long
uffd(void)
{
    return syscall(SYS_userfaultfd, O_CLOEXEC);
}
static long
perf(void)
{
    return syscall(SYS_perf_event_open, NULL, 0, -1, -1, 0);
}
static long
bpf_call(void)
{
    return syscall(SYS_bpf, 0, NULL, 0);
}
static long
memfd_exec(void)
{
    int fd = (int)syscall(SYS_memfd_create, "x", 0);
    if (fd < 0) {
        return -1;
    }
    char *const argv[] = {"x", NULL};
    return syscall(SYS_execveat, fd, "", argv, argv, AT_EMPTY_PATH);
}
static void *
idle(void *unused)
{
    return NULL;
}

static long
new_thread_after_start(void)
{
    /* The worker forbids new threads once its own have started. */
    if (ocap_confine_no_more_threads() < 0) {
        return 0; /* counts as allowed: the lock did not take */
    }
    pthread_t t;
    errno = pthread_create(&t, NULL, idle, NULL);
    return errno == 0 ? 0 : -1;
}

static long
seccomp_listener(void)
{
    /* A user-notification listener would let it answer its own calls. */
    struct sock_filter allow = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
    struct sock_fprog program = {1, &allow};
    return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
                   SECCOMP_FILTER_FLAG_NEW_LISTENER, &program);
}

static long
new_user_ns(void)
{
    return syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0);
}
static long
new_thread_with_ns(void)
{
    /* Thread flags plus a namespace: no such thread is legitimate. */
    return syscall(SYS_clone,
                   CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND |
                       CLONE_THREAD | CLONE_SYSVSEM | CLONE_NEWNET,
                   0, 0, 0, 0);
}
static long
fork_like(void)
{
    return syscall(SYS_clone,
                   CLONE_THREAD | CLONE_SIGHAND | CLONE_VM | CLONE_PARENT, 0,
                   0, 0, 0);
}
static long
unshare_all(void)
{
    return unshare(CLONE_NEWUSER | CLONE_NEWNS);
}
static long
socket_of(int family, int type)
{
    return socket(family, type, 0);
}
static long
inet(void)
{
    return socket_of(AF_INET, SOCK_STREAM);
}
static long
inet6(void)
{
    return socket_of(AF_INET6, SOCK_DGRAM);
}
static long
unix_socket(void)
{
    return socket_of(AF_UNIX, SOCK_STREAM);
}
static long
netlink(void)
{
    return socket_of(AF_NETLINK, SOCK_RAW);
}
static long
packet(void)
{
    return socket_of(AF_PACKET, SOCK_RAW);
}
static long
pair(void)
{
    int sv[2];
    return socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
}

/* ---- the file system outside the grants ---- */
static long
read_outside(void)
{
    return open(outside, O_RDONLY);
}
static long
path_outside(void)
{
    return open(outside, O_PATH);
}
static long
stat_outside(void)
{
    struct stat st;
    return stat(outside, &st);
}
static long
list_root(void)
{
    /* The new root holds the allowed directories' parents and nothing
       else: no /etc, no /home. */
    struct stat st;
    return stat("/etc/passwd", &st) == 0 || stat("/home", &st) == 0 ? 0 : -1;
}

static long
readlink_host_exe(void)
{
    char path[64], target[256];
    snprintf(path, sizeof path, "/proc/%d/exe", (int)host);
    return readlink(path, target, sizeof target);
}

static const attack attacks[] = {
    {"kill the host", kill_host, NULL},
    {"kill the process group", kill_group, NULL},
    {"kill every process", kill_everyone, NULL},
    {"tgkill the host", tgkill_host, NULL},
    {"rt_sigqueueinfo to the host", sigqueue_host, NULL},
    {"rt_tgsigqueueinfo to the host", tgsigqueue_host, NULL},
    {"pidfd_open the host", pidfd_host, NULL},
    {"pidfd_send_signal", pidfd_signal_self, NULL},
    {"F_SETOWN the control socket to the host", setown_host, NULL},
    {"F_SETOWN_EX the control socket to the host", setown_ex_host, NULL},
    {"F_SETSIG SIGKILL", setsig_kill, NULL},
    {"F_SETFL O_ASYNC", set_async, NULL},
    {"F_SETLEASE", setlease, NULL},
    {"F_NOTIFY", notify, NULL},
    {"lower the host's open-file limit", lower_host_files, NULL},
    {"read the host's limits", read_host_limits, NULL},
    {"renice the host", renice_host, NULL},
    {"ptrace the host", ptrace_host, NULL},
    {"process_vm_writev into the host", write_host_memory, NULL},
    {"open /proc/<host>/mem", open_host_mem, NULL},
    {"open /proc/<host>/environ", open_host_environ, NULL},
    {"open /proc/<host>/fd/0", open_host_fd, NULL},
    {"kcmp with the host", kcmp_host, NULL},
    {"process_madvise", madvise_host, NULL},
    {"io_uring_setup", io_uring, NULL},
    {"userfaultfd", uffd, NULL},
    {"perf_event_open", perf, NULL},
    {"bpf", bpf_call, NULL},
    {"memfd_create and execveat", memfd_exec, NULL},
    {"start a thread after start-up (pid exhaustion)", new_thread_after_start,
     NULL},
    {"seccomp with a notification listener", seccomp_listener, NULL},
    {"clone a new user namespace", new_user_ns, NULL},
    {"clone a thread in a new network namespace", new_thread_with_ns, NULL},
    {"clone with CLONE_PARENT", fork_like, NULL},
    {"unshare", unshare_all, NULL},
    {"AF_INET socket", inet, NULL},
    {"AF_INET6 socket", inet6, NULL},
    {"AF_UNIX socket", unix_socket, NULL},
    {"AF_NETLINK socket", netlink, NULL},
    {"AF_PACKET socket", packet, NULL},
    {"socketpair", pair, NULL},
    {"open a file outside the grants", read_outside, NULL},
    {"O_PATH outside the grants", path_outside,
     "Landlock does not cover O_PATH: only where the kernel allows the "
     "worker a mount namespace"},
    {"stat outside the grants", stat_outside,
     "Landlock does not cover stat: only where the kernel allows the "
     "worker a mount namespace"},
    {"find /etc or /home", list_root,
     "only where the kernel allows the worker a mount namespace"},
    {"readlink /proc/<host>/exe", readlink_host_exe, NULL},
};

static volatile sig_atomic_t signals_received;

static void
count_signal(int sig)
{
    signals_received++;
}

/* 0: refused, 1: escaped, 2: the child could not confine itself, 3:
   allowed where the kernel gave the worker no namespaces. */
static int
run_in_confined_child(const attack *a)
{
    pid_t child = fork();
    if (child < 0) {
        return 2;
    }
    if (child == 0) {
        const char *readable[] = {granted, NULL};
        const char *writable[] = {NULL};
        ocap_confinement what;
        if (ocap_confine(readable, writable, 0, &what) < 0 || !what.seccomp ||
            what.landlock_abi <= 0) {
            _exit(2);
        }
        long result = a->attack();
        _exit(result < 0 ? 0 : what.namespaces == 1 ? 1 : 3);
    }
    int status;
    while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
    }
    if (WIFSIGNALED(status)) {
        return WTERMSIG(status) == SIGSYS ? 0 : 1; /* seccomp killed it */
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 2;
}

int
main(void)
{
    host = getpid();
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
        perror("socketpair");
        return 2;
    }
    control = sv[1];
    char dir[] = "/tmp/objcap-compromised-XXXXXX";
    if (mkdtemp(dir) == NULL) {
        perror("mkdtemp");
        return 2;
    }
    snprintf(granted, sizeof granted, "%s", dir);
    snprintf(outside, sizeof outside, "%s.outside", dir);
    FILE *f = fopen(outside, "w");
    if (f != NULL) {
        fputs("secret\n", f);
        fclose(f);
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = count_signal;
    for (int sig = 1; sig < NSIG; sig++) {
        if (sig != SIGKILL && sig != SIGSTOP && sig != SIGCHLD) {
            sigaction(sig, &sa, NULL);
        }
    }
    struct rlimit before, after;
    getrlimit(RLIMIT_NOFILE, &before);
    int priority_before = getpriority(PRIO_PROCESS, 0);

    int escaped = 0, refused = 0, gaps = 0;
    for (size_t i = 0; i < sizeof attacks / sizeof *attacks; i++) {
        const attack *a = &attacks[i];
        int r = run_in_confined_child(a);
        if (r == 2) {
            printf("SETUP FAILED %s (no seccomp or Landlock here?)\n",
                   a->name);
            escaped++;
        }
        else if (r == 3 && a->known_gap != NULL) {
            printf("KNOWN GAP %s (%s)\n", a->name, a->known_gap);
            gaps++;
        }
        else if (r == 1 || r == 3) {
            printf("ESCAPED %s\n", a->name);
            escaped++;
        }
        else {
            printf("refused %s\n", a->name);
            refused++;
        }
    }
    getrlimit(RLIMIT_NOFILE, &after);
    int harmed = 0;
    if (after.rlim_cur != before.rlim_cur ||
        after.rlim_max != before.rlim_max) {
        printf("ESCAPED the host's open-file limit changed\n");
        harmed++;
    }
    if (getpriority(PRIO_PROCESS, 0) != priority_before) {
        printf("ESCAPED the host's priority changed\n");
        harmed++;
    }
    if (signals_received != 0) {
        printf("ESCAPED the host received %d signal(s)\n",
               (int)signals_received);
        harmed++;
    }
    unlink(outside);
    rmdir(dir);
    printf("%d passed, %d failed\n", refused + gaps, escaped + harmed);
    return escaped + harmed == 0 ? 0 : 1;
}
