/*
 * The zygote's messages on the wire (zygote_protocol.h): one fixed-size
 * struct per SOCK_SEQPACKET message, descriptors as SCM_RIGHTS.  Shared by
 * the host (zygote_client.c) and the zygote (native/worker/zygote.c).
 */
#define _GNU_SOURCE
#include "isolation/zygote_protocol.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int
ocap_zygote_send(int fd, const ocap_zygote_message *m, const int *fds,
                 size_t count, int flags)
{
    if (m == NULL || count > 2 || (count > 0 && fds == NULL)) {
        errno = EINVAL;
        return -1;
    }
    union {
        char buf[CMSG_SPACE(2 * sizeof(int))];
        struct cmsghdr align;
    } control;
    memset(&control, 0, sizeof control);
    struct iovec iov = {(void *)m, sizeof *m};
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
    if (count > 0) {
        msg.msg_control = control.buf;
        msg.msg_controllen = CMSG_SPACE(count * sizeof(int));
        struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(count * sizeof(int));
        memcpy(CMSG_DATA(c), fds, count * sizeof(int));
    }
    ssize_t n;
    do {
        n = sendmsg(fd, &msg, MSG_NOSIGNAL | flags);
    } while (n < 0 && errno == EINTR);
    return n == (ssize_t)sizeof *m ? 0 : -1;
}

int
ocap_zygote_receive(int fd, ocap_zygote_message *m, int fds[2], size_t *count)
{
    union {
        char buf[CMSG_SPACE(4 * sizeof(int))];
        struct cmsghdr align;
    } control;
    struct iovec iov = {m, sizeof *m};
    struct msghdr msg = {.msg_iov = &iov,
                         .msg_iovlen = 1,
                         .msg_control = control.buf,
                         .msg_controllen = sizeof control.buf};
    ssize_t n;
    do {
        n = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC);
    } while (n < 0 && errno == EINTR);
    *count = 0;
    int over = (msg.msg_flags & MSG_CTRUNC) != 0;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); n > 0 && c != NULL;
         c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) {
            continue;
        }
        size_t in = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t i = 0; i < in; i++) {
            int got;
            memcpy(&got, CMSG_DATA(c) + i * sizeof(int), sizeof got);
            if (*count < 2) {
                fds[(*count)++] = got;
            }
            else {
                close(got);
                over = 1;
            }
        }
    }
    if (over) {
        /* Part of what was sent, or more than a message carries: none of
           it is used. */
        for (size_t i = 0; i < *count; i++) {
            close(fds[i]);
        }
        *count = 0;
    }
    if (n == 0) {
        return 0;
    }
    if (n < 0) {
        return -1;
    }
    return n == (ssize_t)sizeof *m ? 1 : -2;
}
