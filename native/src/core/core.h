/*
 * The engine's top: the exported objcap_ functions (api.c), the handle
 * registry, the sandbox's lifecycle and thread (sandbox.c), the calls'
 * job bodies (calls.c), the process-wide runtime (runtime.c), module
 * kinds (kinds.c) and granting (granting.c).  Uses every layer below.
 */
#ifndef OBJCAP_CORE_CORE_H
#define OBJCAP_CORE_CORE_H

#include "base/state.h"

/* registry.c */
objcap_status ocap_registry_add(ocap_sandbox *sb);
ocap_sandbox *ocap_registry_acquire(objcap_sandbox handle);
void ocap_registry_release(ocap_sandbox *sb);
ocap_sandbox *ocap_registry_take(objcap_sandbox handle, int *reentrant);

/* runtime.c */
objcap_status ocap_runtime_start(const char *stdlib_dir,
                                 const char *dynload_dir, char *msg,
                                 size_t msg_size);
PyInterpreterState *ocap_runtime_main_interpreter(void);
/* fork() for objcap-worker's zygote, CPython kept consistent: the
   child's pid, 0 in the child, -1 (errno) if CPython is not running. */
pid_t ocap_runtime_fork(void);
const char *ocap_runtime_version(void);

/* sandbox.c */
objcap_status ocap_sandbox_new(const ocap_limits *limits, ocap_policy *policy,
                               objcap_output_fn on_output, void *user,
                               ocap_sandbox **out, char *msg, size_t msg_size);
void ocap_sandbox_free(ocap_sandbox *sb);
objcap_status ocap_sandbox_run(ocap_sandbox *sb, ocap_job *job);
int ocap_sandbox_is_own_thread(ocap_sandbox *sb);

objcap_status ocap_sandbox_new_remote(ocap_remote *remote,
                                      objcap_output_fn on_output, void *user,
                                      ocap_sandbox **out);

/* granting.c: the host grants and revokes */
objcap_status ocap_grant_add(ocap_sandbox *sb, uint64_t id,
                             ocap_grant_kind kind, const char *name,
                             size_t name_len, const void *payload,
                             size_t payload_len, uint64_t *granted,
                             uint8_t **out, size_t *out_len);
objcap_status ocap_grant_revoke(ocap_sandbox *sb, uint64_t id);

/* api.c: the options of a sandbox that a worker serves */
int ocap_options_for_worker(const uint8_t *options, size_t len,
                            ocap_limits *limits, ocap_policy *policy);

/* calls.c: job bodies */
objcap_status ocap_job_exec(ocap_sandbox *sb, ocap_job *job);
objcap_status ocap_job_eval(ocap_sandbox *sb, ocap_job *job);
objcap_status ocap_job_call(ocap_sandbox *sb, ocap_job *job);
objcap_status ocap_job_set(ocap_sandbox *sb, ocap_job *job);
objcap_status ocap_job_get(ocap_sandbox *sb, ocap_job *job);
objcap_status ocap_job_release(ocap_sandbox *sb, ocap_job *job);

#endif
