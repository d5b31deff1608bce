/*
 * The exported functions of objcap.h: argument checks, then a job handed
 * to the sandbox's thread.  Nothing here runs Python or holds the GIL.
 */
#include "base/base.h"
#include "values/values.h"
#include "imports/imports.h"
#include "isolation/isolation.h"
#include "core/core.h"
#include "isolation/protocol.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_RECURSION_LIMIT 100000
#define MIN_RECURSION_LIMIT 50
#define DEFAULT_RECURSION_LIMIT 1000

static objcap_status
bad_argument(const char *message, uint8_t **out, size_t *out_len)
{
    if (out == NULL || out_len == NULL) {
        return OBJCAP_ERR_ARGUMENT;
    }
    return ocap_error_plain(OBJCAP_ERR_ARGUMENT, "ArgumentError", message, out,
                            out_len);
}

/* Source text, file names and global names: UTF-8 with no NUL byte. */
static const char *
text_problem(const char *text, size_t len, const char *what)
{
    if (text == NULL) {
        return what;
    }
    if (memchr(text, '\0', len) != NULL) {
        return "text contains a NUL byte";
    }
    if (!ocap_utf8_valid(text, len)) {
        return "text is not valid UTF-8";
    }
    return NULL;
}

/* Sets *out to NULL first so that the host can always free it. */
static int
out_ok(uint8_t **out, size_t *out_len)
{
    if (out == NULL || out_len == NULL) {
        return 0;
    }
    *out = NULL;
    *out_len = 0;
    return 1;
}

static ocap_sandbox *acquire(objcap_sandbox sandbox, uint8_t **out,
                             size_t *out_len, objcap_status *st);

static objcap_status
run_job(objcap_sandbox handle, ocap_job *job, uint8_t **out, size_t *out_len)
{
    objcap_status st;
    ocap_sandbox *sb = acquire(handle, out, out_len, &st);
    if (sb == NULL) {
        return st;
    }
    job->out = NULL;
    job->out_len = 0;
    st = ocap_sandbox_run(sb, job);
    ocap_registry_release(sb);
    *out = job->out;
    *out_len = job->out_len;
    return st;
}

const char *
objcap_version(void)
{
    return ocap_runtime_version();
}

objcap_status
objcap_runtime_start(const char *stdlib_dir, const char *dynload_dir,
                     uint8_t **out, size_t *out_len)
{
    if (!out_ok(out, out_len)) {
        return OBJCAP_ERR_ARGUMENT;
    }
    if ((stdlib_dir == NULL) != (dynload_dir == NULL)) {
        return bad_argument("stdlib_dir and dynload_dir go together", out,
                            out_len);
    }
    char msg[256] = "";
    objcap_status st = ocap_runtime_start(stdlib_dir, dynload_dir, msg,
                                          sizeof msg);
    if (st != OBJCAP_OK) {
        return ocap_error_plain(st, "RuntimeError", msg, out, out_len);
    }
    return OBJCAP_OK;
}

static int
key_is(const msgpack_object *k, const char *name)
{
    return k->via.str.size == strlen(name) &&
        memcmp(k->via.str.ptr, name, k->via.str.size) == 0;
}

/* Reads the options map; unknown keys are refused, not ignored. */

static const char *
read_count(const msgpack_object *v, int64_t *into, const char *problem)
{
    if (v->type != MSGPACK_OBJECT_POSITIVE_INTEGER ||
        v->via.u64 > INT64_MAX / 2) {
        return problem;
    }
    *into = (int64_t)v->via.u64;
    return NULL;
}

/* One absolute path, copied NUL-terminated into `into`. */
static int
read_path(const msgpack_object *v, char *into, size_t size)
{
    if (v->type != MSGPACK_OBJECT_STR || v->via.str.size == 0 ||
        v->via.str.size >= size || v->via.str.ptr[0] != '/' ||
        memchr(v->via.str.ptr, '\0', v->via.str.size)) {
        return -1;
    }
    memcpy(into, v->via.str.ptr, v->via.str.size);
    into[v->via.str.size] = '\0';
    return 0;
}

