/*
 * objcap.h - the whole interface of objcap's native side.
 *
 * objcap runs untrusted Python in sandboxes, each its own CPython
 * (sub-)interpreter, and hands the host only plain values.  A C or C++
 * host uses this header directly; the Java API binds it with JNA.
 *
 * Conventions
 *  - Every function returns an objcap_status and never aborts or exits the
 *    host.  Every pointer argument is checked; lengths are explicit and text
 *    is UTF-8 (NUL bytes and invalid UTF-8 in source text are rejected).
 *  - Sandboxes are named by opaque 64-bit handles, never by pointers, so a
 *    stale or forged handle is refused (OBJCAP_ERR_STATE), not dereferenced.
 *  - Values cross as MessagePack byte buffers (see "Value format").  Buffers
 *    returned through `out`/`out_len` are owned by the caller and released
 *    with objcap_free().  On any status but OBJCAP_OK, `out` holds an error
 *    description instead (see "Error format"), or NULL if none could be made.
 *  - Any thread may call any function.  Calls to one sandbox are
 *    serialized.  A call runs on the calling thread if its stack has room
 *    for the sandbox's recursion limit (16 MiB plus 512 KiB at the default
 *    1000; on CPython 3.14, which checks the real stack, 512 KiB), which
 *    saves a thread hand-off; otherwise on a thread the sandbox owns, with
 *    such a stack.  The calling thread's PyGILState state is left as it
 *    was.
 *
 * Value format (MessagePack)
 *   nil, bool, int (64-bit), float64, str (UTF-8; lone surrogates are
 *   encoded as their 3-byte form, "WTF-8"), bin (bytes), array (list),
 *   map (dict, in insertion order), and extension types:
 *     OBJCAP_EXT_BIGINT     signed big-endian two's complement integer
 *     OBJCAP_EXT_TUPLE      payload: one MessagePack array
 *     OBJCAP_EXT_SET        payload: one MessagePack array
 *     OBJCAP_EXT_FROZENSET  payload: one MessagePack array
 *     OBJCAP_EXT_REFERENCE  payload: MessagePack array [handle (uint),
 *                           type name (str)]: an object that is not a plain
 *                           value, usable only as an argument to the same
 *                           sandbox; release it with objcap_release().
 *
 *   Containers nest at most OBJCAP_MAX_DEPTH levels deep in either
 *   direction (MessagePack-c's decoder allows 32); deeper values are refused
 *   with OBJCAP_ERR_VALUE.
 *
 * Error format (MessagePack map, every key optional but "status")
 *   "status": int, "type": str (e.g. "ZeroDivisionError"), "message": str,
 *   "traceback": array of [file (str), line (int), function (str),
 *                          source line (str or nil)],
 *   "syntax": [file (str), line (int), column (int), text (str or nil)],
 *   "closed": true when the sandbox can no longer be used (its worker died
 *             or was killed); the host should destroy it
 */
#ifndef OBJCAP_H
#define OBJCAP_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define OBJCAP_API __attribute__((visibility("default")))
#else
#define OBJCAP_API
#endif

typedef enum objcap_status {
    OBJCAP_OK = 0,
    OBJCAP_ERR_ARGUMENT = 1, /* a bad argument: NULL, bad UTF-8, NUL byte */
    OBJCAP_ERR_STATE = 2,    /* unknown/closed sandbox, re-entrant call */
    OBJCAP_ERR_PYTHON = 3,   /* the sandboxed code raised */
    OBJCAP_ERR_VALUE = 4,    /* a value could not be converted */
    OBJCAP_ERR_LIMIT = 5,    /* a limit was hit (time, memory, ...) */
    OBJCAP_ERR_CRASHED = 6,  /* the sandbox died; it is closed */
    OBJCAP_ERR_RUNTIME = 7,  /* CPython could not be started or used */
    OBJCAP_ERR_NOMEM = 8     /* the host ran out of memory */
} objcap_status;

#define OBJCAP_MAX_DEPTH 32

