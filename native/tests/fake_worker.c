/*
 * A subverted objcap-worker, for test_hostile_worker: it answers creation
 * normally, then misbehaves as the source text of its first EXEC says:
 *   flood    output past any cap         garbage   an unknown frame type
 *   badvalue a result that is no value   huge      a frame claiming 2 GiB
 *   silent   never answers
 *   bigresult a result frame claiming 512 MiB, then silence
 *   bigoutput an output frame claiming 100 MiB, then silence
 *   deep     a result of 100 nested arrays
 * The host must end each case with an error, never a hang or a crash.
 * Asked to be a zygote (--zygote), it cannot: the host must notice at
 * once and spawn each worker instead.
 */
#include "isolation/protocol.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void
result(uint32_t status, const void *body, size_t len)
{
    uint8_t frame[64];
    for (int i = 0; i < 4; i++) {
        frame[i] = (uint8_t)(status >> (8 * i));
    }
    memcpy(frame + 4, body, len);
    ocap_frame_write_raw(1, OCAP_RESP_RESULT, frame, len + 4);
}

int
main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[argc - 1], "--zygote") == 0) {
        return 2;
    }
    ocap_frame frame;
    if (ocap_frame_read(0, &frame, -1) != 1) {
        return 1;
    }
    free(frame.body);
    result(0, "\x81\xa4mode\xa7process", 14);
    while (ocap_frame_read(0, &frame, -1) == 1) {
        ocap_field f[2];
        const char *how = "";
        if (frame.type == OCAP_REQ_EXEC &&
            ocap_frame_fields(&frame, f, 2) == 0) {
            how = strndup(f[0].data, f[0].len);
        }
        if (strcmp(how, "flood") == 0) {
            static uint8_t chunk[4097];
            memset(chunk, 'A', sizeof chunk);
            chunk[0] = 1; /* stdout */
            for (int i = 0; i < 1000; i++) {
                if (ocap_frame_write_raw(1, OCAP_RESP_OUTPUT, chunk,
                                         sizeof chunk) < 0) {
                    return 0;
                }
            }
        }
        else if (strcmp(how, "garbage") == 0) {
            ocap_frame_write_raw(1, 99, "x", 1);
        }
        else if (strcmp(how, "badvalue") == 0) {
            result(0, "\xdd\x7f\xff\xff\xff", 5); /* array of 2**31 items */
        }
        else if (strcmp(how, "huge") == 0) {
            uint8_t header[5] = {0xff, 0xff, 0xff, 0x7f, OCAP_RESP_RESULT};
            write(1, header, sizeof header);
        }
        else if (strcmp(how, "silent") == 0) {
            pause();
        }
        else if (strcmp(how, "deep") == 0) {
            uint8_t nested[101];
            memset(nested, 0x91, 100); /* fixarray of one item, 100 deep */
            nested[100] = 0xc0;
            uint8_t body[4 + sizeof nested] = {0};
            memcpy(body + 4, nested, sizeof nested);
            ocap_frame_write_raw(1, OCAP_RESP_RESULT, body, sizeof body);
        }
        else if (strcmp(how, "bigresult") == 0 ||
                 strcmp(how, "bigoutput") == 0) {
            /* Under the protocol's 1 GiB, over what this sandbox's limits
               let a frame carry: the host must refuse the header alone
               (else it waits for the body until the call's deadline). */
            uint32_t total = how[3] == 'r' ? (512u << 20) : (100u << 20);
            uint8_t header[5] = {
                (uint8_t)total, (uint8_t)(total >> 8), (uint8_t)(total >> 16),
                (uint8_t)(total >> 24),
                how[3] == 'r' ? OCAP_RESP_RESULT : OCAP_RESP_OUTPUT};
            write(1, header, sizeof header);
            pause();
        }
        else {
            result(0, "\xc0", 1);
        }
        free(frame.body);
    }
    return 0;
}
