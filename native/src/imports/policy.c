/*
 * Import policy (paper 5.5): whitelists per kind of module.  The default
 * lets ordinary code run; "support" modules are what the whitelisted ones
 * import internally and are importable only by modules objcap loaded, not
 * by the sandboxed script.  Modules that give authority away wholesale are
 * refused unless the host accepts each one by name.
 */
#include "base/base.h"
#include "imports/imports.h"

#include <dlfcn.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What a script may import by default, by kind.  C modules are listed as
   built-in and as extension: distributions build them either way. */
static const char *const default_user[OCAP_KIND_COUNT][48] = {
    [OCAP_KIND_BUILTIN] = {"math", "cmath", "itertools", "unicodedata", "zlib",
                           "binascii", "array", NULL},
    [OCAP_KIND_FROZEN] = {"abc", NULL},
    [OCAP_KIND_EXTENSION] = {"math", "cmath", "unicodedata", "zlib",
                             "binascii", "array", NULL},
    [OCAP_KIND_SOURCE] =
        {"json",     "re",         "collections", "functools", "operator",
         "datetime", "decimal",    "fractions",   "random",    "statistics",
         "string",   "textwrap",   "dataclasses", "enum",      "typing",
         "heapq",    "bisect",     "copy",        "pprint",    "base64",
         "hashlib",  "struct",     "csv",         "difflib",   "contextlib",
         "abc",      "numbers",    "types",       "keyword",   "reprlib",
         "copyreg",  "__future__", NULL},
};

/* What the whitelisted modules import internally (errno: posixpath from
   3.13, and patch releases of older versions may backport that). */
static const char *const default_support[OCAP_KIND_COUNT][48] = {
    [OCAP_KIND_BUILTIN] =
        {"_abc",         "_ast",      "_bisect",      "_blake2",    "_codecs",
         "_collections", "_csv",      "_datetime",    "_functools", "_heapq",
         "_opcode",      "_operator", "_random",      "_md5",       "_sha1",
         "_sha256",      "_sha3",     "_sha512",      "_sre",       "_stat",
         "_statistics",  "_string",   "_struct",      "_warnings",  "_weakref",
         "_json",        "_typing",   "_contextvars", "_decimal",   "_hashlib",
         "errno",        NULL},
    [OCAP_KIND_FROZEN] = {"_collections_abc", "genericpath", "posixpath",
                          "stat", "codecs", NULL},
    [OCAP_KIND_EXTENSION] =
        {"_json",     "_decimal",    "_hashlib", "_typing", "_contextvars",
         "_bisect",   "_heapq",      "_random",  "_sha512", "_blake2",
         "_md5",      "_sha1",       "_sha256",  "_sha3",   "_csv",
         "_datetime", "_statistics", "_struct",  "_opcode", NULL},
    [OCAP_KIND_SOURCE] = {"_collections_abc", "_weakrefset", "ast", "codecs",
                          "contextvars", "dis", "encodings", "genericpath",
                          "inspect", "linecache", "opcode", "posixpath",
                          "stat", "stringprep", "token", "tokenize",
                          "warnings", "weakref", NULL},
};

/* What the whitelisted modules import internally on some versions only,
   from `since` up to (not including) `until`. */
static const struct {
    unsigned long since, until;
    int kind; /* OCAP_KIND_* */
    const char *name;
} support_by_version[] = {
    /* tokenize calls the C tokenizer. */
    {0x030C0000, 0xFFFFFFFF, OCAP_KIND_BUILTIN, "_tokenize"},
    /* 3.12's _decimal and _datetime have single-phase init, which an
       interpreter with a GIL of its own refuses: decimal and datetime
       fall back to these (3.13 made both multi-phase). */
    {0x030C0000, 0x030D0000, OCAP_KIND_SOURCE, "_pydecimal"},
    {0x030C0000, 0x030D0000, OCAP_KIND_SOURCE, "_pydatetime"},
    /* opcode's tables moved out. */
    {0x030D0000, 0xFFFFFFFF, OCAP_KIND_SOURCE, "_opcode_metadata"},
    {0x030E0000, 0xFFFFFFFF, OCAP_KIND_SOURCE, "annotationlib"},
};

