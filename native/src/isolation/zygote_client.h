/* zygote_client.c: workers forked from a warm zygote. */
#ifndef OBJCAP_ISOLATION_ZYGOTE_CLIENT_H
#define OBJCAP_ISOLATION_ZYGOTE_CLIENT_H

#include "isolation/isolation.h"

#include <stdint.h>
#include <sys/types.h>

typedef struct ocap_zygote ocap_zygote;

/*
 * Has the zygote of `spec` (started on first use) fork a worker whose fds
 * 0 and 1 are child_fd, 3 child_control_fd, and whose working directory is
 * `workdir`.  0 with *zygote, *pid, *serial and *pidfd (the worker's, ours
 * to close) set; -1 when no zygote can serve (fresh_worker, OBJCAP_ZYGOTE=0,
 * failed to start, or did not answer, and was retired: the next request
 * starts a new one).  Then try again or spawn, on new sockets: a zygote
 * that answers late may still fork a worker with these.
 */
int ocap_zygote_fork(const ocap_worker_spec *spec, int child_fd,
                     int child_control_fd, const char *workdir,
                     ocap_zygote **zygote, pid_t *pid, uint32_t *serial,
                     int *pidfd);

/* Has the zygote kill its worker (pid, serial) if that is still its
   unreaped child: for when its pidfd cannot signal.  0 if asked. */
int ocap_zygote_kill(ocap_zygote *zygote, pid_t pid, uint32_t serial);

/*
 * How the worker (pid, serial) of `zygote`, which has ended, ended (a wait
 * status), waiting up to wait_ms for the zygote to say: 1 with *status
 * set, 0 if it did not (or the zygote is gone).
 */
int ocap_zygote_exit_status(ocap_zygote *zygote, pid_t pid, uint32_t serial,
                            int wait_ms, int *status);

#endif
