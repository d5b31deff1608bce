/*
 * libFuzzer target: arbitrary bytes as Python source run in a sandbox with
 * a short time limit.  The engine must answer every input with a status,
 * never a crash of the host.
 */
#include "objcap.h"

#include <stdlib.h>

static objcap_sandbox sandbox;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    /* {"timeout_ms": 200} */
    static const uint8_t options[] = "\x81\xaatimeout_ms\xcc\xc8";
    uint8_t *out = NULL;
    size_t len = 0;
    if (objcap_sandbox_create(options, sizeof options - 1, NULL, NULL,
                              &sandbox, &out, &len) != OBJCAP_OK) {
        abort();
    }
    objcap_free(out);
    return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *out = NULL;
    size_t len = 0;
    objcap_status st = objcap_exec(sandbox, (const char *)data, size, "<fuzz>",
                                   6, &out, &len);
    objcap_free(out);
    if (st == OBJCAP_ERR_STATE || st == OBJCAP_ERR_RUNTIME) {
        abort(); /* the sandbox broke */
    }
    return 0;
}
