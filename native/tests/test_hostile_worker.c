/*
 * The host against a subverted worker (fake_worker.c): whatever it sends,
 * the call ends with an error, the worker is killed and reaped, and the
 * host neither hangs nor crashes.  argv[1] is the fake worker.
 */
#define _GNU_SOURCE
#include "harness.h"
#include "objcap.h"

#include <string.h>
#include <sys/wait.h>

static size_t delivered;

static void
on_output(void *user, int stream, const char *data, size_t len)
{
    delivered += len;
}

/* {"worker": path, "timeout_ms": 2000, "max_output": 65536,
    "max_result": 1 MiB} */
static objcap_sandbox
create(const char *worker)
{
    uint8_t options[600];
    size_t n = 0, len = strlen(worker);
    options[n++] = 0x84;
    options[n++] = 0xa6;
    memcpy(options + n, "worker", 6);
    n += 6;
    options[n++] = 0xd9;
    options[n++] = (uint8_t)len;
    memcpy(options + n, worker, len);
    n += len;
    options[n++] = 0xaa;
    memcpy(options + n, "timeout_ms", 10);
    n += 10;
    options[n++] = 0xcd;
    options[n++] = 0x07;
    options[n++] = 0xd0;
    options[n++] = 0xaa;
    memcpy(options + n, "max_output", 10);
    n += 10;
    options[n++] = 0xce;
    options[n++] = 0;
    options[n++] = 1;
    options[n++] = 0;
    options[n++] = 0;
    options[n++] = 0xaa;
    memcpy(options + n, "max_result", 10);
    n += 10;
    options[n++] = 0xce;
    options[n++] = 0;
    options[n++] = 0x10;
    options[n++] = 0;
    options[n++] = 0;
    objcap_sandbox sb = 0;
    objcap_free(out);
    out = NULL;
    return objcap_sandbox_create(options, n, on_output, NULL, &sb, &out,
                                 &out_len) == OBJCAP_OK
        ? sb
        : 0;
}

static objcap_status
attack(const char *worker, const char *how)
{
    objcap_sandbox sb = create(worker);
    CHECK(sb != 0);
    objcap_free(out);
    out = NULL;
    delivered = 0;
    objcap_status st = objcap_exec(sb, how, strlen(how), "<t>", 3, &out,
                                   &out_len);
    /* Whatever happened, the sandbox is closed for good now. */
    uint8_t *o = NULL;
    size_t n = 0;
    CHECK(objcap_eval(sb, "1", 1, &o, &n) == OBJCAP_ERR_STATE);
    objcap_free(o);
    CHECK(objcap_sandbox_destroy(sb) == OBJCAP_OK);
    return st;
}

int
main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: test_hostile_worker FAKE_WORKER\n");
        return 2;
    }
    CHECK(attack(argv[1], "flood") == OBJCAP_ERR_LIMIT);
    CHECK(delivered <= 65536);
    CHECK(attack(argv[1], "garbage") == OBJCAP_ERR_CRASHED);
    CHECK(attack(argv[1], "badvalue") == OBJCAP_ERR_CRASHED);
    CHECK(attack(argv[1], "deep") == OBJCAP_ERR_CRASHED);
    CHECK(attack(argv[1], "huge") == OBJCAP_ERR_CRASHED);
    CHECK(attack(argv[1], "silent") == OBJCAP_ERR_LIMIT);
    /* Refused from the header, before any allocation or wait for the body
       (a wait would end at the 2 s deadline as a time limit). */
    CHECK(attack(argv[1], "bigresult") == OBJCAP_ERR_CRASHED);
    CHECK(out != NULL &&
          memmem(out, out_len, "larger than its limits", 22) != NULL);
    CHECK(attack(argv[1], "bigoutput") == OBJCAP_ERR_CRASHED);
    CHECK(waitpid(-1, NULL, WNOHANG) <
          0); /* no child left, not even a zombie */
    objcap_free(out);
    return check_summary();
}
