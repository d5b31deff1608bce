/*
 * libFuzzer target: arbitrary bytes as a MessagePack value, set as a global,
 * read back, and passed as call arguments.  Nothing may crash; a value the
 * engine accepted must come back.
 */
#include "objcap.h"

#include <stdlib.h>
#include <string.h>

static objcap_sandbox sandbox;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    uint8_t *out = NULL;
    size_t len = 0;
    if (objcap_sandbox_create(NULL, 0, NULL, NULL, &sandbox, &out, &len) !=
        OBJCAP_OK) {
        abort();
    }
    objcap_free(out);
    const char *src = "def ident(*a):\n    return a\n";
    if (objcap_exec(sandbox, src, strlen(src), "<fuzz>", 6, &out, &len) !=
        OBJCAP_OK) {
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
    objcap_status st = objcap_set(sandbox, "x", 1, data, size, &out, &len);
    objcap_free(out);
    if (st == OBJCAP_OK) {
        out = NULL;
        if (objcap_get(sandbox, "x", 1, &out, &len) != OBJCAP_OK) {
            abort(); /* accepted but cannot be read back */
        }
        objcap_free(out);
    }
    out = NULL;
    objcap_call(sandbox, "ident", 5, data, size, &out, &len);
    objcap_free(out);
    return 0;
}
