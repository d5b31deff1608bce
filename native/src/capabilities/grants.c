/*
 * Layer 4, capabilities (paper 5.3): the sandbox's table of grants.
 * Authority enters a sandbox only here: the host names an object (a
 * directory, a host function, a value), the sandbox gets it under a global
 * name, and the host can take it back at any time, from any thread.
 *
 * Revocation flips state under the grant's own mutex and closes the
 * descriptors that no system call is using; it never waits for the GIL or
 * for the running call, so a host can revoke while a script loops.
 */
#include "base/base.h"
#include "values/values.h"
#include "capabilities/capabilities.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void
ocap_grants_init(ocap_sandbox *sb)
{
    pthread_mutex_init(&sb->grants_mu, NULL);
    sb->next_grant = 1;
}

ocap_grant *
ocap_grant_ref(ocap_grant *g)
{
    atomic_fetch_add(&g->refs, 1);
    return g;
}

void
ocap_grant_unref(ocap_grant *g)
{
    if (g == NULL || atomic_fetch_sub(&g->refs, 1) != 1) {
        return;
    }
    /* Every file holds a reference: none is open any more. */
    if (g->dir.fd >= 0) {
        close(g->dir.fd);
    }
    pthread_mutex_destroy(&g->mu);
    pthread_cond_destroy(&g->idle);
    free(g->name);
    free(g);
}

ocap_grant *
ocap_grant_new(uint64_t id, ocap_grant_kind kind, const char *name,
               size_t name_len)
{
    ocap_grant *g = calloc(1, sizeof *g);
    if (g == NULL || (g->name = malloc(name_len + 1)) == NULL) {
        free(g);
        return NULL;
    }
    memcpy(g->name, name, name_len);
    g->name[name_len] = '\0';
    g->id = id;
    g->kind = kind;
    g->dir.fd = -1;
    atomic_init(&g->refs, 1);
    pthread_mutex_init(&g->mu, NULL);
    pthread_cond_init(&g->idle, NULL);
    return g;
}

/* Takes over the caller's reference. */
objcap_status
ocap_grant_table_add(ocap_sandbox *sb, ocap_grant *g)
{
    pthread_mutex_lock(&sb->grants_mu);
    if (sb->grant_count == sb->grant_capacity) {
        size_t capacity = sb->grant_capacity ? sb->grant_capacity * 2 : 8;
        ocap_grant **grown = realloc(sb->grants, capacity * sizeof *grown);
        if (grown == NULL) {
            pthread_mutex_unlock(&sb->grants_mu);
            ocap_grant_unref(g);
            return OBJCAP_ERR_NOMEM;
        }
        sb->grants = grown;
        sb->grant_capacity = capacity;
    }
    sb->grants[sb->grant_count++] = g;
    pthread_mutex_unlock(&sb->grants_mu);
    return OBJCAP_OK;
}

/* The grant with this id, with a reference for the caller, or NULL. */
static ocap_grant *
table_find(ocap_sandbox *sb, uint64_t id)
{
    ocap_grant *found = NULL;
    pthread_mutex_lock(&sb->grants_mu);
    for (size_t i = 0; i < sb->grant_count; i++) {
        if (sb->grants[i]->id == id) {
            found = ocap_grant_ref(sb->grants[i]);
            break;
        }
    }
    pthread_mutex_unlock(&sb->grants_mu);
    return found;
}

/* ---- descriptors lent to Python code ---- */

/* With g->mu held: whether a system call still holds one of the grant's
   descriptors. */
static int
in_use(ocap_grant *g)
{
    if (g->dir.users > 0) {
        return 1;
    }
    for (ocap_lent_fd *f = g->files; f != NULL; f = f->next) {
        if (f->users > 0) {
            return 1;
        }
    }
    return 0;
}

/* With g->mu held. */
static void
close_now(ocap_grant *g, ocap_lent_fd *lent)
{
    close(lent->fd);
    lent->fd = -1;
    if (lent != &g->dir) {
        if (lent->prev) {
            lent->prev->next = lent->next;
        }
        else if (g->files == lent) {
            g->files = lent->next;
        }
        if (lent->next) {
            lent->next->prev = lent->prev;
        }
        lent->next = lent->prev = NULL;
    }
}

/* Registers a file opened through the grant; -1 if it was revoked in the
   meantime (the descriptor is then closed). */
