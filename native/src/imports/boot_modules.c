/*
 * The modules a new interpreter imports through CPython's own importer,
 * before objcap's is installed in it: `encodings` with its aliases and the
 * UTF-8 codec, for the interpreter's codec registry (the sandbox gets its
 * own search function later: importer.c).  CPython compiled them from
 * source in every new interpreter, since the bundled CPython carries no
 * bytecode and objcap writes none: about 5 ms of each sandbox's creation,
 * in-process and in every forked worker.  objcap compiles them once per
 * process from the standard library it loads everything from, and offers
 * the code as frozen modules (PyImport_FrozenModules, which CPython looks
 * up before its own frozen modules and before the file system).  They are
 * exactly the code CPython would have compiled from those files.  To
 * everything of objcap's they are still the source modules they were: the
 * sandbox's importer loads its own `encodings` from source, and a host
 * that allows `encodings` allows a source package (ocap_boot_module); as
 * frozen, the package would have no directory for its codecs (a review
 * found `encodings.<any stdlib module>` loaded as trusted support code).
 */
#include "base/base.h"
#include "imports/imports.h"

#include <marshal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
    const char *name;
    const char *file; /* under the standard library */
    int is_package;
} boot[] = {
    {"encodings", "encodings/__init__.py", 1},
    {"encodings.aliases", "encodings/aliases.py", 0},
    {"encodings.utf_8", "encodings/utf_8.py", 0},
};

#define BOOT_COUNT (sizeof boot / sizeof *boot)

/* Never freed: new interpreters read it for the process's life. */
static struct _frozen table[BOOT_COUNT + 1];

/* The module's code as marshal data in memory of its own, or NULL. */
static unsigned char *
frozen_code(const char *file, int *size)
{
    char path[4096];
    if ((size_t)snprintf(path, sizeof path, "%s/%s", ocap_stdlib_dir(),
                         file) >= sizeof path) {
        return NULL;
    }
    PyObject *code = ocap_compile_source_file(path);
    if (code == NULL) {
        PyErr_Clear();
        return NULL;
    }
    ocap_trust_pass outer = ocap_trust_expect_dump(code);
    PyObject *bytes = PyMarshal_WriteObjectToString(code, Py_MARSHAL_VERSION);
    ocap_trust_end(outer);
    Py_DECREF(code);
    if (bytes == NULL || PyBytes_GET_SIZE(bytes) > INT32_MAX) {
        Py_XDECREF(bytes);
        PyErr_Clear();
        return NULL;
    }
    unsigned char *data = malloc((size_t)PyBytes_GET_SIZE(bytes));
    if (data != NULL) {
        memcpy(data, PyBytes_AS_STRING(bytes),
               (size_t)PyBytes_GET_SIZE(bytes));
        *size = (int)PyBytes_GET_SIZE(bytes);
    }
    Py_DECREF(bytes);
    return data;
}

int
ocap_boot_module(const char *name)
{
    for (size_t i = 0; i < BOOT_COUNT; i++) {
        if (strcmp(name, boot[i].name) == 0) {
            return 1;
        }
    }
    return 0;
}

int
ocap_boot_modules_freeze(void)
{
    if (PyImport_FrozenModules != NULL) {
        return 0; /* an embedder's own table: left as it is */
    }
    size_t n = 0;
    for (size_t i = 0; i < BOOT_COUNT; i++) {
        int size = 0;
        unsigned char *data = frozen_code(boot[i].file, &size);
        if (data != NULL) {
            table[n++] = (struct _frozen){.name = boot[i].name,
                                          .code = data,
                                          .size = size,
                                          .is_package = boot[i].is_package};
        }
    }
    if (n > 0) {
        PyImport_FrozenModules = table; /* ends with a zeroed entry */
    }
    return (int)n;
}
