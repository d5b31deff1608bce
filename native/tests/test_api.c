/*
 * Tests of objcap.h as a C host sees it: argument checks, values, errors,
 * output, re-entrancy and the time limit.  No test framework: each CHECK
 * counts, and the run ends with "N passed, N failed".
 */
#define _GNU_SOURCE
#include "objcap.h"

#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness.h"


/* Decodes `out` and looks up a string key of the error map. */
static int
error_has(const char *key, const char *expected)
{
    msgpack_unpacked u;
    msgpack_unpacked_init(&u);
    size_t off = 0;
    int found = 0;
    if (out &&
        msgpack_unpack_next(&u, (const char *)out, out_len, &off) ==
            MSGPACK_UNPACK_SUCCESS &&
        u.data.type == MSGPACK_OBJECT_MAP) {
        for (uint32_t i = 0; i < u.data.via.map.size; i++) {
            msgpack_object k = u.data.via.map.ptr[i].key;
            msgpack_object v = u.data.via.map.ptr[i].val;
            if (k.type == MSGPACK_OBJECT_STR &&
                k.via.str.size == strlen(key) &&
                memcmp(k.via.str.ptr, key, k.via.str.size) == 0 &&
                v.type == MSGPACK_OBJECT_STR &&
                v.via.str.size >= strlen(expected) &&
                memmem(v.via.str.ptr, v.via.str.size, expected,
                       strlen(expected)) != NULL) {
                found = 1;
            }
        }
    }
    msgpack_unpacked_destroy(&u);
    return found;
}

static int64_t
out_int(void)
{
    msgpack_unpacked u;
    msgpack_unpacked_init(&u);
    size_t off = 0;
    int64_t v = -12345;
    if (msgpack_unpack_next(&u, (const char *)out, out_len, &off) ==
        MSGPACK_UNPACK_SUCCESS) {
        if (u.data.type == MSGPACK_OBJECT_POSITIVE_INTEGER ||
            u.data.type == MSGPACK_OBJECT_NEGATIVE_INTEGER) {
            v = u.data.via.i64;
        }
    }
    msgpack_unpacked_destroy(&u);
    return v;
}

static objcap_status
eval(objcap_sandbox sb, const char *expr)
{
    drop();
    return objcap_eval(sb, expr, strlen(expr), &out, &out_len);
}

static char captured[4096];
static size_t captured_len;
static objcap_sandbox reentrant_target;
static objcap_status reentrant_status = OBJCAP_OK;

static void
on_output(void *user, int stream, const char *data, size_t len)
{
    if (captured_len + len < sizeof captured) {
        captured[captured_len++] = stream == OBJCAP_STDOUT ? 'O' : 'E';
        memcpy(captured + captured_len, data, len);
        captured_len += len;
    }
    if (reentrant_target != 0) {
        uint8_t *o = NULL;
        size_t n = 0;
        reentrant_status = objcap_eval(reentrant_target, "1", 1, &o, &n);
        objcap_free(o);
        reentrant_status = reentrant_status == OBJCAP_OK ? OBJCAP_OK
                                                         : reentrant_status;
    }
}

/* Creation with {"worker": worker, "worker_python": [a, b, c]} (either
   left out when NULL) must fail with `message`. */
static void
check_worker_refused(const char *worker, const char *const *python,
                     const char *message)
{
    msgpack_sbuffer sbuf;
    msgpack_sbuffer_init(&sbuf);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sbuf, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, (worker != NULL) + (python != NULL));
    if (worker != NULL) {
        msgpack_pack_str_with_body(&pk, "worker", 6);
        msgpack_pack_str_with_body(&pk, worker, strlen(worker));
    }
    if (python != NULL) {
        msgpack_pack_str_with_body(&pk, "worker_python", 13);
        size_t n = 0;
        while (python[n] != NULL) {
            n++;
        }
        msgpack_pack_array(&pk, n);
        for (size_t i = 0; i < n; i++) {
            msgpack_pack_str_with_body(&pk, python[i], strlen(python[i]));
        }
    }
    objcap_sandbox sb = 0;
    drop();
    CHECK(objcap_sandbox_create((const uint8_t *)sbuf.data, sbuf.size, NULL,
                                NULL, &sb, &out,
                                &out_len) == OBJCAP_ERR_ARGUMENT);
    CHECK(sb == 0);
    CHECK(error_has("message", message));
    drop();
    msgpack_sbuffer_destroy(&sbuf);
}

