/*
 * The C level of a short call: objcap_call("f", 1) and objcap_eval("1+1")
 * on the calling thread, with no Java in between; the floor of the Java
 * figures in scripts/bench.  With --limits the sandbox has a time and a CPU
 * limit, as the Java API's defaults give it, so the watchdog's cost shows.
 *   bench_call_latency [--limits] [CALLS]
 * Prints "call_us eval_us", the best of 5 rounds of CALLS each.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "objcap.h"

static double
seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void
check(objcap_status st, const char *what, uint8_t *out, size_t out_len)
{
    if (st != OBJCAP_OK) {
        fprintf(stderr, "bench_call_latency: %s failed: %.*s\n", what,
                (int)out_len, out != NULL ? (const char *)out : "");
        exit(1);
    }
}

int
main(int argc, char **argv)
{
    /* {"timeout_ms": 10000, "cpu_ms": 10000} */
    static const uint8_t limits[] = {
        0x82, 0xaa, 't',  'i', 'm', 'e', 'o', 'u', 't', '_',  'm',  's', 0xcd,
        0x27, 0x10, 0xa6, 'c', 'p', 'u', '_', 'm', 's', 0xcd, 0x27, 0x10};
    static const uint8_t one[] = {0x91, 0x01}; /* [1] */
    static const char source[] = "def f(x):\n    return x\n";
    int with_limits = argc > 1 && strcmp(argv[1], "--limits") == 0;
    long calls = argc > 1 + with_limits ? atol(argv[1 + with_limits]) : 200000;
    if (calls <= 0) {
        fprintf(stderr, "usage: bench_call_latency [--limits] [CALLS]\n");
        return 2;
    }
    uint8_t *out = NULL;
    size_t out_len = 0;
    objcap_sandbox sb;
    check(objcap_runtime_start(NULL, NULL, &out, &out_len), "start", out,
          out_len);
    check(objcap_sandbox_create(with_limits ? limits : NULL,
                                with_limits ? sizeof limits : 0, NULL, NULL,
                                &sb, &out, &out_len),
          "create", out, out_len);
    check(objcap_exec(sb, source, strlen(source), "f.py", 4, &out, &out_len),
          "exec", out, out_len);
    objcap_free(out);
    double best_call = 1e9, best_eval = 1e9;
    for (int round = 0; round < 5; round++) {
        double start = seconds();
        for (long i = 0; i < calls; i++) {
            check(objcap_call(sb, "f", 1, one, sizeof one, &out, &out_len),
                  "call", out, out_len);
            objcap_free(out);
        }
        double middle = seconds();
        for (long i = 0; i < calls; i++) {
            check(objcap_eval(sb, "1+1", 3, &out, &out_len), "eval", out,
                  out_len);
            objcap_free(out);
        }
        double end = seconds();
        if ((middle - start) / calls < best_call) {
            best_call = (middle - start) / calls;
        }
        if ((end - middle) / calls < best_eval) {
            best_eval = (end - middle) / calls;
        }
    }
    printf("%.3f %.3f\n", best_call * 1e6, best_eval * 1e6);
    check(objcap_sandbox_destroy(sb), "destroy", NULL, 0);
    return 0;
}
