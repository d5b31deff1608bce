/*
 * A test-only entry point (objcap-worker --self-test-confinement DIR): it
 * confines itself as for a sandbox, then makes raw C attempts that every
 * Python layer is meant to prevent, and reports what the kernel said.  It
 * is reachable only by running the binary with this flag: a sandbox cannot
 * exec anything.  Exit status 0 when every attempt was refused.
 */
#define _GNU_SOURCE
#include "confine.h"
#include "base/base.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <pthread.h>
#include <unistd.h>

static int failures;

static void
expect_refused(const char *what, int result)
{
    int err = errno;
    if (result >= 0) {
        printf("ALLOWED %s\n", what);
        failures++;
    }
    else {
        printf("refused %s: %s\n", what, strerror(err));
    }
}

static void
expect_allowed(const char *what, int result)
{
    int err = errno;
    if (result < 0) {
        printf("REFUSED %s: %s\n", what, strerror(err));
        failures++;
    }
    else {
        printf("allowed %s\n", what);
        close(result);
    }
}

static const char *test_dir;

/* The same attempts from a thread created after confinement: the sandbox's
   interpreter runs on such a thread. */
static void *
attempts(void *unused)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/canary.txt", test_dir);
    expect_refused("thread: open a file outside", open(path, O_RDONLY));
    expect_refused("thread: create a socket", socket(AF_INET, SOCK_STREAM, 0));
    char *const argv[] = {"/bin/true", NULL};
    char *const envp[] = {NULL};
    expect_refused("thread: execve", execve("/bin/true", argv, envp));
    expect_refused("thread: signal the parent", kill(getppid(), 0));
    return NULL;
}

int
ocap_worker_self_test(const char *outside_dir)
{
    ocap_confinement what;
    const char *readable[] = {ocap_stdlib_dir(), ocap_dynload_dir(), NULL};
    const char *writable[] = {NULL};
    if (ocap_confine(readable, writable, 0, &what) < 0) {
        printf("confinement failed\n");
        return 2;
    }
    printf("seccomp=%d landlock=%d no_new_privs=%d rlimits=%d\n", what.seccomp,
           what.landlock_abi, what.no_new_privs, what.rlimits);
    char path[4096];
    const char *dir = outside_dir ? outside_dir : "/tmp";
    snprintf(path, sizeof path, "%s/canary.txt", dir);
    expect_refused("open a file outside the granted directories",
                   open(path, O_RDONLY));
    expect_refused("open /etc/passwd", open("/etc/passwd", O_RDONLY));
    /* Its own CPython's stdlib only, not another one's. */
    snprintf(path, sizeof path, "%s/os.py", ocap_stdlib_dir());
    expect_allowed("read its stdlib", open(path, O_RDONLY));
    snprintf(path, sizeof path, "%s/created-by-worker", ocap_stdlib_dir());
    expect_refused("create a file in its stdlib",
                   open(path, O_WRONLY | O_CREAT, 0600));
    if (strcmp(ocap_stdlib_dir(), "/usr/lib/python3.11") != 0) {
        expect_refused("read another CPython's stdlib",
                       open("/usr/lib/python3.11/os.py", O_RDONLY));
    }
    snprintf(path, sizeof path, "%s/created-by-worker", dir);
    expect_refused("create a file", open(path, O_WRONLY | O_CREAT, 0600));
    expect_refused("create a directory", mkdir(path, 0700));
    expect_refused("create a socket", socket(AF_INET, SOCK_STREAM, 0));
    expect_refused("create a Unix socket", socket(AF_UNIX, SOCK_STREAM, 0));
    char *const argv[] = {"/bin/true", NULL};
    char *const envp[] = {NULL};
    expect_refused("execve", execve("/bin/true", argv, envp));
    pid_t pid = fork();
    if (pid == 0) {
        _exit(0);
    }
    if (pid > 0) {
        waitpid(pid, NULL, 0);
    }
    expect_refused("fork", pid);
    expect_refused("signal another process", kill(1, 0));
    test_dir = dir;
    pthread_t thread;
    if (pthread_create(&thread, NULL, attempts, NULL) == 0) {
        pthread_join(thread, NULL);
    }
    else {
        printf("ALLOWED? could not create a thread\n");
        failures++;
    }
    printf("%d allowed\n", failures);
    return failures == 0 && what.seccomp && what.landlock_abi > 0 ? 0 : 1;
}
