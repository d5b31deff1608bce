/*
 * Each run-time guard is installed exactly on the CPython versions that
 * native/src/bare/guards/cpython_bugs.c says have its bug, on the running
 * CPython: what the engine did is read from where the function in each
 * guarded slot or method lives (objcap's library: guarded; CPython's:
 * not), and what the module hardenings did from a sandbox.  The table is
 * compiled into this test from the same file; spot checks below pin the
 * versions it names, so neither can drift from the other unnoticed.
 */
#define _GNU_SOURCE
#include <Python.h>

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#include "bare/guards/guards.h"
#include "harness.h"

#define FINAL(minor, micro)                                                   \
    (0x03000000UL | ((minor) << 16) | ((micro) << 8) | 0xF0)

static void *objcap_base;

/* Whether fn is code of objcap's library (a guard) rather than CPython's. */
static int
in_objcap(void *fn)
{
    Dl_info info;
    return fn != NULL && dladdr(fn, &info) != 0 &&
        info.dli_fbase == objcap_base;
}

static void *
method_of(const char *module, const char *type, const char *name)
{
    PyObject *m = PyImport_ImportModule(module);
    PyObject *t = m ? PyObject_GetAttrString(m, type) : NULL;
    PyObject *d = t ? PyObject_GetAttrString(t, name) : NULL;
    void *fn = d && PyObject_TypeCheck(d, &PyMethodDescr_Type)
        ? (void *)((PyMethodDescrObject *)d)->d_method->ml_meth
        : NULL;
    Py_XDECREF(d);
    Py_XDECREF(t);
    Py_XDECREF(m);
    PyErr_Clear();
    return fn;
}

static void
report(ocap_cpython_bug bug, int installed)
{
    int expected = ocap_cpython_has_bug(bug);
    const char *version = Py_GetVersion();
    printf("%-18s %s on %.*s (table: %s)\n", ocap_cpython_bug_name(bug),
           installed ? "installed" : "left off ", (int)strcspn(version, " "),
           version, expected ? "has the bug" : "fixed");
    CHECK(installed == expected);
}

/* The guards the runtime installs in the main interpreter at start. */
static void
runtime_guards(void)
{
    PyGILState_STATE g = PyGILState_Ensure();
    report(OCAP_BUG_LIST_COMPARE,
           in_objcap((void *)PyList_Type.tp_richcompare));
    report(OCAP_BUG_DEQUE_INDEX,
           in_objcap(method_of("_collections", "deque", "index")));
    report(OCAP_BUG_SET_ADD_REENTRY, in_objcap((void *)PySet_Type.tp_init));
    report(OCAP_BUG_BYTEARRAY_RESIZE,
           in_objcap((void *)PyByteArray_Type.tp_as_sequence->sq_contains));
    report(OCAP_BUG_ITERATOR_REENTRY,
           in_objcap((void *)PyCallIter_Type.tp_iternext));
    PyGILState_Release(g);
}

/* The module hardenings, applied as a sandbox imports each module. */
static void
module_hardenings(void)
{
    uint8_t empty_map = 0x80;
    objcap_sandbox sb = 0;
    drop();
    CHECK(objcap_sandbox_create(&empty_map, 1, NULL, NULL, &sb, &out,
                                &out_len) == OBJCAP_OK);
    if (sb == 0) {
        return;
    }
    char src[2048];
    snprintf(src, sizeof src,
             "import abc, array, collections, functools, itertools, struct\n"
             "wrong = []\n"
             "def check(name, hardened, expected):\n"
             "    if hardened != bool(expected):\n"
             "        wrong.append(name)\n"
             "check('struct', '__init__' not in vars(struct.Struct), %d)\n"
             "check('partial', '__setstate__' not in vars(functools.partial),"
             " %d)\n"
             "check('OrderedDict', type(collections.OrderedDict.__init__) is"
             " type(check), %d)\n"
             "check('cmp_to_key', type(functools.cmp_to_key) is type(check),"
             " %d)\n"
             "check('array', '__setitem__' not in vars(array.array), %d)\n"
             "# set_guard.c's other half: _abc's functions, wrapped\n"
             "check('_abc', type(abc._abc_subclasscheck.__self__).__name__"
             " != 'module', %d)\n"
             "if %d:  # 3.14 has no itertools __setstate__ to drop\n"
             "    check('itertools', '__setstate__' not in"
             " vars(itertools.cycle), %d)\n"
             "if wrong:\n"
             "    raise AssertionError(wrong)\n",
             ocap_cpython_has_bug(OCAP_BUG_STRUCT_REINIT),
             ocap_cpython_has_bug(OCAP_BUG_PARTIAL_SETSTATE),
             ocap_cpython_has_bug(OCAP_BUG_C_ORDEREDDICT),
             ocap_cpython_has_bug(OCAP_BUG_CMP_TO_KEY),
             ocap_cpython_has_bug(OCAP_BUG_ARRAY_STORE),
             ocap_cpython_has_bug(OCAP_BUG_SET_ADD_REENTRY),
             PY_VERSION_HEX < 0x030E0000,
             ocap_cpython_has_bug(OCAP_BUG_ITERTOOLS_SETSTATE));
    objcap_status st = run(sb, src);
    if (st != OBJCAP_OK) {
        fprintf(stderr,
                "hardenings not as the table says (the error's bytes):"
                " %.*s\n",
                (int)out_len, (const char *)out);
    }
    CHECK(st == OBJCAP_OK);
    CHECK(objcap_sandbox_destroy(sb) == OBJCAP_OK);
}

