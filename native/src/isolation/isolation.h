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

/* Which objcap-worker to spawn and the CPython it runs: the directory of
   its libpython, its standard library and lib-dynload, all absolute, or
   all empty for the CPython the worker was built against. */
typedef struct ocap_worker_spec {
    char path[4096];
    char library_dir[4096];
    char stdlib[4096];
    char dynload[4096];
    int fresh; /* spawned, never forked from the zygote (fresh_worker) */
} ocap_worker_spec;

objcap_status ocap_remote_create(const ocap_worker_spec *worker,
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
