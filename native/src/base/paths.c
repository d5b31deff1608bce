/*
 * Where this CPython's standard library and its extension modules live.
 * The build's CPython by default; a host that loads another copy of the
 * same version (the one objcap's jar extracts, or a system CPython) says
 * where, once, before the runtime starts.  The importer and the worker's
 * confinement read them.
 */
#include "base/base.h"

#include <stdio.h>
#include <string.h>

static char stdlib_path[4096] = OBJCAP_STDLIB_DIR;
static char dynload_path[4096] = OBJCAP_DYNLOAD_DIR;
static int paths_given;

static int
usable(const char *dir)
{
    return dir != NULL && dir[0] == '/' && strlen(dir) < sizeof stdlib_path;
}

/* Before the runtime starts only: 0, or -1 if a path is not absolute or
   does not fit (nothing is changed then). */
int
ocap_paths_set(const char *stdlib_dir, const char *dynload_dir)
{
    if (!usable(stdlib_dir) || !usable(dynload_dir)) {
        return -1;
    }
    snprintf(stdlib_path, sizeof stdlib_path, "%s", stdlib_dir);
    snprintf(dynload_path, sizeof dynload_path, "%s", dynload_dir);
    paths_given = 1;
    return 0;
}

int
ocap_paths_given(void)
{
    return paths_given;
}

const char *
ocap_stdlib_dir(void)
{
    return stdlib_path;
}

const char *
ocap_dynload_dir(void)
{
    return dynload_path;
}