static void
test_worker_options(void)
{
    const char *const three[] = {"/lib", "/lib/python3", "/lib/dyn", NULL};
    const char *const relative[] = {"/lib", "lib/python3", "/lib/dyn", NULL};
    const char *const two[] = {"/lib", "/lib/python3", NULL};
    check_worker_refused("objcap-worker", NULL, "absolute path");
    check_worker_refused("", NULL, "absolute path");
    check_worker_refused(NULL, three, "worker_python needs worker");
    check_worker_refused("/bin/true", relative, "three absolute paths");
    check_worker_refused("/bin/true", two, "three absolute paths");
    /* LD_LIBRARY_PATH would search /tmp/a first */
    const char *const split[] = {"/tmp/a:b/lib", "/lib/python3", "/lib/dyn",
                                 NULL};
    const char *const expanded[] = {"/tmp/$ORIGIN", "/lib/python3", "/lib/dyn",
                                    NULL};
    check_worker_refused("/bin/true", split, "LD_LIBRARY_PATH");
    check_worker_refused("/bin/true", expanded, "LD_LIBRARY_PATH");
}

static void
test_arguments(void)
{
    CHECK(objcap_runtime_start(NULL, NULL, NULL, NULL) == OBJCAP_ERR_ARGUMENT);
    CHECK(objcap_runtime_start("/usr/lib", NULL, &out, &out_len) ==
          OBJCAP_ERR_ARGUMENT);
    CHECK(error_has("message", "go together"));
    drop();
    CHECK(objcap_runtime_start(NULL, NULL, &out, &out_len) == OBJCAP_OK);
    CHECK(objcap_runtime_start(NULL, NULL, &out, &out_len) == OBJCAP_OK);
    CHECK(objcap_sandbox_create(NULL, 0, NULL, NULL, NULL, &out, &out_len) ==
          OBJCAP_ERR_ARGUMENT);
    drop();
    objcap_sandbox sb = 0;
    CHECK(objcap_sandbox_create((const uint8_t *)"\x81\xa3"
                                                 "bad\x01",
                                6, NULL, NULL, &sb, &out,
                                &out_len) == OBJCAP_ERR_ARGUMENT);
    CHECK(error_has("message", "unknown option"));
    drop();
    CHECK(objcap_eval(12345, "1", 1, &out, &out_len) == OBJCAP_ERR_STATE);
    drop();
    CHECK(objcap_sandbox_destroy(0) == OBJCAP_ERR_STATE);
    CHECK(objcap_sandbox_destroy((uint64_t)1 << 40) == OBJCAP_ERR_STATE);
    objcap_free(NULL);
}