int
ocap_lent_fd_register(ocap_grant *g, ocap_lent_fd *lent, int fd)
{
    pthread_mutex_lock(&g->mu);
    lent->fd = fd;
    lent->users = lent->closing = lent->revoked = 0;
    lent->prev = NULL;
    lent->next = NULL;
    if (g->revoked) {
        close(fd);
        lent->fd = -1;
        lent->revoked = 1;
        pthread_mutex_unlock(&g->mu);
        return -1;
    }
    lent->next = g->files;
    if (g->files) {
        g->files->prev = lent;
    }
    g->files = lent;
    pthread_mutex_unlock(&g->mu);
    return 0;
}

/* The descriptor to use for one system call, or -1 if it is closed. */
int
ocap_lent_fd_use(ocap_grant *g, ocap_lent_fd *lent)
{
    pthread_mutex_lock(&g->mu);
    int fd = -1;
    if (lent->fd >= 0 && !lent->closing) {
        lent->users++;
        fd = lent->fd;
    }
    pthread_mutex_unlock(&g->mu);
    return fd;
}

void
ocap_lent_fd_done(ocap_grant *g, ocap_lent_fd *lent)
{
    pthread_mutex_lock(&g->mu);
    if (--lent->users == 0) {
        if (lent->closing && lent->fd >= 0) {
            close_now(g, lent);
        }
        pthread_cond_broadcast(&g->idle);
    }
    pthread_mutex_unlock(&g->mu);
}

void
ocap_lent_fd_close(ocap_grant *g, ocap_lent_fd *lent)
{
    pthread_mutex_lock(&g->mu);
    if (lent->fd >= 0 && !lent->closing) {
        lent->closing = 1;
        if (lent->users == 0) {
            close_now(g, lent);
        }
    }
    pthread_mutex_unlock(&g->mu);
}

static void
revoke_lent(ocap_grant *g, ocap_lent_fd *lent)
{
    lent->revoked = 1;
    if (lent->fd >= 0 && !lent->closing) {
        lent->closing = 1;
        if (lent->users == 0) {
            close_now(g, lent);
        }
    }
}

int
ocap_grant_is_revoked(ocap_grant *g)
{
    pthread_mutex_lock(&g->mu);
    int revoked = g->revoked;
    pthread_mutex_unlock(&g->mu);
    return revoked;
}

PyObject *
ocap_grant_revoked_error(ocap_grant *g)
{
    PyErr_Format(PyExc_PermissionError, "the grant '%s' was revoked", g->name);
    return NULL;
}

/* ---- revoking ---- */

/* This process's side of a revocation (granting.c tells a worker). */
objcap_status
ocap_grant_table_revoke(ocap_sandbox *sb, uint64_t id)
{
    ocap_grant *g = table_find(sb, id);
    if (g == NULL) {
        return OBJCAP_ERR_ARGUMENT;
    }
    pthread_mutex_lock(&g->mu);
    g->revoked = 1;
    if (g->dir.fd >= 0) {
        revoke_lent(g, &g->dir);
    }
    for (ocap_lent_fd *f = g->files, *next; f != NULL; f = next) {
        next = f->next;
        revoke_lent(g, f);
    }
    /* A barrier: a read, write or change already in the kernel finishes
       before revoke returns, and nothing starts after it. */
    while (in_use(g)) {
        pthread_cond_wait(&g->idle, &g->mu);
    }
    pthread_mutex_unlock(&g->mu);
    if (g->kind == OCAP_GRANT_VALUE) {
        atomic_store(&sb->values_revoked, 1);
    }
    ocap_grant_unref(g);
    return OBJCAP_OK;
}

/* Engine thread, GIL held, before a job: a revoked value leaves the
   globals if the name still holds it. */
void
ocap_grants_remove_revoked_values(ocap_sandbox *sb)
{
    if (!atomic_exchange(&sb->values_revoked, 0)) {
        return;
    }
    pthread_mutex_lock(&sb->grants_mu);
    size_t n = sb->grant_count;
    ocap_grant **copy = malloc((n ? n : 1) * sizeof *copy);
    for (size_t i = 0; copy != NULL && i < n; i++) {
        copy[i] = ocap_grant_ref(sb->grants[i]);
    }
    pthread_mutex_unlock(&sb->grants_mu);
    if (copy == NULL) {
        atomic_store(&sb->values_revoked, 1); /* try again next time */
        return;
    }
    for (size_t i = 0; i < n; i++) {
        ocap_grant *g = copy[i];
        if (g->kind == OCAP_GRANT_VALUE && g->value != NULL &&
            ocap_grant_is_revoked(g)) {
            PyObject *bound = PyDict_GetItemString(sb->globals, g->name);
            if (bound == g->value &&
                PyDict_DelItemString(sb->globals, g->name) < 0) {
                PyErr_Clear();
            }
            Py_CLEAR(g->value);
        }
        ocap_grant_unref(g);
    }
    free(copy);
}

