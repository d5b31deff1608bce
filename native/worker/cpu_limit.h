#ifndef OBJCAP_WORKER_CPU_LIMIT_H
#define OBJCAP_WORKER_CPU_LIMIT_H

#include <stdint.h>
#include <sys/resource.h>

/* The soft RLIMIT_CPU (whole seconds of the process's user + system time)
   that lets a call use cpu_ms more than `used`, plus a second of grace. */
rlim_t ocap_cpu_soft_limit(const struct rusage *used, int64_t cpu_ms);

#endif