static void
test_values_and_errors(void)
{
    objcap_sandbox sb = 0;
    CHECK(objcap_sandbox_create(NULL, 0, on_output, NULL, &sb, &out,
                                &out_len) == OBJCAP_OK);
    CHECK(run(sb, "def f(x):\n    return x * 2\n") == OBJCAP_OK);
    CHECK(eval(sb, "f(21)") == OBJCAP_OK && out_int() == 42);

    drop();
    uint8_t args[] = {0x91, 0x05}; /* [5] */
    CHECK(objcap_call(sb, "f", 1, args, sizeof args, &out, &out_len) ==
              OBJCAP_OK &&
          out_int() == 10);
    drop();
    CHECK(objcap_call(sb, "nope", 4, args, sizeof args, &out, &out_len) ==
              OBJCAP_ERR_PYTHON &&
          error_has("type", "NameError"));
    drop();
    uint8_t not_array[] = {0x05};
    CHECK(objcap_call(sb, "f", 1, not_array, 1, &out, &out_len) ==
          OBJCAP_ERR_VALUE);
    drop();
    /* Found by fuzz_values: a map claiming 0x1f000000 entries in 9 bytes
       made msgpack-c allocate gigabytes. */
    uint8_t huge_map[] = {0xdd, 0x1f, 0x00, 0x00, 0x00,
                          0x00, 0x00, 0x00, 0xd8};
    drop();
    CHECK(objcap_set(sb, "x", 1, huge_map, sizeof huge_map, &out, &out_len) ==
          OBJCAP_ERR_VALUE);
    uint8_t truncated[] = {0x92, 0x05};
    CHECK(objcap_call(sb, "f", 1, truncated, 2, &out, &out_len) ==
          OBJCAP_ERR_VALUE);

    CHECK(run(sb, "1/0") == OBJCAP_ERR_PYTHON);
    CHECK(error_has("type", "ZeroDivisionError"));
    CHECK(error_has("message", "division by zero"));
    CHECK(run(sb, "x = (") == OBJCAP_ERR_PYTHON &&
          error_has("type", "SyntaxError"));
    CHECK(run(sb,
              "class E(Exception):\n    def __str__(self):\n"
              "        raise RuntimeError\nraise E()") == OBJCAP_ERR_PYTHON);
    CHECK(error_has("message", "str() failed"));
    CHECK(run(sb, "import sys\nsys.exit(3)") == OBJCAP_ERR_PYTHON &&
          error_has("type", "SystemExit"));

    drop();
    CHECK(objcap_exec(sb, "a = 1\0", 6, "<t>", 3, &out, &out_len) ==
              OBJCAP_ERR_ARGUMENT &&
          error_has("message", "NUL"));
    drop();
    CHECK(objcap_exec(sb, "a = '\xff'", 7, "<t>", 3, &out, &out_len) ==
              OBJCAP_ERR_ARGUMENT &&
          error_has("message", "UTF-8"));
    drop();
    CHECK(objcap_exec(sb, NULL, 0, "<t>", 3, &out, &out_len) ==
          OBJCAP_ERR_ARGUMENT);
    drop();
    CHECK(objcap_get(sb, "f", 1, &out, &out_len) == OBJCAP_OK);
    CHECK(out_len > 0 && out[0] == 0xc7); /* ext 8: a reference */

    /* Deep nesting is refused, not a crash. */
    CHECK(eval(sb, "eval('[' * 40 + ']' * 40)") == OBJCAP_ERR_VALUE);

    captured_len = 0;
    CHECK(run(sb,
              "import sys\nprint('h\\u00e9')\nprint('e', file=sys.stderr)") ==
          OBJCAP_OK);
    /* print() writes the text and the newline separately. */
    static const char expected[] = "Oh\xc3\xa9O\nEeE\n";
    CHECK(captured_len == sizeof expected - 1 &&
          memcmp(captured, expected, captured_len) == 0);

    reentrant_target = sb;
    CHECK(run(sb, "print('x')") == OBJCAP_OK);
    CHECK(reentrant_status == OBJCAP_ERR_STATE);
    reentrant_target = 0;

    CHECK(run(sb,
              "try:\n    (lambda: 0).__globals__\nexcept AttributeError:\n"
              "    pass\n") == OBJCAP_OK);
    drop();
    CHECK(objcap_denials(sb, &out, &out_len) == OBJCAP_OK && out_len > 0 &&
          memmem(out, out_len, "__globals__", 11) != NULL);
    CHECK(objcap_sandbox_destroy(sb) == OBJCAP_OK);
    CHECK(objcap_sandbox_destroy(sb) == OBJCAP_ERR_STATE);
    CHECK(eval(sb, "1") == OBJCAP_ERR_STATE);
    drop();
}

