/*
 * The messages between the host and objcap-worker's zygote (zygote.c in
 * native/worker/, zygote_client.c here), over a Unix SOCK_SEQPACKET pair:
 * one fixed-size struct per message, file descriptors as SCM_RIGHTS.
 *   zygote -> host  READY once it has started CPython, or FAILED;
 *   host -> zygote  FORK with the new worker's directory and, attached,
 *                   its request socket and control socket;
 *   zygote -> host  FORKED with the worker's pid and serial (or an
 *                   errno) and, attached, a pidfd for it;
 *   zygote -> host  EXITED with a worker's pid, serial and wait status,
 *                   once it is reaped;
 *   host -> zygote  KILL a worker by pid and serial: done only while it is
 *                   the zygote's unreaped child (for a worker whose pidfd
 *                   never reached the host).
 * A pid comes round again; (pid, serial) names one worker for good.
 */
#ifndef OBJCAP_ZYGOTE_PROTOCOL_H
#define OBJCAP_ZYGOTE_PROTOCOL_H

#include <stddef.h>
#include <stdint.h>

enum ocap_zygote_kind {
    OCAP_ZYGOTE_READY = 1,
    OCAP_ZYGOTE_FAILED = 2,
    OCAP_ZYGOTE_FORK = 3,
    OCAP_ZYGOTE_FORKED = 4,
    OCAP_ZYGOTE_EXITED = 5,
    OCAP_ZYGOTE_KILL = 6,
};

typedef struct ocap_zygote_message {
    uint32_t kind;
    int32_t pid;      /* FORKED, EXITED, KILL */
    uint32_t serial;  /* FORKED, EXITED, KILL: which fork of the zygote */
    int32_t value;    /* FORKED: 0 or an errno; EXITED: the wait status */
    char workdir[64]; /* FORK: NUL-terminated */
} ocap_zygote_message;

/* Sends one message with `count` (0 to 2) descriptors attached, whole (so
   threads need no lock to send); flags adds to MSG_NOSIGNAL.  0 or -1. */
int ocap_zygote_send(int fd, const ocap_zygote_message *m, const int *fds,
                     size_t count, int flags);

/*
 * Receives one message and its descriptors (at most 2, in fds, *count set;
 * an attachment the kernel cut, or one of more, is closed and counts 0):
 * 1, 0 at the end of the stream, -1 on an error, -2 for a message of
 * another size (its descriptors closed).
 */
int ocap_zygote_receive(int fd, ocap_zygote_message *m, int fds[2],
                        size_t *count);

#endif