/* "worker_python": [library_dir, stdlib, dynload] */
static const char *
read_worker_python(const msgpack_object *v, ocap_worker_spec *worker)
{
    const char *problem = "worker_python must be three absolute paths";
    if (v->type != MSGPACK_OBJECT_ARRAY || v->via.array.size != 3) {
        return problem;
    }
    char *into[3] = {worker->library_dir, worker->stdlib, worker->dynload};
    for (int i = 0; i < 3; i++) {
        if (read_path(&v->via.array.ptr[i], into[i], sizeof worker->stdlib) <
            0) {
            worker->library_dir[0] = '\0';
            return problem;
        }
    }
    /* It becomes LD_LIBRARY_PATH, which the loader splits at ':' and ';'
       and expands at '$': "/tmp/a:b" would have it search /tmp/a first. */
    if (strpbrk(worker->library_dir, ":;$") != NULL) {
        worker->library_dir[0] = '\0';
        return "worker_python's library directory cannot hold ':', ';' or "
               "'$' (it is the worker's LD_LIBRARY_PATH)";
    }
    return NULL;
}

static const char *
read_options(const uint8_t *options, size_t len, ocap_limits *limits,
             ocap_policy *policy, char *buffer, size_t size,
             ocap_worker_spec *worker)
{
    worker->path[0] = '\0';
    worker->library_dir[0] = '\0';
    worker->stdlib[0] = '\0';
    worker->dynload[0] = '\0';
    worker->fresh = 0;
    memset(limits, 0, sizeof *limits);
    limits->recursion_limit = DEFAULT_RECURSION_LIMIT;
    int *recursion_limit = &limits->recursion_limit;
    if (options == NULL || len == 0) {
        return NULL;
    }
    msgpack_unpacked u;
    msgpack_unpacked_init(&u);
    size_t offset = 0;
    const char *problem = NULL;
    if (!ocap_wire_plausible(options, len) ||
        msgpack_unpack_next(&u, (const char *)options, len, &offset) !=
            MSGPACK_UNPACK_SUCCESS ||
        offset != len || u.data.type != MSGPACK_OBJECT_MAP) {
        problem = "options must be one MessagePack map";
    }
    for (uint32_t i = 0; problem == NULL && i < u.data.via.map.size; i++) {
        const msgpack_object *k = &u.data.via.map.ptr[i].key;
        const msgpack_object *v = &u.data.via.map.ptr[i].val;
        int is_uint = v->type == MSGPACK_OBJECT_POSITIVE_INTEGER;
        if (k->type != MSGPACK_OBJECT_STR) {
            problem = "option names must be strings";
        }
        else if (key_is(k, "worker")) {
            /* In the worker itself the key is spent: it serves, not spawns. */
            char path[sizeof worker->path];
            if (read_path(v, path, sizeof path) < 0) {
                problem = "worker must be the absolute path of objcap-worker";
            }
            else if (!ocap_worker_side) {
                memcpy(worker->path, path, sizeof path);
            }
        }
        else if (key_is(k, "fresh_worker")) {
            if (v->type != MSGPACK_OBJECT_BOOLEAN) {
                problem = "fresh_worker must be true or false";
            }
            else {
                worker->fresh = v->via.boolean;
            }
        }
        else if (key_is(k, "worker_python")) {
            ocap_worker_spec spent;
            problem = read_worker_python(v,
                                         ocap_worker_side ? &spent : worker);
        }
        else if (key_is(k, "allow_builtin")) {
            problem =
                ocap_policy_read_list(v, &policy->allow[OCAP_KIND_BUILTIN], 1);
        }
        else if (key_is(k, "allow_frozen")) {
            problem =
                ocap_policy_read_list(v, &policy->allow[OCAP_KIND_FROZEN], 1);
        }
        else if (key_is(k, "allow_extension")) {
            problem = ocap_policy_read_list(
                v, &policy->allow[OCAP_KIND_EXTENSION], 1);
        }
        else if (key_is(k, "allow_source")) {
            problem =
                ocap_policy_read_list(v, &policy->allow[OCAP_KIND_SOURCE], 1);
        }
        else if (key_is(k, "allow_dangerous")) {
            problem = ocap_policy_read_list(v, &policy->dangerous, 1);
        }
        else if (key_is(k, "source_paths")) {
            problem = ocap_policy_read_list(v, &policy->source_paths, 0);
        }
        else if (key_is(k, "read_dirs")) {
            problem = ocap_policy_read_list(v, &policy->read_dirs, 0);
        }
        else if (key_is(k, "write_dirs")) {
            problem = ocap_policy_read_list(v, &policy->write_dirs, 0);
        }
        else if (key_is(k, "recursion_limit")) {
            if (!is_uint || v->via.u64 < MIN_RECURSION_LIMIT ||
                v->via.u64 > MAX_RECURSION_LIMIT) {
                problem = "recursion_limit must be 50 to 100000";
            }
            else {
                *recursion_limit = (int)v->via.u64;
            }
        }
        else if (key_is(k, "timeout_ms")) {
            problem = read_count(v, &limits->timeout_ms,
                                 "timeout_ms must be a non-negative integer");
        }
        else if (key_is(k, "cpu_ms")) {
            problem = read_count(v, &limits->cpu_ms,
                                 "cpu_ms must be a non-negative integer");
        }
        else if (key_is(k, "max_output")) {
            problem = read_count(v, &limits->max_output,
                                 "max_output must be a non-negative integer");
        }
        else if (key_is(k, "memory_limit")) {
            problem =
                read_count(v, &limits->memory_limit,
                           "memory_limit must be a non-negative integer");
        }
        else if (key_is(k, "max_result")) {
            problem = read_count(v, &limits->max_result,
                                 "max_result must be a non-negative integer");
        }
        else {
            problem = "unknown option";
        }
    }
    msgpack_unpacked_destroy(&u);
    if (problem == NULL && worker->library_dir[0] != '\0' &&
        worker->path[0] == '\0') {
        problem = "worker_python needs worker";
    }
    if (problem == NULL) {
        problem = ocap_policy_validate(policy, buffer, size);
    }
    return problem;
}