static void
test_timeout(void)
{
    objcap_sandbox sb = 0;
    uint8_t options[] = "\x81\xaatimeout_ms\xcd\x01\x2c"; /* 300 */
    CHECK(objcap_sandbox_create(options, sizeof options - 1, NULL, NULL, &sb,
                                &out, &out_len) == OBJCAP_OK);
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    CHECK(run(sb, "while True:\n    pass\n") == OBJCAP_ERR_LIMIT);
    clock_gettime(CLOCK_MONOTONIC, &b);
    double elapsed = (b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9;
    CHECK(elapsed < 5.0);
    CHECK(error_has("type", "TIME"));
    CHECK(eval(sb, "6*7") == OBJCAP_OK && out_int() == 42);
    CHECK(objcap_sandbox_destroy(sb) == OBJCAP_OK);
    drop();
}

static void
test_policy(void)
{
    int kind = -1;
    /* Built into Debian's libpython, a shared library in others. */
    CHECK(objcap_module_kind("math", 4, &kind) == OBJCAP_OK &&
          (kind == OBJCAP_MODULE_BUILTIN || kind == OBJCAP_MODULE_EXTENSION));
    CHECK(objcap_module_kind("json", 4, &kind) == OBJCAP_OK &&
          kind == OBJCAP_MODULE_SOURCE);
    CHECK(objcap_module_kind("zipimport", 9, &kind) == OBJCAP_OK &&
          kind == OBJCAP_MODULE_FROZEN);
    CHECK(objcap_module_kind("_json", 5, &kind) == OBJCAP_OK &&
          (kind == OBJCAP_MODULE_EXTENSION || kind == OBJCAP_MODULE_BUILTIN));
    CHECK(objcap_module_kind("../etc", 6, &kind) == OBJCAP_OK &&
          kind == OBJCAP_MODULE_NOT_FOUND);
    CHECK(objcap_module_kind(NULL, 0, &kind) == OBJCAP_ERR_ARGUMENT);

    /* {"allow_builtin": ["posix"]} without allow_dangerous is refused. */
    objcap_sandbox sb = 0;
    static const uint8_t posix_only[] = "\x81\xad"
                                        "allow_builtin"
                                        "\x91\xa5"
                                        "posix";
    drop();
    CHECK(objcap_sandbox_create(posix_only, sizeof posix_only - 1, NULL, NULL,
                                &sb, &out, &out_len) == OBJCAP_ERR_ARGUMENT);
    CHECK(error_has("message", "posix"));
    drop();
    /* ... and accepted, by name, with it. */
    static const uint8_t posix_accepted[] = "\x82\xad"
                                            "allow_builtin"
                                            "\x91\xa5"
                                            "posix"
                                            "\xaf"
                                            "allow_dangerous"
                                            "\x91\xa5"
                                            "posix";
    CHECK(objcap_sandbox_create(posix_accepted, sizeof posix_accepted - 1,
                                NULL, NULL, &sb, &out, &out_len) == OBJCAP_OK);
    CHECK(eval(sb, "__import__('posix').getpid() > 0") == OBJCAP_OK);
    CHECK(eval(sb, "__import__('marshal')") == OBJCAP_ERR_PYTHON &&
          error_has("message", "not allowed"));
    objcap_sandbox_destroy(sb);
    drop();
}

/* objcap_call_into/objcap_eval_into: a result that fits lands in the
   host's buffer (not to be freed), one that does not comes as before, and
   an error is a result like any other. */
static void
test_into_buffer(void)
{
    objcap_sandbox sb = 0;
    CHECK(objcap_sandbox_create(NULL, 0, NULL, NULL, &sb, &out, &out_len) ==
          OBJCAP_OK);
    CHECK(run(sb, "def f(x):\n    return x * 2\n") == OBJCAP_OK);
    uint8_t buffer[64];
    uint8_t *o = NULL;
    size_t n = 0;
    /* The inputs in the buffer itself, as the Java host lays them out. */
    memcpy(buffer, "f\x91\x05", 3);
    CHECK(objcap_call_into(sb, (const char *)buffer, 1, buffer + 1, 2, buffer,
                           sizeof buffer, &o, &n) == OBJCAP_OK &&
          o == buffer && n == 1 && buffer[0] == 10);
    CHECK(objcap_eval_into(sb, "f(21)", 5, buffer, sizeof buffer, &o, &n) ==
              OBJCAP_OK &&
          o == buffer && n == 1 && buffer[0] == 42);
    /* 100 bytes do not fit in 64: a buffer of the engine's, to free. */
    CHECK(objcap_eval_into(sb, "b'x' * 100", 10, buffer, sizeof buffer, &o,
                           &n) == OBJCAP_OK &&
          o != buffer && o != NULL && n == 102);
    objcap_free(o);
    CHECK(objcap_eval_into(sb, "1/0", 3, buffer, sizeof buffer, &o, &n) ==
              OBJCAP_ERR_PYTHON &&
          (o == buffer || o != NULL));
    if (o != buffer) {
        objcap_free(o);
    }
    CHECK(objcap_eval_into(sb, "1", 1, NULL, 8, &out, &out_len) ==
              OBJCAP_ERR_ARGUMENT &&
          error_has("message", "buffer is NULL"));
    drop();
    CHECK(objcap_call_into(sb, "f", 1, NULL, 0, buffer, sizeof buffer, NULL,
                           &n) == OBJCAP_ERR_ARGUMENT);
    /* Nothing fits in no room. */
    CHECK(objcap_eval_into(sb, "1", 1, NULL, 0, &o, &n) == OBJCAP_OK &&
          o != NULL && n == 1);
    objcap_free(o);
    objcap_sandbox_destroy(sb);
}

int
main(void)
{
    printf("objcap %s\n", objcap_version());
    test_arguments();
    test_worker_options();
    test_values_and_errors();
    test_into_buffer();
    test_timeout();
    test_policy();
    return check_summary();
}
