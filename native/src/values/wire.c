/*
 * A check of a MessagePack buffer before msgpack-c decodes it.  msgpack-c
 * allocates room for a container's declared size before it reads the
 * items, so nine bytes claiming 500 million map entries made it allocate
 * gigabytes (found by fuzz_values).  Every item takes at least one byte,
 * so a buffer is refused when the items it still owes exceed the bytes it
 * has left.  Containers may nest WIRE_MAX_DEPTH deep: values nest at most
 * OBJCAP_MAX_DEPTH, inside an error or a call's map or array or two, and a
 * decoder (msgpack-c's, Java's) recurses once per level.
 */
#include "values/values.h"

static uint64_t
big_endian(const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++) {
        v = (v << 8) | p[i];
    }
    return v;
}

#define WIRE_MAX_DEPTH (OBJCAP_MAX_DEPTH + 8)

int
ocap_wire_plausible(const uint8_t *data, size_t len)
{
    size_t pos = 0;
    uint64_t owed = 1; /* items still to read */
    /* Items left in each open container, innermost last. */
    uint64_t open[WIRE_MAX_DEPTH + 1];
    int depth = 0;
    open[0] = 1;
    while (owed > 0) {
        if (pos >= len) {
            return 0;
        }
        uint8_t b = data[pos++];
        owed--;
        while (depth > 0 && open[depth] == 0) {
            depth--;
        }
        open[depth]--;
        uint64_t items = 0, skip = 0;
        int width = 0;
        if (b <= 0x7f || b >= 0xe0 || b == 0xc0 || b == 0xc2 || b == 0xc3) {
            continue;
        }
        if (b >= 0x80 && b <= 0x8f) {
            items = 2u * (b & 0x0f);
        }
        else if (b >= 0x90 && b <= 0x9f) {
            items = b & 0x0f;
        }
        else if (b >= 0xa0 && b <= 0xbf) {
            skip = b & 0x1f;
        }
        else {
            switch (b) {
            case 0xc4:
            case 0xc5:
            case 0xc6: /* bin 8/16/32 */
            case 0xd9:
            case 0xda:
            case 0xdb: /* str 8/16/32 */
                width = (b == 0xc4 || b == 0xd9) ? 1
                    : (b == 0xc5 || b == 0xda)   ? 2
                                                 : 4;
                if (len - pos < (size_t)width) {
                    return 0;
                }
                skip = big_endian(data + pos, width);
                pos += width;
                break;
            case 0xc7:
            case 0xc8:
            case 0xc9: /* ext 8/16/32 */
                width = b == 0xc7 ? 1 : b == 0xc8 ? 2 : 4;
                if (len - pos < (size_t)width + 1) {
                    return 0;
                }
                skip = big_endian(data + pos, width) + 1; /* + type byte */
                pos += width;
                break;
            case 0xca:
                skip = 4;
                break;
            case 0xcb:
                skip = 8;
                break;
            case 0xcc:
            case 0xd0:
                skip = 1;
                break;
            case 0xcd:
            case 0xd1:
                skip = 2;
                break;
            case 0xce:
            case 0xd2:
                skip = 4;
                break;
            case 0xcf:
            case 0xd3:
                skip = 8;
                break;
            case 0xd4:
                skip = 2;
                break;
            case 0xd5:
                skip = 3;
                break;
            case 0xd6:
                skip = 5;
                break;
            case 0xd7:
                skip = 9;
                break;
            case 0xd8:
                skip = 17;
                break;
            case 0xdc:
            case 0xdd:
            case 0xde:
            case 0xdf:
                width = (b == 0xdc || b == 0xde) ? 2 : 4;
                if (len - pos < (size_t)width) {
                    return 0;
                }
                items = big_endian(data + pos, width);
                if (b >= 0xde) {
                    items *= 2;
                }
                pos += width;
                break;
            default: /* 0xc1 is never used */
                return 0;
            }
        }
        if (skip > len - pos) {
            return 0;
        }
        pos += skip;
        owed += items;
        if (owed > len - pos) {
            return 0;
        }
        if (items > 0) {
            if (depth == WIRE_MAX_DEPTH) {
                return 0;
            }
            open[++depth] = items;
        }
    }
    return 1;
}