static objcap_status
create_remote(const ocap_worker_spec *worker, const uint8_t *options,
              size_t options_len, const ocap_limits *limits,
              objcap_output_fn on_output, void *user, objcap_sandbox *sandbox,
              uint8_t **out, size_t *out_len)
{
    ocap_remote *remote = NULL;
    objcap_status st = ocap_remote_create(worker, options, options_len, limits,
                                          on_output, user, &remote, out,
                                          out_len);
    if (st != OBJCAP_OK) {
        return st;
    }
    ocap_sandbox *sb = NULL;
    if (ocap_sandbox_new_remote(remote, on_output, user, &sb) != OBJCAP_OK) {
        ocap_remote_destroy(remote);
        return ocap_error_plain(OBJCAP_ERR_NOMEM, "MemoryError",
                                "out of memory", out, out_len);
    }
    st = ocap_registry_add(sb);
    if (st != OBJCAP_OK) {
        ocap_sandbox_free(sb);
        return ocap_error_plain(st, "MemoryError", "out of memory", out,
                                out_len);
    }
    *sandbox = sb->handle;
    return OBJCAP_OK;
}

objcap_status
objcap_sandbox_create(const uint8_t *options, size_t options_len,
                      objcap_output_fn on_output, void *user,
                      objcap_sandbox *sandbox, uint8_t **out, size_t *out_len)
{
    if (!out_ok(out, out_len)) {
        return OBJCAP_ERR_ARGUMENT;
    }
    if (sandbox == NULL) {
        return bad_argument("sandbox must not be NULL", out, out_len);
    }
    *sandbox = 0;
    if (options == NULL && options_len != 0) {
        return bad_argument("options is NULL but has a length", out, out_len);
    }
    ocap_limits limits;
    ocap_policy policy = {0};
    char why[256];
    /* 16 KiB: static, not on the caller's stack, would need a lock. */
    ocap_worker_spec *worker = malloc(sizeof *worker);
    if (worker == NULL) {
        return ocap_error_plain(OBJCAP_ERR_NOMEM, "MemoryError",
                                "out of memory", out, out_len);
    }
    const char *problem = read_options(options, options_len, &limits, &policy,
                                       why, sizeof why, worker);
    if (problem != NULL || worker->path[0] != '\0') {
        ocap_policy_clear(&policy);
        objcap_status st = problem != NULL
            ? bad_argument(problem, out, out_len)
            : create_remote(worker, options, options_len, &limits, on_output,
                            user, sandbox, out, out_len);
        free(worker);
        return st;
    }
    free(worker);
    objcap_status st = objcap_runtime_start(NULL, NULL, out, out_len);
    if (st != OBJCAP_OK) {
        ocap_policy_clear(&policy);
        return st;
    }
    char msg[256] = "";
    ocap_sandbox *sb = NULL;
    st = ocap_sandbox_new(&limits, &policy, on_output, user, &sb, msg,
                          sizeof msg);
    if (st != OBJCAP_OK) {
        return ocap_error_plain(st, "RuntimeError", msg, out, out_len);
    }
    st = ocap_registry_add(sb);
    if (st != OBJCAP_OK) {
        ocap_sandbox_free(sb);
        return ocap_error_plain(st, "MemoryError", "out of memory", out,
                                out_len);
    }
    *sandbox = sb->handle;
    return OBJCAP_OK;
}

