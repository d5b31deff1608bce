/*
 * The floor of every embedder: the libpython that objcap links, in a host
 * that does nothing else (no objcap, no sandbox), like python3.X -I -S -.
 * On Debian /usr/bin/python3.11 does not use libpython3.11.so (it is linked
 * statically), so the two differ in speed; scripts/bench shows both.
 *   bench_plain_embed < program.py
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <stdio.h>
#include <stdlib.h>

int
main(void)
{
    size_t cap = 1 << 16, len = 0;
    char *source = malloc(cap);
    for (size_t n; source != NULL &&
         (n = fread(source + len, 1, cap - len - 1, stdin)) > 0;) {
        len += n;
        if (len + 1 == cap) {
            char *bigger = realloc(source, cap *= 2);
            if (bigger == NULL) {
                free(source);
            }
            source = bigger;
        }
    }
    if (source == NULL) {
        fprintf(stderr, "bench_plain_embed: out of memory\n");
        return 2;
    }
    source[len] = '\0';
    PyConfig config;
    PyConfig_InitIsolatedConfig(&config); /* -I */
    config.site_import = 0;               /* -S */
    PyStatus status = Py_InitializeFromConfig(&config);
    PyConfig_Clear(&config);
    if (PyStatus_Exception(status)) {
        Py_ExitStatusException(status);
    }
    int rc = PyRun_SimpleString(source);
    free(source);
    return Py_FinalizeEx() < 0 || rc != 0 ? 1 : 0;
}
