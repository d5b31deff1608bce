/* What the worker tests see of processes: who is whose, and which are
   objcap's workers and zygotes (by /proc, which still names a zombie). */
#ifndef OBJCAP_TEST_PROCESSES_H
#define OBJCAP_TEST_PROCESSES_H

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* {"worker": path, "timeout_ms": ms[, "fresh_worker": true]} as
   MessagePack into buf, which holds 600 bytes: its length (0 for a path
   longer than 255 bytes). */
static size_t
worker_options(uint8_t *buf, const char *worker, uint32_t timeout_ms,
               int fresh)
{
    size_t n = 0, len = strlen(worker);
    if (len > 255) {
        return 0;
    }
    buf[n++] = fresh ? 0x83 : 0x82;
    buf[n++] = 0xa6;
    memcpy(buf + n, "worker", 6);
    n += 6;
    buf[n++] = 0xd9;
    buf[n++] = (uint8_t)len;
    memcpy(buf + n, worker, len);
    n += len;
    buf[n++] = 0xaa;
    memcpy(buf + n, "timeout_ms", 10);
    n += 10;
    buf[n++] = 0xce;
    for (int shift = 24; shift >= 0; shift -= 8) {
        buf[n++] = (uint8_t)(timeout_ms >> shift);
    }
    if (fresh) {
        buf[n++] = 0xac;
        memcpy(buf + n, "fresh_worker", 12);
        n += 12;
        buf[n++] = 0xc3;
    }
    return n;
}

/* /proc/PID/FILE into text (NUL-terminated): 0 if it is gone. */
static int
read_proc(long pid, const char *file, char *text, size_t size)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%ld/%s", pid, file);
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        return 0;
    }
    size_t n = fread(text, 1, size - 1, f);
    fclose(f);
    text[n] = '\0';
    return 1;
}

/* A process's name and parent; 0 if it is gone. */
static int
process_stat(long pid, char name[32], long *ppid)
{
    char stat[512];
    if (!read_proc(pid, "stat", stat, sizeof stat)) {
        return 0;
    }
    const char *open = strchr(stat, '(');
    const char *close = strrchr(stat, ')');
    if (open == NULL || close == NULL || close - open - 1 >= 32) {
        return 0;
    }
    memcpy(name, open + 1, (size_t)(close - open - 1));
    name[close - open - 1] = '\0';
    return sscanf(close + 1, " %*c %ld", ppid) == 1;
}

/* The pid of our zygote that is pid's parent, or 0 when pid is not a
   worker forked by one. */
static long
zygote_of(long pid)
{
    char name[32], parent_name[32];
    long ppid = 0, grandparent = 0;
    int forked = process_stat(pid, name, &ppid) &&
        strcmp(name, "objcap-worker") == 0 &&
        process_stat(ppid, parent_name, &grandparent) &&
        strcmp(parent_name, "objcap-zygote") == 0 &&
        grandparent == (long)getpid();
    return forked ? ppid : 0;
}

/* Whether pid is a worker of this process: our child, or a child of our
   zygote.  Only those may be killed. */
static int
our_worker(long pid)
{
    char name[32];
    long ppid = 0;
    return (process_stat(pid, name, &ppid) &&
            strcmp(name, "objcap-worker") == 0 && ppid == (long)getpid()) ||
        zygote_of(pid) != 0;
}

/* Whether a worker of ours is left, even a zombie. */
static int
workers_left(void)
{
    DIR *d = opendir("/proc");
    int found = 0;
    struct dirent *e;
    while (d != NULL && !found && (e = readdir(d)) != NULL) {
        long pid = atol(e->d_name);
        found = pid > 0 && our_worker(pid);
    }
    if (d != NULL) {
        closedir(d);
    }
    return found;
}

#endif
