/*
 * Granting: the host's act that puts a capability into a sandbox, here
 * or in its worker.  It builds the grant (grants.c), runs the job that
 * makes the object and binds its name on the sandbox's thread, and tells
 * a worker of revocations.  It sits above the capabilities because it
 * needs the sandbox's thread and the worker client.
 */
#include "base/base.h"
#include "values/values.h"
#include "capabilities/capabilities.h"
#include "isolation/isolation.h"
#include "core/core.h"
#include "isolation/protocol.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int
is_beneath(const char *path, const char *dir)
{
    size_t n = strlen(dir);
    while (n > 1 && dir[n - 1] == '/') {
        n--;
    }
    return strncmp(path, dir, n) == 0 &&
        (path[n] == '\0' || path[n] == '/' || n == 1);
}

/* In a worker, Landlock allows exactly the directories named at creation:
   one outside them is refused now rather than failing on every use. */
static const char *
worker_may_grant(ocap_sandbox *sb, const char *path, int writable)
{
    if (!ocap_worker_side) {
        return NULL;
    }
    /* In the worker's own file system (worker/namespaces.c) nothing but
       those directories exists. */
    char *real = realpath(path, NULL);
    int covered = 0;
    for (int pass = 0; pass < 2 && !covered; pass++) {
        const ocap_string_list *list = pass == 0 ? &sb->policy.write_dirs
                                                 : &sb->policy.read_dirs;
        if (pass == 1 && writable) {
            break;
        }
        for (size_t i = 0; real != NULL && i < list->count && !covered; i++) {
            char *allowed = realpath(list->items[i], NULL);
            covered = allowed != NULL && is_beneath(real, allowed);
            free(allowed);
        }
    }
    free(real);
    return covered ? NULL
                   : "in process mode a directory can be granted only if it "
                     "was named at creation (read_dirs/write_dirs): the "
                     "worker's Landlock rules are fixed when it starts";
}

/* Runs on the engine thread: makes the object and binds the name. */
static objcap_status
grant_job(ocap_sandbox *sb, ocap_job *job)
{
    ocap_grant *g = job->grant;
    PyObject *name = PyUnicode_DecodeUTF8(job->text, (Py_ssize_t)job->text_len,
                                          "strict");
    if (name == NULL) {
        return ocap_error_from_python(sb, &job->out, &job->out_len);
    }
    if (!PyUnicode_IsIdentifier(name) ||
        (job->text_len >= 2 && job->text[0] == '_' && job->text[1] == '_')) {
        Py_DECREF(name);
        return ocap_error_plain(OBJCAP_ERR_ARGUMENT, "ArgumentError",
                                "a grant's name must be a Python identifier "
                                "not starting with two underscores",
                                &job->out, &job->out_len);
    }
    PyObject *object = NULL;
    if (ocap_cap_types_ready(sb) == 0) {
        switch (g->kind) {
        case OCAP_GRANT_DIRECTORY_RO:
        case OCAP_GRANT_DIRECTORY_RW:
            object = ocap_directory_new(sb, g);
            break;
        case OCAP_GRANT_FUNCTION:
            object = ocap_host_function_new(sb, g);
            break;
        case OCAP_GRANT_VALUE: {
            ocap_value_error err;
            objcap_status st = ocap_value_from_buffer(
                sb, job->value, job->value_len, &object, &err);
            if (st == OBJCAP_ERR_VALUE) {
                Py_DECREF(name);
                return ocap_error_plain(st, "ValueConversionError",
                                        err.message, &job->out, &job->out_len);
            }
            if (object != NULL) {
                g->value = Py_NewRef(object);
            }
            break;
        }
        }
    }
    if (object == NULL || PyDict_SetItem(sb->globals, name, object) < 0) {
        Py_XDECREF(object);
        Py_DECREF(name);
        return ocap_error_from_python(sb, &job->out, &job->out_len);
    }
    Py_DECREF(object);
    Py_DECREF(name);
    return OBJCAP_OK;
}