static int
add_versioned(PyObject *set, int kind)
{
    size_t n = sizeof support_by_version / sizeof support_by_version[0];
    for (size_t i = 0; i < n; i++) {
        if (support_by_version[i].kind != kind ||
            PY_VERSION_HEX < support_by_version[i].since ||
            PY_VERSION_HEX >= support_by_version[i].until) {
            continue;
        }
        PyObject *s = PyUnicode_FromString(support_by_version[i].name);
        if (s == NULL || PySet_Add(set, s) < 0) {
            Py_XDECREF(s);
            return -1;
        }
        Py_DECREF(s);
    }
    return 0;
}

/* The CJK codecs of encodings.*, support modules of both C kinds, which
   their C code also imports itself (_codecs_*.getcodec() imports
   _multibytecodec and the other codecs' mapping tables). */
static const char *const cjk_codecs[] = {
    "_multibytecodec", "_codecs_cn", "_codecs_hk", "_codecs_iso2022",
    "_codecs_jp",      "_codecs_kr", "_codecs_tw", NULL};

/* Support modules that C code of the standard library imports itself
   (PyImport_ImportModule), from wherever its Python caller stands: the
   CJK codecs.  Nothing a script could not reach anyway through the codec
   objects those modules hand out. */
int
ocap_policy_imported_by_c(PyObject *name)
{
    for (const char *const *n = cjk_codecs; *n; n++) {
        if (PyUnicode_CompareWithASCIIString(name, *n) == 0) {
            return 1;
        }
    }
    return 0;
}

/* Whitelisting these gives authority away wholesale.  With the names of
   3.13 and 3.14: _interpreters and its queues and channels reach every
   interpreter of the process by id (another sandbox's destroyed under it,
   a use after free), _remote_debugging reads a process's memory, and the
   _test* modules are as unsafe as _testcapi. */
static const char *const dangerous[] = {"sys",
                                        "posix",
                                        "os",
                                        "nt",
                                        "_io",
                                        "io",
                                        "ctypes",
                                        "_ctypes",
                                        "_posixsubprocess",
                                        "subprocess",
                                        "gc",
                                        "marshal",
                                        "_imp",
                                        "importlib",
                                        "_frozen_importlib",
                                        "_frozen_importlib_external",
                                        "zipimport",
                                        "_thread",
                                        "threading",
                                        "signal",
                                        "_signal",
                                        "socket",
                                        "_socket",
                                        "select",
                                        "selectors",
                                        "mmap",
                                        "fcntl",
                                        "resource",
                                        "pwd",
                                        "grp",
                                        "spwd",
                                        "syslog",
                                        "faulthandler",
                                        "_tracemalloc",
                                        "tracemalloc",
                                        "atexit",
                                        "_xxsubinterpreters",
                                        "_xxinterpchannels",
                                        "_xxinterpqueues",
                                        "_interpreters",
                                        "_interpqueues",
                                        "_interpchannels",
                                        "_remote_debugging",
                                        "_testexternalinspection",
                                        "_multiprocessing",
                                        "multiprocessing",
                                        "_posixshmem",
                                        "_locale",
                                        "locale",
                                        "pty",
                                        "termios",
                                        "tty",
                                        "shutil",
                                        "tempfile",
                                        "pathlib",
                                        "glob",
                                        "sysconfig",
                                        "site",
                                        "_sitebuiltins",
                                        "pdb",
                                        "bdb",
                                        "trace",
                                        "_lsprof",
                                        "cProfile",
                                        "runpy",
                                        "pkgutil",
                                        "_testcapi",
                                        "_testinternalcapi",
                                        "_ctypes_test",
                                        "_xxtestfuzz",
                                        "_testmultiphase",
                                        "_testbuffer",
                                        "_testlimitedcapi",
                                        "_testsinglephase",
                                        "_testclinic",
                                        "_testclinic_limited",
                                        "_testimportmultiple",
                                        "_winapi",
                                        "msvcrt",
                                        "winreg",
                                        "builtins",
                                        "time",
                                        "asyncio",
                                        "_asyncio",
                                        "ssl",
                                        "_ssl",
                                        "sqlite3",
                                        "_sqlite3",
                                        "dbm",
                                        "_dbm",
                                        "readline",
                                        "_curses",
                                        "_curses_panel",
                                        "curses",
                                        "ossaudiodev",
                                        "nis",
                                        "_crypt",
                                        "crypt",
                                        "webbrowser",
                                        "code",
                                        NULL};

