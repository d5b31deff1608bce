/*
 * Layer 6, process isolation, the host's side: the worker client spawns
 * objcap-worker and forwards each call over the framed protocol
 * (protocol.h).  Uses capabilities/ (a worker's host-function calls are
 * served from the host's grant table), values/ and base/.
 */
#ifndef OBJCAP_ISOLATION_ISOLATION_H
#define OBJCAP_ISOLATION_ISOLATION_H

#include "base/state.h"

/* worker_client.c */
struct ocap_field;
objcap_status ocap_remote_create(const char *worker_path,
                                 const uint8_t *options, size_t options_len,
                                 const ocap_limits *limits,
                                 objcap_output_fn on_output, void *user,
                                 ocap_remote **result, uint8_t **out,
                                 size_t *out_len);
objcap_status ocap_remote_call(ocap_remote *r, uint8_t type,
                               const struct ocap_field *fields, size_t count,
                               objcap_output_fn on_output, void *user,
                               uint8_t **out, size_t *out_len);
objcap_status ocap_remote_isolation(ocap_remote *r, uint8_t **out,
                                    size_t *out_len);
int ocap_remote_is_dead(ocap_remote *r);
void ocap_remote_revoke(ocap_remote *r, uint64_t grant);
void ocap_remote_set_owner(ocap_remote *r, ocap_sandbox *sb);
void ocap_remote_destroy(ocap_remote *r);

#endif