/* ---- host functions ---- */

objcap_status
objcap_reply_set(objcap_reply *reply, const uint8_t *data, size_t len)
{
    if (reply == NULL || (data == NULL && len != 0)) {
        return OBJCAP_ERR_ARGUMENT;
    }
    uint8_t *copy = malloc(len ? len : 1);
    if (copy == NULL) {
        return OBJCAP_ERR_NOMEM;
    }
    if (len) {
        memcpy(copy, data, len);
    }
    free(reply->data);
    reply->data = copy;
    reply->len = len;
    return OBJCAP_OK;
}

typedef struct {
    objcap_host_fn fn;
    void *user;
    uint64_t function;
    const uint8_t *args;
    size_t len;
    objcap_reply reply;
    objcap_status status;
} host_call;

/* The host's handler, on the thread's own stack: it may be Java code. */
static void
call_host(void *arg)
{
    host_call *c = arg;
    c->status = c->fn(c->user, c->function, c->args, c->len, &c->reply);
}

/*
 * Calls the host for function grant `id`, without the GIL: from a
 * HostFunction object in this process, or for a worker's request.  The
 * host's table decides, so a subverted worker cannot call a function that
 * was revoked or never granted.
 */
objcap_status
ocap_grant_serve_host_call(ocap_sandbox *sb, uint64_t id, const uint8_t *args,
                           size_t len, uint8_t **out, size_t *out_len)
{
    *out = NULL;
    *out_len = 0;
    ocap_grant *g = table_find(sb, id);
    const char *problem = NULL;
    if (g == NULL || g->kind != OCAP_GRANT_FUNCTION) {
        problem = "no such host function";
    }
    else if (ocap_grant_is_revoked(g)) {
        problem = "the host function was revoked";
    }
    pthread_mutex_lock(&sb->grants_mu);
    objcap_host_fn fn = sb->host_fn;
    void *user = sb->host_user;
    pthread_mutex_unlock(&sb->grants_mu);
    if (problem == NULL && fn == NULL) {
        problem = "the host set no handler for host functions";
    }
    if (problem != NULL) {
        ocap_grant_unref(g);
        return ocap_error_plain(OBJCAP_ERR_STATE, "PermissionError", problem,
                                out, out_len);
    }
    host_call call = {fn,  user,      g->function,       args,
                      len, {NULL, 0}, OBJCAP_ERR_RUNTIME};
    ocap_stack_run_home(call_host, &call);
    objcap_reply reply = call.reply;
    objcap_status st = call.status;
    ocap_grant_unref(g);
    if (st != OBJCAP_OK && st != OBJCAP_ERR_PYTHON && st != OBJCAP_ERR_STATE) {
        free(reply.data);
        return ocap_error_plain(OBJCAP_ERR_PYTHON, "HostError",
                                "the host function failed", out, out_len);
    }
    if (reply.data == NULL) {
        /* No result: None (MessagePack nil). */
        reply.data = malloc(1);
        if (reply.data == NULL) {
            return OBJCAP_ERR_NOMEM;
        }
        reply.data[0] = 0xc0;
        reply.len = 1;
    }
    *out = reply.data;
    *out_len = reply.len;
    return st;
}

/* ---- ending ---- */

/* Engine thread, GIL held, first thing while the interpreter ends: every
   grant is revoked, so that finalizers which still run sandboxed code
   (__del__, a generator's finally) get PermissionError from a capability
   rather than reach state that is being torn down. */
void
ocap_grants_clear_python(ocap_sandbox *sb)
{
    pthread_mutex_lock(&sb->grants_mu);
    size_t n = sb->grant_count;
    pthread_mutex_unlock(&sb->grants_mu);
    for (size_t i = 0; i < n; i++) {
        ocap_grant_table_revoke(sb, sb->grants[i]->id);
        Py_CLEAR(sb->grants[i]->value);
    }
}

void
ocap_grants_free(ocap_sandbox *sb)
{
    for (size_t i = 0; i < sb->grant_count; i++) {
        ocap_grant_unref(sb->grants[i]);
    }
    free(sb->grants);
    sb->grants = NULL;
    sb->grant_count = sb->grant_capacity = 0;
    pthread_mutex_destroy(&sb->grants_mu);
}
