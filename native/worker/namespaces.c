/*
 * The worker's own namespaces: mount, network, IPC and UTS (and a user
 * namespace when the host is not root, where the kernel allows it
 * unprivileged).  The mount namespace's root is an empty read-only tmpfs
 * holding, at their own paths, only the directories the worker may read or
 * write: what Landlock does not cover (stat, O_PATH, readlink, access)
 * finds nothing else of the host's file system.  Where the kernel refuses
 * a namespace the worker goes on without it and says so.
 */
#define _GNU_SOURCE
#include "namespaces.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/mount.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

static int
write_file(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) {
        return -1;
    }
    ssize_t n = write(fd, text, strlen(text));
    close(fd);
    return n == (ssize_t)strlen(text) ? 0 : -1;
}

/* Maps the worker's own ids to themselves in its new user namespace. */
static int
map_ids(uid_t uid, gid_t gid)
{
    char map[64];
    if (write_file("/proc/self/setgroups", "deny") < 0) {
        return -1;
    }
    snprintf(map, sizeof map, "%u %u 1", (unsigned)uid, (unsigned)uid);
    if (write_file("/proc/self/uid_map", map) < 0) {
        return -1;
    }
    snprintf(map, sizeof map, "%u %u 1", (unsigned)gid, (unsigned)gid);
    return write_file("/proc/self/gid_map", map);
}

static int
make_dirs(char *path)
{
    for (char *p = path + 1; *p; p++) {
        if (*p == '/') {
            *p = '\0';
            int rc = mkdir(path, 0755);
            *p = '/';
            if (rc < 0 && errno != EEXIST) {
                return -1;
            }
        }
    }
    return mkdir(path, 0755) < 0 && errno != EEXIST ? -1 : 0;
}

/* The flags a remount must keep: a user namespace may not clear those the
   mount was locked with. */
static unsigned long
locked_flags(const char *path)
{
    struct statvfs st;
    if (statvfs(path, &st) < 0) {
        return 0;
    }
    unsigned long flags = 0;
    if (st.f_flag & ST_NOSUID) {
        flags |= MS_NOSUID;
    }
    if (st.f_flag & ST_NODEV) {
        flags |= MS_NODEV;
    }
    if (st.f_flag & ST_NOEXEC) {
        flags |= MS_NOEXEC;
    }
    if (st.f_flag & ST_RDONLY) {
        flags |= MS_RDONLY;
    }
    return flags | MS_NOSUID | MS_NODEV;
}

/* Makes a bind mount and everything mounted beneath it read-only (the
   whole tree: a remount alone would leave submounts writable). */
static int
read_only(const char *target)
{
#ifdef SYS_mount_setattr
    struct mount_attr attr = {.attr_set = MOUNT_ATTR_RDONLY};
    if (syscall(SYS_mount_setattr, AT_FDCWD, target, AT_RECURSIVE, &attr,
                sizeof attr) == 0) {
        return 0;
    }
    if (errno != ENOSYS) {
        return -1;
    }
#endif
    return mount(NULL, target, NULL,
                 MS_REMOUNT | MS_BIND | MS_RDONLY | locked_flags(target),
                 NULL);
}

/* Binds `path` at the same path beneath `root`; read-only unless `rw`.
   A path that does not exist is skipped (the worker could not use it). */
static int
bind(const char *root, const char *path, int rw)
{
    struct stat st;
    if (path[0] != '/' || stat(path, &st) < 0 || !S_ISDIR(st.st_mode)) {
        return 0;
    }
    char target[PATH_MAX];
    if ((size_t)snprintf(target, sizeof target, "%s%s", root, path) >=
            sizeof target ||
        make_dirs(target) < 0 ||
        mount(path, target, NULL, MS_BIND | MS_REC, NULL) < 0) {
        return -1;
    }
    if (!rw) {
        return read_only(target);
    }
    return mount(NULL, target, NULL,
                 MS_REMOUNT | MS_BIND | locked_flags(target), NULL);
}

/* Shorter first (a parent before what lies beneath it), then by text (the
   same path twice side by side). */
static int
by_length(const void *a, const void *b)
{
    const char *pa = *(const char *const *)a, *pb = *(const char *const *)b;
    size_t la = strlen(pa), lb = strlen(pb);
    return la < lb ? -1 : la > lb ? 1 : strcmp(pa, pb);
}

/* Whether `path` is among `list` (by text: the same directory may be
   named in both lists). */
static int
listed(const char *path, const char *const *list)
{
    for (; *list; list++) {
        if (strcmp(*list, path) == 0) {
            return 1;
        }
    }
    return 0;
}

/*
 * The new root on the current directory (the empty one the host made for
 * this worker), then pivot_root into it.  0 when done; 1 when it failed
 * before the pivot (the worker's view of the file system is as it was, the
 * tmpfs over its directory aside); -1 when it failed after.
 */
static int
pivot_to_allowed(const char *const *readable, const char *const *writable)
{
    char root[PATH_MAX];
    if (getcwd(root, sizeof root) == NULL || strcmp(root, "/") == 0 ||
        mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
        mount("objcap", root, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
              "size=64k,mode=0755") < 0) {
        return 1;
    }
    /* Parents before what lies beneath them. */
    size_t n = 0;
    for (const char *const *p = readable; *p; p++) {
        n++;
    }
    for (const char *const *p = writable; *p; p++) {
        n++;
    }
    const char **paths = calloc(n + 1, sizeof *paths);
    if (paths == NULL) {
        umount2(root, MNT_DETACH);
        return 1;
    }
    size_t i = 0;
    for (const char *const *p = readable; *p; p++) {
        paths[i++] = *p;
    }
    for (const char *const *p = writable; *p; p++) {
        paths[i++] = *p;
    }
    qsort(paths, n, sizeof *paths, by_length);
    int rc = 0;
    for (i = 0; i < n && rc == 0; i++) {
        if (i > 0 && strcmp(paths[i], paths[i - 1]) == 0) {
            continue; /* named twice: bound once, writable if either says */
        }
        rc = bind(root, paths[i], listed(paths[i], writable));
    }
    free(paths);
    char old[PATH_MAX];
    if (rc < 0 ||
        (size_t)snprintf(old, sizeof old, "%s/.old", root) >= sizeof old ||
        mkdir(old, 0700) < 0 || syscall(SYS_pivot_root, root, old) < 0) {
        umount2(root, MNT_DETACH);
        return 1;
    }
    if (chdir("/") < 0 || umount2("/.old", MNT_DETACH) < 0 ||
        rmdir("/.old") < 0) {
        return -1;
    }
    /* Nothing new in the root itself. */
    return mount(NULL, "/", NULL,
                 MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV |
                     MS_NOEXEC,
                 NULL);
}

int
ocap_enter_namespaces(const char *const *readable, const char *const *writable)
{
    uid_t uid = geteuid();
    gid_t gid = getegid();
    int flags = CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS;
    if (uid != 0) {
        flags |= CLONE_NEWUSER;
    }
    if (unshare(flags) < 0) {
        return 0; /* not allowed here: the worker goes on without */
    }
    /* A kernel may grant the namespaces but no power in them (Ubuntu's
       AppArmor restriction of unprivileged user namespaces): the worker
       then goes on as it was, in namespaces that change nothing. */
    if (uid != 0 && map_ids(uid, gid) < 0) {
        return 0;
    }
    int rc = pivot_to_allowed(readable, writable);
    return rc == 0 ? 1 : rc > 0 ? 0 : -1;
}
