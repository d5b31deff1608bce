/*
 * Interpreter overhead of objcap: a workload timed inside the interpreter,
 * in an objcap sandbox (audit hook, stand-ins, importer) and in a plain
 * sub-interpreter of the same embedded libpython (the fair floor for the
 * in-process engine, CPYTHON-NOTES.md), alternated, median of N runs.
 *   bench_overhead WORKLOAD.py [RUNS]
 * Prints "workload sandbox_s plain_s ratio".
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "objcap.h"

static const char *timer = "import time as _t\n"
                           "_a = _t.perf_counter()\n"
                           "run()\n"
                           "ELAPSED = _t.perf_counter() - _a\n";

static double
in_sandbox(const char *source, size_t len)
{
    uint8_t *out = NULL;
    size_t out_len = 0;
    objcap_sandbox sb;
    if (objcap_sandbox_create(NULL, 0, NULL, NULL, &sb, &out, &out_len) !=
            OBJCAP_OK ||
        objcap_exec(sb, source, len, "workload.py", 11, &out, &out_len) !=
            OBJCAP_OK ||
        objcap_exec(sb, timer, strlen(timer), "timer.py", 8, &out, &out_len) !=
            OBJCAP_OK ||
        objcap_get(sb, "ELAPSED", 7, &out, &out_len) != OBJCAP_OK ||
        out_len != 9 || out[0] != 0xcb) {
        fprintf(stderr, "sandbox run failed\n");
        exit(1);
    }
    uint64_t bits = 0;
    for (int i = 1; i < 9; i++) {
        bits = (bits << 8) | out[i];
    }
    double elapsed;
    memcpy(&elapsed, &bits, sizeof elapsed);
    objcap_free(out);
    objcap_sandbox_destroy(sb);
    return elapsed;
}

/* The same in a plain sub-interpreter: no hardening at all, on a thread
   state of its own, as the engine makes them. */
static double
in_plain(const char *source)
{
    PyThreadState *main = PyThreadState_New(PyInterpreterState_Main());
    PyEval_RestoreThread(main);
    PyThreadState *sub = Py_NewInterpreter();
    PyObject *globals = PyModule_GetDict(PyImport_AddModule("__main__"));
    PyObject *r1 = PyRun_String(source, Py_file_input, globals, globals);
    PyObject *r2 = r1 ? PyRun_String(timer, Py_file_input, globals, globals)
                      : NULL;
    double elapsed = r2
        ? PyFloat_AsDouble(PyDict_GetItemString(globals, "ELAPSED"))
        : -1;
    if (r2 == NULL) {
        PyErr_Print();
        exit(1);
    }
    Py_XDECREF(r1);
    Py_XDECREF(r2);
    Py_EndInterpreter(sub);
    PyThreadState_Swap(main);
    PyThreadState_Clear(main);
    PyThreadState_DeleteCurrent();
    return elapsed;
}

static int
compare(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int
main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_overhead WORKLOAD.py [RUNS]\n");
        return 2;
    }
    FILE *f = fopen(argv[1], "rb");
    if (f == NULL) {
        perror(argv[1]);
        return 2;
    }
    static char source[1 << 20];
    size_t len = fread(source, 1, sizeof source - 1, f);
    fclose(f);
    source[len] = '\0';
    int runs = argc > 2 ? atoi(argv[2]) : 7;
    uint8_t *out = NULL;
    size_t out_len = 0;
    if (objcap_runtime_start(NULL, NULL, &out, &out_len) != OBJCAP_OK) {
        return 1;
    }
    double *sandboxed = calloc(runs, sizeof *sandboxed);
    double *plain = calloc(runs, sizeof *plain);
    for (int i = 0; i < runs; i++) { /* alternated, so drift hits both */
        sandboxed[i] = in_sandbox(source, len);
        plain[i] = in_plain(source);
    }
    qsort(sandboxed, runs, sizeof *sandboxed, compare);
    qsort(plain, runs, sizeof *plain, compare);
    double s = sandboxed[runs / 2], p = plain[runs / 2];
    const char *name = strrchr(argv[1], '/');
    printf("%s %.4f %.4f %.3f\n", name ? name + 1 : argv[1], s, p, s / p);
    return 0;
}
