/*
 * The framed protocol between the worker client (in the host) and
 * objcap-worker, over a Unix stream socket pair:
 *   frame   = u32 length (little-endian, of what follows) | u8 type | body
 *   field   = u32 length | bytes
 * Requests carry fields (e.g. EXEC: source, filename); the worker answers
 * with any number of OUTPUT frames (u8 stream | bytes) and one RESULT
 * (u32 status | the call's out buffer).  While a call runs, the worker may
 * ask the host to run a granted host function (HOST_CALL); the host answers
 * with HOST_RESULT and the call goes on.  The host trusts nothing the worker
 * sends: sizes are bounded and buffers checked before use.
 */
#ifndef OBJCAP_PROTOCOL_H
#define OBJCAP_PROTOCOL_H

#include <stddef.h>
#include <stdint.h>

#define OCAP_MAX_FRAME (1u << 30)

enum ocap_frame_type {
    OCAP_REQ_CREATE = 1,
    OCAP_REQ_EXEC = 2,
    OCAP_REQ_EVAL = 3,
    OCAP_REQ_CALL = 4,
    OCAP_REQ_SET = 5,
    OCAP_REQ_GET = 6,
    OCAP_REQ_RELEASE = 7,
    OCAP_REQ_DENIALS = 8,
    OCAP_REQ_DESTROY = 9,
    OCAP_REQ_ISOLATION = 10,
    OCAP_REQ_GRANT = 11,       /* id (u64) | kind (u8) | name | payload */
    OCAP_REQ_HOST_RESULT = 12, /* u32 status | the host function's reply */
    OCAP_CTL_REVOKE = 15,      /* on the control socket: grant id (u64) */
    OCAP_RESP_OUTPUT = 20,
    OCAP_RESP_RESULT = 21,
    OCAP_RESP_HOST_CALL = 22 /* grant id (u64) | arguments (MessagePack) */
};

/* The worker's second socket: revocations arrive on it while a call runs
   (the first socket is busy with the call). */
#define OCAP_CONTROL_FD 3

typedef struct ocap_frame {
    uint8_t type;
    uint8_t *body; /* malloc'd */
    size_t len;
} ocap_frame;

typedef struct ocap_field {
    const void *data;
    size_t len;
} ocap_field;

/* Writes one frame of fields; 0 or -1 (errno set). */
int ocap_frame_write(int fd, uint8_t type, const ocap_field *fields,
                     size_t count);
/* Writes one frame with a raw body. */
int ocap_frame_write_raw(int fd, uint8_t type, const void *body, size_t len);
/* Reads one frame: 1 read, 0 end of stream, -1 error or deadline passed
   (deadline_ms < 0: none; counted on CLOCK_MONOTONIC). */
int ocap_frame_read(int fd, ocap_frame *frame, int64_t deadline_ms);
/* The same, refusing (-1, EMSGSIZE, nothing allocated) a frame whose body
   is longer than max_len(type, ctx) says a frame of its type may be. */
typedef size_t (*ocap_frame_cap)(uint8_t type, const void *ctx);
int ocap_frame_read_bounded(int fd, ocap_frame *frame, int64_t deadline_ms,
                            ocap_frame_cap max_len, const void *ctx);
/*
 * Before a blocking read of an answer that usually comes within
 * microseconds, polls fd without sleeping for a while: that saves the
 * reader's sleep and wake-up, two per round trip, 20-25 us each on an idle
 * machine (its cores sleep deeper).  The budget halves each time the answer
 * did not come within it (a long call, or a busy machine, where a spinning
 * thread takes the core from the one that would answer) and is whole again
 * once one came in time; at 0, one read in 16 tries again.  A spinner
 * starts zeroed: give it OCAP_SPIN_US.
 */
#define OCAP_SPIN_US 50
typedef struct ocap_spinner {
    int budget; /* microseconds */
    unsigned rests;
} ocap_spinner;
void ocap_spin_before_read(ocap_spinner *s, int fd);

/* Splits a body into `count` fields; 0 or -1 if malformed. */
int ocap_frame_fields(const ocap_frame *frame, ocap_field *fields,
                      size_t count);
int64_t ocap_now_ms(void);

#endif
