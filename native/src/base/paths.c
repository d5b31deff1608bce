/*
 * Where this CPython's standard library lives.  The runtime sets it once,
 * before CPython starts; the importer and the worker's confinement read it.
 */
#include "base/base.h"

#include <stdio.h>

static char stdlib_path[4096] = OBJCAP_STDLIB_DIR;

/* Before the runtime starts only: 0, or -1 if `dir` does not fit. */
int
ocap_paths_set_stdlib(const char *dir)
{
    if (dir == NULL) {
        return -1;
    }
    int n = snprintf(stdlib_path, sizeof stdlib_path, "%s", dir);
    return n < 0 || (size_t)n >= sizeof stdlib_path ? -1 : 0;
}

const char *
ocap_stdlib_dir(void)
{
    return stdlib_path;
}

const char *
ocap_dynload_dir(void)
{
    return OBJCAP_DYNLOAD_DIR;
}