objcap_status
objcap_sandbox_destroy(objcap_sandbox sandbox)
{
    int reentrant = 0;
    ocap_sandbox *sb = ocap_registry_take(sandbox, &reentrant);
    if (sb == NULL) {
        return OBJCAP_ERR_STATE;
    }
    ocap_sandbox_free(sb);
    return OBJCAP_OK;
}

objcap_status
objcap_exec(objcap_sandbox sandbox, const char *source, size_t source_len,
            const char *filename, size_t filename_len, uint8_t **out,
            size_t *out_len)
{
    if (!out_ok(out, out_len)) {
        return OBJCAP_ERR_ARGUMENT;
    }
    const char *problem = text_problem(source, source_len, "source is NULL");
    if (problem == NULL) {
        problem = text_problem(filename, filename_len, "filename is NULL");
    }
    if (problem != NULL) {
        return bad_argument(problem, out, out_len);
    }
    ocap_job job = {.run = ocap_job_exec,
                    .remote_type = OCAP_REQ_EXEC,
                    .text = source,
                    .text_len = source_len,
                    .filename = filename,
                    .filename_len = filename_len};
    return run_job(sandbox, &job, out, out_len);
}

objcap_status
objcap_eval(objcap_sandbox sandbox, const char *expression, size_t len,
            uint8_t **out, size_t *out_len)
{
    if (!out_ok(out, out_len)) {
        return OBJCAP_ERR_ARGUMENT;
    }
    const char *problem = text_problem(expression, len, "expression is NULL");
    if (problem != NULL) {
        return bad_argument(problem, out, out_len);
    }
    ocap_job job = {.run = ocap_job_eval,
                    .remote_type = OCAP_REQ_EVAL,
                    .text = expression,
                    .text_len = len};
    return run_job(sandbox, &job, out, out_len);
}

