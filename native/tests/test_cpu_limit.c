/* The worker's RLIMIT_CPU never falls before the engine's own CPU limit:
   at least cpu_ms of CPU time is left after what the worker has used. */
#include "cpu_limit.h"

#include <stdio.h>

static int failures;

static void
check(long user_us, long system_us, int64_t cpu_ms)
{
    struct rusage used = {0};
    used.ru_utime.tv_sec = user_us / 1000000;
    used.ru_utime.tv_usec = user_us % 1000000;
    used.ru_stime.tv_sec = system_us / 1000000;
    used.ru_stime.tv_usec = system_us % 1000000;
    long long left_us = (long long)ocap_cpu_soft_limit(&used, cpu_ms) *
            1000000 -
        (user_us + system_us);
    if (left_us < cpu_ms * 1000) {
        printf("FAIL: used %ld+%ld us, limit %lld ms: only %lld us left\n",
               user_us, system_us, (long long)cpu_ms, left_us);
        failures++;
    }
}

int
main(void)
{
    check(0, 0, 1000);
    check(900000, 900000, 1000); /* each rounded down lost 1.8 s */
    check(1999999, 999999, 1);
    check(5500000, 700000, 2500);
    for (long u = 0; u < 3000000; u += 123457) {
        for (long s = 0; s < 3000000; s += 234567) {
            check(u, s, 1000);
            check(u, s, 1);
        }
    }
    if (failures == 0) {
        printf("cpu_limit: ok\n");
    }
    return failures != 0;
}