/* The versions the table names, release by release. */
static void
table_spot_checks(void)
{
    CHECK(ocap_cpython_has_bug_in(OCAP_BUG_LIST_COMPARE, FINAL(11, 15)));
    CHECK(ocap_cpython_has_bug_in(OCAP_BUG_LIST_COMPARE, FINAL(12, 4)));
    CHECK(!ocap_cpython_has_bug_in(OCAP_BUG_LIST_COMPARE, FINAL(12, 5)));
    CHECK(!ocap_cpython_has_bug_in(OCAP_BUG_LIST_COMPARE, FINAL(13, 0)));
    CHECK(!ocap_cpython_has_bug_in(OCAP_BUG_LIST_COMPARE, FINAL(14, 0)));
    /* a pre-release before the first fixed final keeps the guard */
    CHECK(ocap_cpython_has_bug_in(OCAP_BUG_LIST_COMPARE, 0x030D00C3));
    CHECK(ocap_cpython_has_bug_in(OCAP_BUG_DEQUE_INDEX, FINAL(12, 13)));
    CHECK(!ocap_cpython_has_bug_in(OCAP_BUG_DEQUE_INDEX, FINAL(13, 0)));
    CHECK(ocap_cpython_has_bug_in(OCAP_BUG_SET_ADD_REENTRY, FINAL(13, 11)));
    CHECK(!ocap_cpython_has_bug_in(OCAP_BUG_SET_ADD_REENTRY, FINAL(13, 12)));
    CHECK(ocap_cpython_has_bug_in(OCAP_BUG_SET_ADD_REENTRY, FINAL(14, 2)));
    CHECK(!ocap_cpython_has_bug_in(OCAP_BUG_SET_ADD_REENTRY, FINAL(14, 3)));
    CHECK(ocap_cpython_has_bug_in(OCAP_BUG_SET_ADD_REENTRY, FINAL(12, 13)));
    for (int b = 0; b < OCAP_BUG_COUNT; b++) {
        /* 3.11 keeps everything; so does a version the table does not know */
        CHECK(ocap_cpython_has_bug_in(b, FINAL(11, 2)));
        CHECK(ocap_cpython_has_bug_in(b, FINAL(15, 0)));
        CHECK(ocap_cpython_has_bug_in(b, FINAL(10, 20)));
        CHECK(ocap_cpython_bug_name(b) != NULL);
    }
    CHECK(ocap_cpython_has_bug_in(OCAP_BUG_COUNT, FINAL(14, 3)));
    CHECK(ocap_cpython_has_bug_in((ocap_cpython_bug)-1, FINAL(14, 3)));
    CHECK(ocap_cpython_bug_name(OCAP_BUG_COUNT) == NULL);
    /* the bundled 3.14.3 and Debian's 3.11.2, the versions CI runs */
    if (Py_Version == FINAL(14, 3)) {
        CHECK(!ocap_cpython_has_bug(OCAP_BUG_LIST_COMPARE));
        CHECK(!ocap_cpython_has_bug(OCAP_BUG_DEQUE_INDEX));
        CHECK(!ocap_cpython_has_bug(OCAP_BUG_SET_ADD_REENTRY));
        CHECK(ocap_cpython_has_bug(OCAP_BUG_BYTEARRAY_RESIZE));
        CHECK(ocap_cpython_has_bug(OCAP_BUG_ITERATOR_REENTRY));
    }
}

int
main(void)
{
    Dl_info info;
    CHECK(dladdr((void *)objcap_version, &info) != 0);
    objcap_base = info.dli_fbase;
    uint8_t *m = NULL;
    size_t ml = 0;
    CHECK(objcap_runtime_start(NULL, NULL, &m, &ml) == OBJCAP_OK);
    objcap_free(m);
    runtime_guards();
    module_hardenings();
    table_spot_checks();
    drop();
    return check_summary();
}