objcap_status
objcap_call(objcap_sandbox sandbox, const char *name, size_t name_len,
            const uint8_t *args, size_t args_len, uint8_t **out,
            size_t *out_len)
{
    if (!out_ok(out, out_len)) {
        return OBJCAP_ERR_ARGUMENT;
    }
    const char *problem = text_problem(name, name_len, "name is NULL");
    if (problem == NULL && (args == NULL || args_len == 0)) {
        problem = "args must be a MessagePack array";
    }
    if (problem != NULL) {
        return bad_argument(problem, out, out_len);
    }
    ocap_job job = {.run = ocap_job_call,
                    .remote_type = OCAP_REQ_CALL,
                    .text = name,
                    .text_len = name_len,
                    .value = args,
                    .value_len = args_len};
    return run_job(sandbox, &job, out, out_len);
}

/* A NULL buffer with room is refused (objcap.h). */
static objcap_status
check_buffer(const uint8_t *buffer, size_t capacity, uint8_t **out,
             size_t *out_len)
{
    if (buffer != NULL || capacity == 0) {
        return OBJCAP_OK;
    }
    return out_ok(out, out_len) ? bad_argument("buffer is NULL", out, out_len)
                                : OBJCAP_ERR_ARGUMENT;
}

/* The result into the host's buffer when it fits there (objcap.h). */
static objcap_status
into_buffer(objcap_status st, uint8_t *buffer, size_t capacity, uint8_t **out,
            size_t *out_len)
{
    if (buffer != NULL && out != NULL && out_len != NULL && *out != NULL &&
        *out_len <= capacity) {
        memcpy(buffer, *out, *out_len);
        free(*out);
        *out = buffer;
    }
    return st;
}

objcap_status
objcap_eval_into(objcap_sandbox sandbox, const char *expression, size_t len,
                 uint8_t *buffer, size_t capacity, uint8_t **out,
                 size_t *out_len)
{
    objcap_status st = check_buffer(buffer, capacity, out, out_len);
    if (st == OBJCAP_OK) {
        st = objcap_eval(sandbox, expression, len, out, out_len);
    }
    return into_buffer(st, buffer, capacity, out, out_len);
}

objcap_status
objcap_call_into(objcap_sandbox sandbox, const char *name, size_t name_len,
                 const uint8_t *args, size_t args_len, uint8_t *buffer,
                 size_t capacity, uint8_t **out, size_t *out_len)
{
    objcap_status st = check_buffer(buffer, capacity, out, out_len);
    if (st == OBJCAP_OK) {
        st = objcap_call(sandbox, name, name_len, args, args_len, out,
                         out_len);
    }
    return into_buffer(st, buffer, capacity, out, out_len);
}

objcap_status
objcap_set(objcap_sandbox sandbox, const char *name, size_t name_len,
           const uint8_t *value, size_t value_len, uint8_t **out,
           size_t *out_len)
{
    if (!out_ok(out, out_len)) {
        return OBJCAP_ERR_ARGUMENT;
    }
    const char *problem = text_problem(name, name_len, "name is NULL");
    if (problem == NULL && (value == NULL || value_len == 0)) {
        problem = "value must be one MessagePack object";
    }
    if (problem != NULL) {
        return bad_argument(problem, out, out_len);
    }
    ocap_job job = {.run = ocap_job_set,
                    .remote_type = OCAP_REQ_SET,
                    .text = name,
                    .text_len = name_len,
                    .value = value,
                    .value_len = value_len};
    return run_job(sandbox, &job, out, out_len);
}

objcap_status
objcap_get(objcap_sandbox sandbox, const char *name, size_t name_len,
           uint8_t **out, size_t *out_len)
{
    if (!out_ok(out, out_len)) {
        return OBJCAP_ERR_ARGUMENT;
    }
    const char *problem = text_problem(name, name_len, "name is NULL");
    if (problem != NULL) {
        return bad_argument(problem, out, out_len);
    }
    ocap_job job = {.run = ocap_job_get,
                    .remote_type = OCAP_REQ_GET,
                    .text = name,
                    .text_len = name_len};
    return run_job(sandbox, &job, out, out_len);
}

