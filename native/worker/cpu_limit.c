/*
 * The worker's kernel CPU limit for the next call.  The engine stops Python
 * code at the CPU limit itself; RLIMIT_CPU (SIGXCPU) stops one C call that
 * never checks (9**9**9), so it must never come first.
 */
#include "cpu_limit.h"

rlim_t
ocap_cpu_soft_limit(const struct rusage *used, int64_t cpu_ms)
{
    /* User and system time added before rounding up: rounding each down
       lost up to two seconds, and SIGXCPU came before the engine's limit. */
    uint64_t used_us =
        (uint64_t)(used->ru_utime.tv_sec + used->ru_stime.tv_sec) * 1000000u +
        (uint64_t)(used->ru_utime.tv_usec + used->ru_stime.tv_usec);
    return (rlim_t)((used_us + 999999u) / 1000000u) +
        (rlim_t)((cpu_ms + 999) / 1000) + 1;
}
