/* The C tests' one assertion: counts, reports, and never stops the run;
   each program ends with "N passed, N failed" (a line CI reads). */
#ifndef OBJCAP_CHECK_H
#define OBJCAP_CHECK_H

#include <stdio.h>

static int passed, failed;

#define CHECK(cond)                                                           \
    do {                                                                      \
        if (cond) {                                                           \
            passed++;                                                         \
        }                                                                     \
        else {                                                                \
            failed++;                                                         \
            fprintf(stderr, "%s:%d: FAILED: %s\n", __FILE__, __LINE__,        \
                    #cond);                                                   \
        }                                                                     \
    } while (0)

static int
check_summary(void)
{
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}

#endif