enum objcap_ext_type {
    OBJCAP_EXT_BIGINT = 1,
    OBJCAP_EXT_TUPLE = 2,
    OBJCAP_EXT_SET = 3,
    OBJCAP_EXT_FROZENSET = 4,
    OBJCAP_EXT_REFERENCE = 5
};

enum objcap_stream { OBJCAP_STDOUT = 1, OBJCAP_STDERR = 2 };

/* Kinds of module, each whitelisted separately (paper 5.5). */
enum objcap_module_kind {
    OBJCAP_MODULE_NOT_FOUND = 0,
    OBJCAP_MODULE_BUILTIN = 1,
    OBJCAP_MODULE_FROZEN = 2,
    OBJCAP_MODULE_EXTENSION = 3,
    OBJCAP_MODULE_SOURCE = 4
};

typedef uint64_t objcap_sandbox;

/*
 * Receives what sandboxed code writes to stdout/stderr, as UTF-8, while it
 * runs, on the thread running the call (the caller's own thread when its
 * stack has room for the recursion limit, else the sandbox's thread).  It
 * must not call into the same
 * sandbox (such a call is refused with OBJCAP_ERR_STATE).
 */
typedef void (*objcap_output_fn)(void *user, int stream, const char *data,
                                 size_t len);

/* The library's version, e.g. "0.1.0 (CPython 3.11.2; cpython-patches:
   none)"; never NULL. */
OBJCAP_API const char *objcap_version(void);

/*
 * Starts CPython once per process; later calls return the first result.
 * stdlib_dir and dynload_dir: both NULL for the paths of the CPython objcap
 * was built against, or both the absolute paths of the standard library
 * and of its extension modules (lib-dynload) of the libpython this process
 * loaded, a copy of the same CPython version.
 */
OBJCAP_API objcap_status objcap_runtime_start(const char *stdlib_dir,
                                              const char *dynload_dir,
                                              uint8_t **out, size_t *out_len);

/*
 * Creates a sandbox.  options: a MessagePack map (may be NULL/0 for the
 * defaults); unknown keys are refused.  Keys:
 *   "recursion_limit" int 50..100000 (default 1000)
 *   "timeout_ms"      int, wall clock per call, 0 = none (default)
 *   "cpu_ms"          int, CPU time per call, 0 = none (default)
 *   "max_output"      int, bytes of stdout + stderr per call; past it the
 *                     output is cut and the call ends; 0 = none (default)
 *   "memory_limit"    int, bytes the sandbox may hold, 0 = none (default);
 *                     at least about 1 MiB, or creation itself fails
 *   "max_result"      int, bytes one value copied out of the sandbox may
 *                     take encoded (a result, a global, a host function's
 *                     arguments), 0 = none (default; the memory limit, and
 *                     1 GiB, still bound it); a worker's frames are refused
 *                     past it before the host allocates them
 *   A call that runs into a limit returns OBJCAP_ERR_LIMIT with "type"
 *   TIME, CPU, MEMORY, OUTPUT or RESULT; the sandbox stays usable unless
 *   the error also says "closed".
 *   "allow_builtin", "allow_frozen", "allow_extension", "allow_source"
 *                     arrays of module names a script may import, beyond
 *                     the default, each only as that kind of module
 *   "source_paths"    array of directories of the host's pure-Python modules
 *   "worker"          path of objcap-worker: run the interpreter in a
 *                     confined process of its own (see objcap_isolation),
 *                     forked from a zygote that started CPython once (one
 *                     per worker binary and CPython, alive as long as the
 *                     host; OBJCAP_ZYGOTE=0 in the environment turns it off)
 *   "fresh_worker"    with "worker": true spawns the worker instead, so
 *                     that its address-space layout, stack canary and
 *                     string-hash secret are its own, not shared with the
 *                     other workers of its zygote (about 15 ms more)
 *   "worker_python"   with "worker": an array of three absolute paths, the
 *                     directory of the worker's libpython, its standard
 *                     library and its lib-dynload; without it the worker
 *                     uses the CPython it was built against
 *   "allow_dangerous" array of module names (sys, posix, ...) that the host
 *                     accepts giving away; any such name in an allow_* list
 *                     must be here too, or creation fails
 *   "read_dirs", "write_dirs"
 *                     arrays of directories that may be granted later,
 *                     read-only or read-write (objcap_grant_directory).  A
 *                     worker's Landlock rules allow exactly these, so in
 *                     process mode a directory outside them cannot be
 *                     granted; in-process they are not needed.
 * on_output may be NULL (output is discarded).
 */
