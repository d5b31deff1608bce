/* spawner.c: how objcap-worker processes are started. */
#ifndef OBJCAP_ISOLATION_SPAWNER_H
#define OBJCAP_ISOLATION_SPAWNER_H

#include "isolation/isolation.h"

#include <sys/types.h>

/*
 * Starts `worker` with child_fd as its fds 0 and 1, child_control_fd as 3,
 * /dev/null as 2, `workdir` as its working directory, in a session of its
 * own with clean signals; with --zygote when `zygote`.  0 (*pid set) or
 * an errno.
 */
int ocap_spawn_worker(const ocap_worker_spec *worker, int child_fd,
                      int child_control_fd, const char *workdir, int zygote,
                      pid_t *pid);

#endif