objcap_status
objcap_release(objcap_sandbox sandbox, uint64_t reference)
{
    uint8_t *out = NULL;
    size_t out_len = 0;
    ocap_job job = {.run = ocap_job_release,
                    .remote_type = OCAP_REQ_RELEASE,
                    .reference = reference};
    objcap_status st = run_job(sandbox, &job, &out, &out_len);
    free(out);
    return st;
}

void
objcap_free(void *buffer)
{
    free(buffer);
}

/* Acquires a live sandbox, or fills `out` with why not. */
static ocap_sandbox *
acquire(objcap_sandbox sandbox, uint8_t **out, size_t *out_len,
        objcap_status *st)
{
    ocap_sandbox *sb = ocap_registry_acquire(sandbox);
    if (sb == NULL) {
        *st = ocap_error_plain(OBJCAP_ERR_STATE, "SandboxClosed",
                               "the sandbox is closed or does not exist", out,
                               out_len);
    }
    return sb;
}

objcap_status
objcap_denials(objcap_sandbox sandbox, uint8_t **out, size_t *out_len)
{
    if (!out_ok(out, out_len)) {
        return OBJCAP_ERR_ARGUMENT;
    }
    objcap_status st;
    ocap_sandbox *sb = acquire(sandbox, out, out_len, &st);
    if (sb == NULL) {
        return st;
    }
    if (sb->remote != NULL) {
        ocap_job job = {.remote_type = OCAP_REQ_DENIALS};
        st = ocap_sandbox_run(sb, &job);
        *out = job.out;
        *out_len = job.out_len;
    }
    else {
        st = ocap_denials_report(sb, out, out_len);
    }
    ocap_registry_release(sb);
    return st;
}

objcap_status
objcap_isolation(objcap_sandbox sandbox, uint8_t **out, size_t *out_len)
{
    if (!out_ok(out, out_len)) {
        return OBJCAP_ERR_ARGUMENT;
    }
    objcap_status st;
    ocap_sandbox *sb = acquire(sandbox, out, out_len, &st);
    if (sb == NULL) {
        return st;
    }
    if (sb->remote != NULL) {
        st = ocap_remote_isolation(sb->remote, out, out_len);
    }
    else {
        /* {"mode": "in-process"} */
        static const uint8_t in_process[] = "\x81\xa4mode\xaain-process";
        *out = malloc(sizeof in_process - 1);
        st = *out ? OBJCAP_OK : OBJCAP_ERR_NOMEM;
        if (*out) {
            memcpy(*out, in_process, sizeof in_process - 1);
            *out_len = sizeof in_process - 1;
        }
    }
    ocap_registry_release(sb);
    return st;
}

/* ---- capabilities ---- */

static objcap_status
grant(objcap_sandbox sandbox, ocap_grant_kind kind, const char *name,
      size_t name_len, const void *payload, size_t payload_len,
      uint64_t *granted, uint8_t **out, size_t *out_len)
{
    objcap_status st;
    ocap_sandbox *sb = acquire(sandbox, out, out_len, &st);
    if (sb == NULL) {
        return st;
    }
    st = ocap_grant_add(sb, 0, kind, name, name_len, payload, payload_len,
                        granted, out, out_len);
    ocap_registry_release(sb);
    return st;
}

static const char *
grant_problem(const char *name, size_t name_len, uint64_t *granted)
{
    if (granted == NULL) {
        return "grant must not be NULL";
    }
    *granted = 0;
    const char *problem = text_problem(name, name_len, "name is NULL");
    if (problem == NULL && name_len == 0) {
        problem = "name is empty";
    }
    return problem;
}

