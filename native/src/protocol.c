/* Frames on a stream socket, for the worker client and the worker. */
#include "protocol.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

int64_t
ocap_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* send() with MSG_NOSIGNAL: a dead peer must not SIGPIPE the host. */
static int
write_all(int fd, const void *data, size_t len)
{
    const uint8_t *p = data;
    while (len > 0) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
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

int
ocap_frame_write(int fd, uint8_t type, const ocap_field *fields, size_t count)
{
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
    uint8_t header[5];
    put_u32(header, (uint32_t)total);
    header[4] = type;
    if (write_all(fd, header, sizeof header) < 0) {
        return -1;
    }
    for (size_t i = 0; i < count; i++) {
        uint8_t len[4];
        put_u32(len, (uint32_t)fields[i].len);
        if (write_all(fd, len, 4) < 0 ||
            (fields[i].len && write_all(fd, fields[i].data, fields[i].len) < 0)) {
            return -1;
        }
    }
    return 0;
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
    if (write_all(fd, header, sizeof header) < 0) {
        return -1;
    }
    return len ? write_all(fd, body, len) : 0;
}

/* 1 read everything, 0 clean end of stream at the start, -1 otherwise. */
static int
read_all(int fd, void *data, size_t len, int64_t deadline_ms, int at_start)
{
    uint8_t *p = data;
    size_t got = 0;
    while (got < len) {
        if (deadline_ms >= 0) {
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

int
ocap_frame_read(int fd, ocap_frame *frame, int64_t deadline_ms)
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
    frame->body = malloc(frame->len ? frame->len : 1);
    if (frame->body == NULL) {
        return -1;
    }
    if (frame->len && read_all(fd, frame->body, frame->len, deadline_ms, 0)
        != 1) {
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