OBJCAP_API objcap_status objcap_sandbox_create(
    const uint8_t *options, size_t options_len, objcap_output_fn on_output,
    void *user, objcap_sandbox *sandbox, uint8_t **out, size_t *out_len);

/* Destroys a sandbox after its running call (if any) ends. */
OBJCAP_API objcap_status objcap_sandbox_destroy(objcap_sandbox sandbox);

/* Runs source as a module body in the sandbox's __main__. */
OBJCAP_API objcap_status objcap_exec(objcap_sandbox sandbox,
                                     const char *source, size_t source_len,
                                     const char *filename, size_t filename_len,
                                     uint8_t **out, size_t *out_len);

/* Evaluates one expression; `out` receives its value. */
OBJCAP_API objcap_status objcap_eval(objcap_sandbox sandbox,
                                     const char *expression, size_t len,
                                     uint8_t **out, size_t *out_len);

/* Calls the global `name` with the arguments in `args` (an array). */
OBJCAP_API objcap_status objcap_call(objcap_sandbox sandbox, const char *name,
                                     size_t name_len, const uint8_t *args,
                                     size_t args_len, uint8_t **out,
                                     size_t *out_len);

/* objcap_eval and objcap_call for hosts that call often: a result or error
   of at most `capacity` bytes is copied into the host's `buffer` and *out
   is then `buffer` itself, not to be freed; a larger one is returned as by
   objcap_eval/objcap_call.  `buffer` may be where the inputs were: it is
   written only after they were used. */
OBJCAP_API objcap_status objcap_eval_into(objcap_sandbox sandbox,
                                          const char *expression, size_t len,
                                          uint8_t *buffer, size_t capacity,
                                          uint8_t **out, size_t *out_len);
OBJCAP_API objcap_status objcap_call_into(objcap_sandbox sandbox,
                                          const char *name, size_t name_len,
                                          const uint8_t *args, size_t args_len,
                                          uint8_t *buffer, size_t capacity,
                                          uint8_t **out, size_t *out_len);

/* Sets the global `name` to a value. */
OBJCAP_API objcap_status objcap_set(objcap_sandbox sandbox, const char *name,
                                    size_t name_len, const uint8_t *value,
                                    size_t value_len, uint8_t **out,
                                    size_t *out_len);

/* Reads the global `name`; a missing one raises NameError. */
OBJCAP_API objcap_status objcap_get(objcap_sandbox sandbox, const char *name,
                                    size_t name_len, uint8_t **out,
                                    size_t *out_len);

/*
 * What the sandbox was refused so far: a MessagePack map {"count": int,
 * "recent": [event, ...]} with up to 32 of the latest, oldest first.
 */
OBJCAP_API objcap_status objcap_denials(objcap_sandbox sandbox, uint8_t **out,
                                        size_t *out_len);

/*
 * How the sandbox is isolated, as a MessagePack map: {"mode": "in-process"},
 * or for a worker {"mode": "process", "pid": int, "seccomp": bool,
 * "landlock": int (ABI version, 0 = none), "no_new_privs": bool,
 * "rlimits": bool}.
 */
OBJCAP_API objcap_status objcap_isolation(objcap_sandbox sandbox,
                                          uint8_t **out, size_t *out_len);

/* Forgets a reference handed out by this sandbox. */
OBJCAP_API objcap_status objcap_release(objcap_sandbox sandbox,
                                        uint64_t reference);

/*
 * Finds what kind of module `name` is on this CPython (an objcap_module_kind
 * in *kind), so that a host can whitelist it by name.  Starts the runtime.
 */
