/* Frames on a stream socket, for the worker client and the worker. */

#include "isolation/protocol.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

int64_t
ocap_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}


static void
put_u32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static uint32_t
get_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
        ((uint32_t)p[3] << 24);
}

/* sendmsg() of the whole frame at once: the reader wakes once per frame,
   not once per piece. */
static int
send_all(int fd, struct iovec *iov, int n)
{
    while (n > 0) {
        struct msghdr msg = {.msg_iov = iov, .msg_iovlen = (size_t)n};
        ssize_t sent = sendmsg(fd, &msg, MSG_NOSIGNAL);
        if (sent < 0 && errno == EINTR) {
            continue;
        }
        if (sent <= 0) {
            return -1;
        }
        while (n > 0 && (size_t)sent >= iov->iov_len) {
            sent -= (ssize_t)iov->iov_len;
            iov++;
            n--;
        }
        if (n > 0) {
            iov->iov_base = (uint8_t *)iov->iov_base + sent;
            iov->iov_len -= (size_t)sent;
        }
    }
    return 0;
}

#define MAX_FIELDS 8

int
ocap_frame_write(int fd, uint8_t type, const ocap_field *fields, size_t count)
{
    if (count > MAX_FIELDS) {
        errno = EINVAL;
        return -1;
    }
    size_t total = 1;
    for (size_t i = 0; i < count; i++) {
        if (fields[i].len > OCAP_MAX_FRAME) {
            errno = EMSGSIZE;
            return -1;
        }
        total += 4 + fields[i].len;
    }
    if (total > OCAP_MAX_FRAME) {
        errno = EMSGSIZE;
        return -1;
    }
    uint8_t header[5], lens[MAX_FIELDS][4];
    struct iovec iov[1 + 2 * MAX_FIELDS];
    int n = 0;
    put_u32(header, (uint32_t)total);
    header[4] = type;
    iov[n++] = (struct iovec){header, sizeof header};
    for (size_t i = 0; i < count; i++) {
        put_u32(lens[i], (uint32_t)fields[i].len);
        iov[n++] = (struct iovec){lens[i], 4};
        if (fields[i].len) {
            iov[n++] = (struct iovec){(void *)fields[i].data, fields[i].len};
        }
    }
    return send_all(fd, iov, n);
}

int
ocap_frame_write_raw(int fd, uint8_t type, const void *body, size_t len)
{
    if (len + 1 > OCAP_MAX_FRAME) {
        errno = EMSGSIZE;
        return -1;
    }
    uint8_t header[5];
    put_u32(header, (uint32_t)(len + 1));
    header[4] = type;
    struct iovec iov[2] = {{header, sizeof header}, {(void *)body, len}};
    return send_all(fd, iov, len ? 2 : 1);
}

/* 1 read everything, 0 clean end of stream at the start, -1 otherwise. */
static int
read_all(int fd, void *data, size_t len, int64_t deadline_ms, int at_start)
{
    uint8_t *p = data;
    size_t got = 0;
    while (got < len) {
        if (deadline_ms >= 0) {
            /* What has arrived is read without a poll() first. */
            ssize_t n = recv(fd, p + got, len - got, MSG_DONTWAIT);
            if (n > 0) {
                got += (size_t)n;
                continue;
            }
            if (n == 0) {
                errno = EPIPE;
                return at_start && got == 0 ? 0 : -1;
            }
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
                return -1;
            }
            int64_t left = deadline_ms - ocap_now_ms();
            if (left <= 0) {
                errno = ETIMEDOUT;
                return -1;
            }
            struct pollfd pfd = {.fd = fd, .events = POLLIN};
            int r = poll(&pfd, 1, left > 1000000 ? 1000000 : (int)left);
            if (r < 0 && errno == EINTR) {
                continue;
            }
            if (r == 0) {
                continue; /* loop re-checks the deadline */
            }
            if (r < 0) {
                return -1;
            }
        }
        ssize_t n = read(fd, p + got, len - got);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n == 0) {
            errno = EPIPE;
            return at_start && got == 0 ? 0 : -1;
        }
        if (n < 0) {
            return -1;
        }
        got += (size_t)n;
    }
    return 1;
}

/* Polls fd without sleeping for up to spin_us: 1 once it is readable (or
   closed), 0 when the time is up. */
static int
spin_until_readable(int fd, int spin_us)
{
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        if (poll(&pfd, 1, 0) != 0) {
            return 1; /* readable, closed, or an error the read will meet */
        }
        clock_gettime(CLOCK_MONOTONIC, &now);
        int64_t spent = (int64_t)(now.tv_sec - start.tv_sec) * 1000000 +
            (now.tv_nsec - start.tv_nsec) / 1000;
        if (spent >= spin_us) {
            return 0;
        }
    }
}

void
ocap_spin_before_read(ocap_spinner *s, int fd)
{
    int budget = s->budget;
    if (budget == 0 && ++s->rests % 16 == 0) {
        budget = OCAP_SPIN_US; /* now and then, try again */
    }
    if (budget == 0) {
        return;
    }
    s->budget = spin_until_readable(fd, budget) ? OCAP_SPIN_US : budget / 2;
}

int
ocap_frame_read(int fd, ocap_frame *frame, int64_t deadline_ms)
{
    return ocap_frame_read_bounded(fd, frame, deadline_ms, NULL, NULL);
}

int
ocap_frame_read_bounded(int fd, ocap_frame *frame, int64_t deadline_ms,
                        ocap_frame_cap max_len, const void *ctx)
{
    uint8_t header[5];
    frame->body = NULL;
    frame->len = 0;
    int r = read_all(fd, header, sizeof header, deadline_ms, 1);
    if (r <= 0) {
        return r;
    }
    uint32_t total = get_u32(header);
    if (total < 1 || total > OCAP_MAX_FRAME) {
        errno = EPROTO;
        return -1;
    }
    frame->type = header[4];
    frame->len = total - 1;
    if (max_len != NULL && frame->len > max_len(frame->type, ctx)) {
        errno = EMSGSIZE; /* before a byte of it is allocated */
        return -1;
    }
    frame->body = malloc(frame->len ? frame->len : 1);
    if (frame->body == NULL) {
        return -1;
    }
    if (frame->len &&
        read_all(fd, frame->body, frame->len, deadline_ms, 0) != 1) {
        free(frame->body);
        frame->body = NULL;
        return -1;
    }
    return 1;
}

int
ocap_frame_fields(const ocap_frame *frame, ocap_field *fields, size_t count)
{
    size_t pos = 0;
    for (size_t i = 0; i < count; i++) {
        if (frame->len - pos < 4) {
            return -1;
        }
        uint32_t len = get_u32(frame->body + pos);
        pos += 4;
        if (len > frame->len - pos) {
            return -1;
        }
        fields[i].data = frame->body + pos;
        fields[i].len = len;
        pos += len;
    }
    return pos == frame->len ? 0 : -1;
}
