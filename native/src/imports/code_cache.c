/*
 * A per-process cache of the code objcap compiled for stdlib and host
 * modules.  Every sandbox imports its modules from source (objcap never
 * reads .pyc files, which whoever can write the cache directory could
 * forge), so the first `import json` in a sandbox cost ~100 ms of
 * compiling.  The cache keeps what objcap's own compile produced, as
 * marshal data in C memory that no Python code reaches, keyed by the
 * file's path, device, inode, size and modification time; each sandbox
 * unmarshals code objects of its own from it.
 */
#include "base/base.h"
#include "imports/imports.h"

#include <marshal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CACHED (64u << 20) /* bytes of marshal data in all */

typedef struct cached_code {
    char *path;
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtime;
    char *data;
    size_t len;
    struct cached_code *next;
} cached_code;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static cached_code *entries;
static size_t cached_bytes;

static int
same_file(const cached_code *c, const char *path, const struct stat *st)
{
    return c->dev == st->st_dev && c->ino == st->st_ino &&
        c->size == st->st_size && c->mtime.tv_sec == st->st_mtim.tv_sec &&
        c->mtime.tv_nsec == st->st_mtim.tv_nsec && strcmp(c->path, path) == 0;
}

/*
 * The zygote's entries live on pages of their own, never freed: its
 * workers share them until they exit.  On the heap, a worker's first
 * malloc into a page next to them copied that page, and the cache cost a
 * worker 1.2 MiB of PSS instead of its share of 4.5 MiB.
 */
#define ARENA_CHUNK (1u << 20)
static char *arena_next, *arena_end;

static void *
arena_alloc(size_t n)
{
    n = (n + 15) & ~(size_t)15;
    if (arena_next == NULL || (size_t)(arena_end - arena_next) < n) {
        size_t size = n > ARENA_CHUNK ? n : ARENA_CHUNK;
        void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) {
            return NULL;
        }
        arena_next = p;
        arena_end = arena_next + size;
    }
    void *p = arena_next;
    arena_next += n;
    return p;
}

/* An entry of `len` bytes of data for `path`: from the arena in the
   zygote, else from the heap (then the caller frees it on failure). */
static cached_code *
new_entry(const char *path, size_t len)
{
    if (ocap_zygote_warming) {
        size_t path_len = strlen(path) + 1;
        cached_code *c = arena_alloc(sizeof *c + path_len + len);
        if (c != NULL) {
            memset(c, 0, sizeof *c);
            c->path = (char *)(c + 1);
            memcpy(c->path, path, path_len);
            c->data = c->path + path_len;
        }
        return c;
    }
    cached_code *c = calloc(1, sizeof *c);
    if (c != NULL) {
        c->path = strdup(path);
        c->data = malloc(len ? len : 1);
    }
    if (c != NULL && (c->path == NULL || c->data == NULL)) {
        free(c->path);
        free(c->data);
        free(c);
        c = NULL;
    }
    return c;
}

static void
drop_entry(cached_code *c)
{
    if (!ocap_zygote_warming) {
        free(c->path);
        free(c->data);
        free(c);
    }
}

/* A new code object for the file as it is now, or NULL (no error set). */
PyObject *
ocap_code_cache_get(const char *path, const struct stat *st)
{
    char *data = NULL;
    size_t len = 0;
    pthread_mutex_lock(&mu);
    for (cached_code *c = entries; c != NULL; c = c->next) {
        if (same_file(c, path, st)) {
            data = malloc(c->len);
            if (data != NULL) {
                memcpy(data, c->data, c->len);
                len = c->len;
            }
            break;
        }
    }
    pthread_mutex_unlock(&mu);
    if (data == NULL) {
        return NULL;
    }
    /* objcap's own use of marshal: the audit hook, which refuses marshal
       to sandboxed code, lets this one event through for these bytes. */
    ocap_trust_pass outer = ocap_trust_expect_bytes("marshal.loads", data,
                                                    len);
    PyObject *code = PyMarshal_ReadObjectFromString(data, (Py_ssize_t)len);
    ocap_trust_end(outer);
    free(data);
    if (code == NULL || !PyCode_Check(code)) {
        Py_XDECREF(code);
        PyErr_Clear();
        return NULL;
    }
    return code;
}

/* Remembers the code compiled from the file as stat saw it. */
void
ocap_code_cache_put(const char *path, const struct stat *st, PyObject *code)
{
    if (ocap_worker_side && !ocap_zygote_warming) {
        /* A worker serves one sandbox: nobody would reuse it.  Its
           zygote's cache is inherited by every worker forked from it. */
        return;
    }
    ocap_trust_pass outer = ocap_trust_expect_dump(code);
    PyObject *bytes = PyMarshal_WriteObjectToString(code, Py_MARSHAL_VERSION);
    ocap_trust_end(outer);
    if (bytes == NULL) {
        PyErr_Clear();
        return;
    }
    size_t len = (size_t)PyBytes_GET_SIZE(bytes);
    cached_code *c = new_entry(path, len);
    if (c == NULL) {
        Py_DECREF(bytes);
        return;
    }
    memcpy(c->data, PyBytes_AS_STRING(bytes), len);
    Py_DECREF(bytes);
    c->len = len;
    c->dev = st->st_dev;
    c->ino = st->st_ino;
    c->size = st->st_size;
    c->mtime = st->st_mtim;
    pthread_mutex_lock(&mu);
    if (cached_bytes + len > MAX_CACHED) {
        pthread_mutex_unlock(&mu); /* full: compile each time from here on */
        drop_entry(c);
        return;
    }
    c->next = entries;
    entries = c;
    cached_bytes += len;
    pthread_mutex_unlock(&mu);
}
