/* What the C tests share: CHECK, and the last call's `out` buffer. */
#ifndef OBJCAP_HARNESS_H
#define OBJCAP_HARNESS_H

#include <string.h>

#include "check.h"
#include "objcap.h"

static uint8_t *out;
static size_t out_len;

/* Frees the last call's buffer, so the next call can fill it. */
static void
drop(void)
{
    objcap_free(out);
    out = NULL;
    out_len = 0;
}

/* Runs source as "<test>" in sb, keeping its out buffer. */
static objcap_status
run(objcap_sandbox sb, const char *src)
{
    drop();
    return objcap_exec(sb, src, strlen(src), "<test>", 6, &out, &out_len);
}

/* Whether the last call's out buffer (an error, say) mentions `needle`. */
static int
says(const char *needle)
{
    return out != NULL && memmem(out, out_len, needle, strlen(needle)) != NULL;
}

/* Runs fn on a thread with a stack big enough that the engine runs each
   call on that thread itself instead of handing it to the sandbox's own
   thread (sandbox.c): both paths must keep every promise. */
#include <pthread.h>

typedef struct {
    void (*fn)(void);
} big_stack_job;

static void *
big_stack_main(void *arg)
{
    ((big_stack_job *)arg)->fn();
    return NULL;
}

static void
on_big_stack(void (*fn)(void))
{
    big_stack_job job = {fn};
    pthread_attr_t attr;
    pthread_t thread;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 64u << 20);
    if (pthread_create(&thread, &attr, big_stack_main, &job) == 0) {
        pthread_join(thread, NULL);
    }
    else {
        CHECK(!"cannot start a thread with a big stack");
    }
    pthread_attr_destroy(&attr);
}

#endif
