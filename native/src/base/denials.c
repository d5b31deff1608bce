/*
 * What the audit hook refused in a sandbox: a count and the most recent
 * events, so the host can log what a script tried.  Written on the engine
 * thread, read from any host thread.
 */
#include "base/base.h"

#include <stdlib.h>
#include <string.h>

void
ocap_sandbox_count_denial(ocap_sandbox *sb, const char *event)
{
    pthread_mutex_lock(&sb->denials_mu);
    sb->denial_count++;
    size_t slot = sb->denial_next++ % OCAP_RECENT_DENIALS;
    snprintf(sb->recent_denials[slot], sizeof sb->recent_denials[slot], "%s",
             event);
    pthread_mutex_unlock(&sb->denials_mu);
}

/* {"count": n, "recent": [oldest ... newest]} */
objcap_status
ocap_denials_report(ocap_sandbox *sb, uint8_t **out, size_t *out_len)
{
    msgpack_sbuffer sbuf;
    msgpack_sbuffer_init(&sbuf);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sbuf, msgpack_sbuffer_write);
    pthread_mutex_lock(&sb->denials_mu);
    uint64_t count = sb->denial_count;
    size_t kept = sb->denial_next < OCAP_RECENT_DENIALS ? sb->denial_next
                                                        : OCAP_RECENT_DENIALS;
    msgpack_pack_map(&pk, 2);
    msgpack_pack_str_with_body(&pk, "count", 5);
    msgpack_pack_uint64(&pk, count);
    msgpack_pack_str_with_body(&pk, "recent", 6);
    msgpack_pack_array(&pk, kept);
    for (size_t i = sb->denial_next - kept; i < sb->denial_next; i++) {
        const char *event = sb->recent_denials[i % OCAP_RECENT_DENIALS];
        msgpack_pack_str_with_body(&pk, event, strlen(event));
    }
    pthread_mutex_unlock(&sb->denials_mu);
    if (sbuf.data == NULL) {
        return OBJCAP_ERR_NOMEM;
    }
    return ocap_buffer_take(&sbuf, out, out_len);
}