objcap_status
objcap_grant_directory(objcap_sandbox sandbox, const char *name,
                       size_t name_len, const char *path, size_t path_len,
                       int access, uint64_t *granted, uint8_t **out,
                       size_t *out_len)
{
    if (!out_ok(out, out_len)) {
        return OBJCAP_ERR_ARGUMENT;
    }
    const char *problem = grant_problem(name, name_len, granted);
    if (problem == NULL) {
        problem = text_problem(path, path_len, "path is NULL");
    }
    if (problem == NULL && (path_len == 0 || path[0] != '/')) {
        problem = "path must be absolute";
    }
    if (problem == NULL && access != OBJCAP_READ_ONLY &&
        access != OBJCAP_READ_WRITE) {
        problem = "access must be OBJCAP_READ_ONLY or OBJCAP_READ_WRITE";
    }
    if (problem != NULL) {
        return bad_argument(problem, out, out_len);
    }
    return grant(sandbox,
                 access == OBJCAP_READ_WRITE ? OCAP_GRANT_DIRECTORY_RW
                                             : OCAP_GRANT_DIRECTORY_RO,
                 name, name_len, path, path_len, granted, out, out_len);
}

objcap_status
objcap_grant_function(objcap_sandbox sandbox, const char *name,
                      size_t name_len, uint64_t function, uint64_t *granted,
                      uint8_t **out, size_t *out_len)
{
    if (!out_ok(out, out_len)) {
        return OBJCAP_ERR_ARGUMENT;
    }
    const char *problem = grant_problem(name, name_len, granted);
    if (problem != NULL) {
        return bad_argument(problem, out, out_len);
    }
    uint8_t number[8];
    for (int i = 0; i < 8; i++) {
        number[i] = (uint8_t)(function >> (8 * i));
    }
    return grant(sandbox, OCAP_GRANT_FUNCTION, name, name_len, number,
                 sizeof number, granted, out, out_len);
}

objcap_status
objcap_grant_value(objcap_sandbox sandbox, const char *name, size_t name_len,
                   const uint8_t *value, size_t value_len, uint64_t *granted,
                   uint8_t **out, size_t *out_len)
{
    if (!out_ok(out, out_len)) {
        return OBJCAP_ERR_ARGUMENT;
    }
    const char *problem = grant_problem(name, name_len, granted);
    if (problem == NULL && (value == NULL || value_len == 0)) {
        problem = "value must be one MessagePack object";
    }
    if (problem != NULL) {
        return bad_argument(problem, out, out_len);
    }
    return grant(sandbox, OCAP_GRANT_VALUE, name, name_len, value, value_len,
                 granted, out, out_len);
}

objcap_status
objcap_revoke(objcap_sandbox sandbox, uint64_t granted)
{
    ocap_sandbox *sb = ocap_registry_acquire(sandbox);
    if (sb == NULL) {
        return OBJCAP_ERR_STATE;
    }
    objcap_status st = ocap_grant_revoke(sb, granted);
    ocap_registry_release(sb);
    return st;
}

objcap_status
objcap_set_host_handler(objcap_sandbox sandbox, objcap_host_fn handler,
                        void *user)
{
    if (handler == NULL) {
        return OBJCAP_ERR_ARGUMENT;
    }
    ocap_sandbox *sb = ocap_registry_acquire(sandbox);
    if (sb == NULL) {
        return OBJCAP_ERR_STATE;
    }
    pthread_mutex_lock(&sb->grants_mu);
    sb->host_fn = handler;
    sb->host_user = user;
    pthread_mutex_unlock(&sb->grants_mu);
    ocap_registry_release(sb);
    return OBJCAP_OK;
}

/* What the worker's confinement needs from the sandbox's options: the
   memory limit (for the address-space rlimit) and the host's source paths
   (which Landlock must let it read).  The caller clears *policy. */
int
ocap_options_for_worker(const uint8_t *options, size_t len,
                        ocap_limits *limits, ocap_policy *policy)
{
    char why[256];
    ocap_worker_spec unused; /* the worker's main thread: 8 MiB of stack */
    memset(policy, 0, sizeof *policy);
    return read_options(options, len, limits, policy, why, sizeof why,
                        &unused) == NULL
        ? 0
        : -1;
}