int
ocap_policy_is_dangerous(const char *name, size_t len)
{
    /* A submodule is as dangerous as its package (os.path, importlib.x). */
    const char *dot = memchr(name, '.', len);
    size_t top = dot ? (size_t)(dot - name) : len;
    for (const char *const *d = dangerous; *d; d++) {
        if (strlen(*d) == top && memcmp(*d, name, top) == 0) {
            return 1;
        }
    }
    return 0;
}

static void
clear_list(ocap_string_list *list)
{
    for (size_t i = 0; i < list->count; i++) {
        free(list->items[i]);
    }
    free(list->items);
}

void
ocap_policy_clear(ocap_policy *p)
{
    for (int k = 0; k < OCAP_KIND_COUNT; k++) {
        clear_list(&p->allow[k]);
    }
    clear_list(&p->source_paths);
    clear_list(&p->dangerous);
    clear_list(&p->read_dirs);
    clear_list(&p->write_dirs);
    memset(p, 0, sizeof *p);
}

/* Copies a MessagePack array of strings; NULL on success, else why not. */
const char *
ocap_policy_read_list(const msgpack_object *o, ocap_string_list *list,
                      int module_names)
{
    if (o->type != MSGPACK_OBJECT_ARRAY) {
        return "a module list must be an array of strings";
    }
    list->items = calloc(o->via.array.size + 1, sizeof(char *));
    if (list->items == NULL) {
        return "out of memory";
    }
    for (uint32_t i = 0; i < o->via.array.size; i++) {
        const msgpack_object *s = &o->via.array.ptr[i];
        if (s->type != MSGPACK_OBJECT_STR || s->via.str.size == 0 ||
            memchr(s->via.str.ptr, '\0', s->via.str.size) ||
            !ocap_utf8_valid(s->via.str.ptr, s->via.str.size)) {
            return "a module list entry must be a non-empty UTF-8 string";
        }
        if (module_names && s->via.str.ptr[0] == '.') {
            return "a module name cannot start with '.'";
        }
        char *copy = strndup(s->via.str.ptr, s->via.str.size);
        if (copy == NULL) {
            return "out of memory";
        }
        list->items[list->count++] = copy;
    }
    return NULL;
}

static int
list_has(const ocap_string_list *list, const char *name)
{
    for (size_t i = 0; i < list->count; i++) {
        if (strcmp(list->items[i], name) == 0) {
            return 1;
        }
    }
    return 0;
}

/* A host's dangerous whitelisting must be accepted name by name. */
const char *
ocap_policy_validate(const ocap_policy *p, char *buffer, size_t size)
{
    for (int k = 0; k < OCAP_KIND_COUNT; k++) {
        for (size_t i = 0; i < p->allow[k].count; i++) {
            const char *name = p->allow[k].items[i];
            if (ocap_policy_is_dangerous(name, strlen(name)) &&
                !list_has(&p->dangerous, name)) {
                snprintf(buffer, size,
                         "module '%s' gives authority away "
                         "wholesale; allow it only with allow_dangerous",
                         name);
                return buffer;
            }
        }
    }
    return NULL;
}