OBJCAP_API objcap_status objcap_module_kind(const char *name, size_t len,
                                            int *kind);

/*
 * ---- Capabilities (paper 5.3) ----
 * Authority enters a sandbox only as an object the host grants under a
 * global name: a directory, a host function, a value.  Each grant is named
 * by a 64-bit id and can be revoked from any thread at any time, also while
 * the sandbox runs; after that every use of the object raises
 * PermissionError, and files opened through a revoked directory are closed.
 * Capability objects are C types with no introspectable state: they cannot
 * be constructed, subclassed, copied or pickled, and reveal neither the
 * host path nor a file descriptor.
 */

enum objcap_access { OBJCAP_READ_ONLY = 0, OBJCAP_READ_WRITE = 1 };

/* Where a host function puts its result (see objcap_host_fn). */
typedef struct objcap_reply objcap_reply;

/*
 * Called when sandboxed code calls a granted host function, on a thread of
 * the running call, without the GIL.  args is a MessagePack array of the
 * positional arguments.  Return OBJCAP_OK with the result (one MessagePack
 * value, nil if none is set) given to objcap_reply_set, or
 * OBJCAP_ERR_PYTHON with an error map {"type": str, "message": str}: the
 * sandbox then sees a HostError carrying both.  The function must not call
 * into the same sandbox: such a call is refused with OBJCAP_ERR_STATE.
 */
typedef objcap_status (*objcap_host_fn)(void *user, uint64_t function,
                                        const uint8_t *args, size_t args_len,
                                        objcap_reply *reply);

/* Copies `data` into the reply of a running host function. */
OBJCAP_API objcap_status objcap_reply_set(objcap_reply *reply,
                                          const uint8_t *data, size_t len);

/* Sets the function that serves the sandbox's host functions; set it
   before the first objcap_grant_function. */
OBJCAP_API objcap_status objcap_set_host_handler(objcap_sandbox sandbox,
                                                 objcap_host_fn handler,
                                                 void *user);

/*
 * Grants the directory `path` (absolute) as the global `name` (an
 * identifier), read-only or read-write (an objcap_access).  Sandboxed code
 * sees an object with open, listdir, exists, stat (and remove, mkdir,
 * rename when writable); paths are resolved by the kernel beneath the
 * directory (openat2 RESOLVE_BENEATH), so "..", absolute paths and symlinks
 * that lead outside fail with PermissionError.  *grant receives the id.
 */
OBJCAP_API objcap_status objcap_grant_directory(
    objcap_sandbox sandbox, const char *name, size_t name_len,
    const char *path, size_t path_len, int access, uint64_t *grant,
    uint8_t **out, size_t *out_len);

/* Grants host function number `function` (passed back to the handler) as
   the global `name`. */
OBJCAP_API objcap_status objcap_grant_function(
    objcap_sandbox sandbox, const char *name, size_t name_len,
    uint64_t function, uint64_t *grant, uint8_t **out, size_t *out_len);

/* Copies a value (MessagePack) into the global `name`.  Revoking it
   removes the name before the next call, if it still holds that value;
   copies the script made stay (a value is not a reference). */
OBJCAP_API objcap_status objcap_grant_value(objcap_sandbox sandbox,
                                            const char *name, size_t name_len,
                                            const uint8_t *value,
                                            size_t value_len, uint64_t *grant,
                                            uint8_t **out, size_t *out_len);

/* Revokes a grant; safe from any thread, also during a call.  It is a
   barrier: it returns once no system call through the grant (a read, a
   write, a rename...) is in progress, and none can start after it; in a
   worker, once the worker confirmed it (a worker that does not within 2 s
   is killed).  Revoking twice is fine; an unknown id is
   OBJCAP_ERR_ARGUMENT. */
OBJCAP_API objcap_status objcap_revoke(objcap_sandbox sandbox, uint64_t grant);

/* Frees a buffer returned by this library; NULL is fine. */
OBJCAP_API void objcap_free(void *buffer);

#ifdef __cplusplus
}
#endif
#endif /* OBJCAP_H */
