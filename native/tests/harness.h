/* What the C tests share: CHECK, and the last call's `out` buffer. */
#ifndef OBJCAP_HARNESS_H
#define OBJCAP_HARNESS_H

#include <string.h>

#include "check.h"
#include "objcap.h"

static uint8_t *out;
static size_t out_len;

/* Frees the last call's buffer, so the next call can fill it. */
static void
drop(void)
{
    objcap_free(out);
    out = NULL;
    out_len = 0;
}

/* Runs source as "<test>" in sb, keeping its out buffer. */
static objcap_status
run(objcap_sandbox sb, const char *src)
{
    drop();
    return objcap_exec(sb, src, strlen(src), "<test>", 6, &out, &out_len);
}

/* Whether the last call's out buffer (an error, say) mentions `needle`. */
static int
says(const char *needle)
{
    return out != NULL && memmem(out, out_len, needle, strlen(needle)) != NULL;
}

#endif