static int
add_all(PyObject *set, const char *const *names)
{
    for (; *names; names++) {
        PyObject *s = PyUnicode_FromString(*names);
        if (s == NULL || PySet_Add(set, s) < 0) {
            Py_XDECREF(s);
            return -1;
        }
        Py_DECREF(s);
    }
    return 0;
}

/* The policy as Python sets; runs on the engine thread. */
int
ocap_policy_build(ocap_sandbox *sb)
{
    ocap_importer *im = &sb->importer;
    for (int k = 0; k < OCAP_KIND_COUNT; k++) {
        im->user[k] = PySet_New(NULL);
        im->support[k] = PySet_New(NULL);
        if (im->user[k] == NULL || im->support[k] == NULL ||
            add_all(im->user[k], default_user[k]) < 0 ||
            add_all(im->support[k], default_support[k]) < 0 ||
            add_versioned(im->support[k], k) < 0 ||
            ((k == OCAP_KIND_BUILTIN || k == OCAP_KIND_EXTENSION) &&
             add_all(im->support[k], cjk_codecs) < 0) ||
            add_all(im->user[k],
                    (const char *const *)(sb->policy.allow[k].items
                                              ? sb->policy.allow[k].items
                                              : (char *[]){NULL})) < 0) {
            return -1;
        }
    }
    im->dangerous = PySet_New(NULL);
    im->source_paths = PyList_New(0);
    if (im->dangerous == NULL || im->source_paths == NULL) {
        return -1;
    }
    for (size_t i = 0; i < sb->policy.dangerous.count; i++) {
        PyObject *s = PyUnicode_FromString(sb->policy.dangerous.items[i]);
        if (s == NULL || PySet_Add(im->dangerous, s) < 0) {
            Py_XDECREF(s);
            return -1;
        }
        Py_DECREF(s);
    }
    for (size_t i = 0; i < sb->policy.source_paths.count; i++) {
        PyObject *s = PyUnicode_FromString(sb->policy.source_paths.items[i]);
        if (s == NULL || PyList_Append(im->source_paths, s) < 0) {
            Py_XDECREF(s);
            return -1;
        }
        Py_DECREF(s);
    }
    return 0;
}

/* Maps every extension module the default policy can load (the worker does
   this before Landlock, which would hide their libraries). */
void
ocap_policy_each_default_source(void (*fn)(const char *name, void *ctx),
                                void *ctx)
{
    for (int list = 0; list < 2; list++) {
        const char *const *names = list == 0
            ? default_user[OCAP_KIND_SOURCE]
            : default_support[OCAP_KIND_SOURCE];
        for (; *names; names++) {
            fn(*names, ctx);
        }
    }
    for (size_t i = 0;
         i < sizeof support_by_version / sizeof *support_by_version; i++) {
        if (support_by_version[i].kind == OCAP_KIND_SOURCE &&
            PY_VERSION_HEX >= support_by_version[i].since &&
            PY_VERSION_HEX < support_by_version[i].until) {
            fn(support_by_version[i].name, ctx);
        }
    }
}

void
ocap_policy_each_extension(const char *dynload_dir)
{
    for (int list = 0; list < 3; list++) {
        const char *const *names = list == 0
            ? default_user[OCAP_KIND_EXTENSION]
            : list == 1 ? default_support[OCAP_KIND_EXTENSION]
                        : cjk_codecs;
        for (; *names; names++) {
            char pattern[4096];
            snprintf(pattern, sizeof pattern, "%s/%s.cpython-%d%d-*.so",
                     dynload_dir, *names, PY_MAJOR_VERSION, PY_MINOR_VERSION);
            glob_t g;
            if (glob(pattern, 0, NULL, &g) == 0) {
                for (size_t i = 0; i < g.gl_pathc; i++) {
                    dlopen(g.gl_pathv[i], RTLD_NOW | RTLD_LOCAL);
                }
                globfree(&g);
            }
        }
    }
}