static objcap_status
grant_remote(ocap_sandbox *sb, ocap_grant *g, const char *name,
             size_t name_len, const void *payload, size_t payload_len,
             uint8_t **out, size_t *out_len)
{
    uint8_t id[8], kind = (uint8_t)g->kind;
    for (int i = 0; i < 8; i++) {
        id[i] = (uint8_t)(g->id >> (8 * i));
    }
    /* A worker's function grant is served back here by grant id. */
    const void *body = g->kind == OCAP_GRANT_FUNCTION ? id : payload;
    size_t body_len = g->kind == OCAP_GRANT_FUNCTION ? 8 : payload_len;
    ocap_field fields[4] = {
        {id, 8}, {&kind, 1}, {name, name_len}, {body, body_len}};
    ocap_job job = {
        .remote_type = OCAP_REQ_GRANT, .fields = fields, .field_count = 4};
    objcap_status st = ocap_sandbox_run(sb, &job);
    *out = job.out;
    *out_len = job.out_len;
    return st;
}

/*
 * Grants one capability.  id 0: a new id (the host's table); else the id
 * the host chose (a worker mirrors its host's table).  payload: the
 * directory's path, the function's number (8 bytes, little-endian) or the
 * value (MessagePack).
 */
objcap_status
ocap_grant_add(ocap_sandbox *sb, uint64_t id, ocap_grant_kind kind,
               const char *name, size_t name_len, const void *payload,
               size_t payload_len, uint64_t *granted, uint8_t **out,
               size_t *out_len)
{
    if (id == 0) {
        pthread_mutex_lock(&sb->grants_mu);
        id = sb->next_grant++;
        pthread_mutex_unlock(&sb->grants_mu);
    }
    ocap_grant *g = ocap_grant_new(id, kind, name, name_len);
    if (g == NULL) {
        return ocap_error_plain(OBJCAP_ERR_NOMEM, "MemoryError",
                                "out of memory", out, out_len);
    }
    if (kind == OCAP_GRANT_FUNCTION && payload_len == 8) {
        for (int i = 7; i >= 0; i--) {
            g->function = (g->function << 8) | ((const uint8_t *)payload)[i];
        }
    }
    objcap_status st;
    if (sb->remote != NULL) {
        st = grant_remote(sb, g, name, name_len, payload, payload_len, out,
                          out_len);
    }
    else {
        int is_dir = kind == OCAP_GRANT_DIRECTORY_RO ||
            kind == OCAP_GRANT_DIRECTORY_RW;
        const char *problem = NULL;
        if (is_dir) {
            char *path = strndup(payload, payload_len);
            problem = path == NULL
                ? "out of memory"
                : worker_may_grant(sb, path, kind == OCAP_GRANT_DIRECTORY_RW);
            if (problem == NULL) {
                g->dir.fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
                if (g->dir.fd < 0) {
                    problem = errno == ENOTDIR ? "the path is not a directory"
                                               : "the directory cannot be "
                                                 "opened";
                }
            }
            free(path);
        }
        if (problem != NULL) {
            ocap_grant_unref(g);
            return ocap_error_plain(OBJCAP_ERR_ARGUMENT, "ArgumentError",
                                    problem, out, out_len);
        }
        ocap_job job = {.run = grant_job,
                        .text = name,
                        .text_len = name_len,
                        .value = payload,
                        .value_len = payload_len,
                        .grant = g};
        st = ocap_sandbox_run(sb, &job);
        *out = job.out;
        *out_len = job.out_len;
    }
    if (st != OBJCAP_OK) {
        ocap_grant_unref(g);
        return st;
    }
    st = ocap_grant_table_add(sb, g);
    if (st != OBJCAP_OK) {
        return ocap_error_plain(st, "MemoryError", "out of memory", out,
                                out_len);
    }
    *granted = id;
    return OBJCAP_OK;
}

objcap_status
ocap_grant_revoke(ocap_sandbox *sb, uint64_t id)
{
    objcap_status st = ocap_grant_table_revoke(sb, id);
    if (st == OBJCAP_OK && sb->remote != NULL) {
        ocap_remote_revoke(sb->remote, id);
    }
    return st;
}
