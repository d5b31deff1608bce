/*
 * The large stack a call moves onto (base/thread_stack.c): code runs there
 * with the room asked for, a call out to the host runs on the thread's own
 * stack right below the frame that left it, a call made from there moves
 * onto the large stack below the first call's frames, a deep call's pages
 * are given back, the guard zone stops an overflow, and the mapping goes
 * with its thread.
 */
#define _GNU_SOURCE
#include "base/base.h"

#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

#define SIZE (16u << 20)

static char *own_low, *own_high;

static int
on_own_stack(const void *p)
{
    return (const char *)p >= own_low && (const char *)p < own_high;
}

typedef struct {
    char *outer_frame; /* on the large stack */
    char *home_frame;  /* on the own stack, in the host's code */
    char *inner_frame; /* on the large stack again, from the host's code */
    char *large_low, *large_high;
    size_t room;
    int inner_rc;
    int refused_rc;
} trace;

static void
inner_call(void *arg)
{
    trace *t = arg;
    char here;
    t->inner_frame = &here;
}

static void
nothing(void *arg)
{}

/* The host's code: on the own stack, and it calls a sandbox again. */
static void
host_code(void *arg)
{
    trace *t = arg;
    char here;
    t->home_frame = &here;
    t->inner_rc = ocap_stack_run_large(1u << 20, inner_call, t);
}

static void
outer_call(void *arg)
{
    trace *t = arg;
    char here;
    t->outer_frame = &here;
    ocap_stack_bounds(&t->large_low, &t->large_high);
    t->room = ocap_stack_room();
    t->refused_rc = ocap_stack_run_large(1u << 20, nothing, NULL);
    ocap_stack_run_home(host_code, t);
}

static void
test_moves_and_comes_back(void)
{
    char here;
    trace t;
    memset(&t, 0, sizeof t);
    CHECK(ocap_stack_run_large(SIZE, outer_call, &t) == 0);
    CHECK(!ocap_stack_on_large());
    CHECK(t.outer_frame != NULL && !on_own_stack(t.outer_frame));
    CHECK(t.outer_frame > t.large_low && t.outer_frame < t.large_high);
    CHECK(t.room >= SIZE - 4096); /* less the frames above */
    /* Not from the large stack itself: only from home. */
    CHECK(t.refused_rc == -1);
    /* Home: on the own stack, below this frame (which is still in use). */
    CHECK(on_own_stack(t.home_frame) && t.home_frame < &here);
    /* From there, onto a large stack of the next level. */
    CHECK(t.inner_rc == 0 && !on_own_stack(t.inner_frame));
    CHECK(t.inner_frame < t.large_low || t.inner_frame >= t.large_high);
    /* Off the large stack, run_home just runs. */
    ocap_stack_run_home(inner_call, &t);
    CHECK(on_own_stack(t.inner_frame));
    CHECK(ocap_stack_run_large(SIZE, NULL, NULL) == -1);
    CHECK(ocap_stack_run_large(0, nothing, NULL) == -1);
}

/* Host functions calling sandboxes whose host functions call sandboxes:
   four levels of large stacks, then the call is refused (handed off). */
static int deepest_level, refused_at;

static void nest_on_large(void *arg);

static void
nest_at_home(void *arg)
{
    int level = *(int *)arg;
    if (ocap_stack_run_large(1u << 20, nest_on_large, &level) < 0) {
        refused_at = level;
    }
}

static void
nest_on_large(void *arg)
{
    int level = *(int *)arg;
    deepest_level = level;
    int next = level + 1;
    ocap_stack_run_home(nest_at_home, &next);
}

static void
test_levels(void)
{
    int first = 1;
    nest_at_home(&first);
    CHECK(deepest_level == 4 && refused_at == 5);
    CHECK(!ocap_stack_on_large());
}

/* Touches `depth` KiB of stack. */
static __attribute__((noinline)) int
deep(int depth)
{
    volatile char page[1024];
    page[0] = (char)depth;
    return depth == 0 ? page[0] : deep(depth - 1) + page[0];
}

static void
go_deep(void *arg)
{
    (void)deep(*(int *)arg);
}

static size_t
resident_pages(char *low, char *high)
{
    size_t n = (size_t)(high - low) / 4096;
    unsigned char *vec = malloc(n);
    size_t count = 0;
    if (vec != NULL && mincore(low, (size_t)(high - low), vec) == 0) {
        for (size_t i = 0; i < n; i++) {
            count += vec[i] & 1;
        }
    }
    free(vec);
    return count;
}

static void
bounds_of_large(void *arg)
{
    char **b = arg;
    ocap_stack_bounds(&b[0], &b[1]);
}

static void
test_deep_calls_give_pages_back(void)
{
    char *b[2];
    CHECK(ocap_stack_run_large(SIZE, bounds_of_large, b) == 0);
    int kib = 4096; /* 4 MiB */
    CHECK(ocap_stack_run_large(SIZE, go_deep, &kib) == 0);
    /* What stays: the top 256 KiB and the marks below it. */
    size_t left = resident_pages(b[0], b[1]);
    CHECK(left <= 256 / 4 + 8);
    int shallow = 16;
    CHECK(ocap_stack_run_large(SIZE, go_deep, &shallow) == 0);
    CHECK(resident_pages(b[0], b[1]) <= 256 / 4 + 8);
}

/* Like frames that skip the marker words: one write per page below them,
   none on them. */
static void
touch_below_the_marks(void *arg)
{
    char **b = arg;
    char *line = b[1] - (256u << 10) - (64u << 10);
    for (char *p = b[0] + 4096; p < line; p += 4096) {
        *(volatile char *)p = 1;
    }
}

static void
test_calls_that_skip_the_marks_give_pages_back(void)
{
    char *b[2];
    CHECK(ocap_stack_run_large(SIZE, bounds_of_large, b) == 0);
    /* About 4,000 pages written: far more time than a trim waits for. */
    CHECK(ocap_stack_run_large(SIZE, touch_below_the_marks, b) == 0);
    CHECK(resident_pages(b[0], b[1]) <= 256 / 4 + 8);
}

static void
overflow(void *arg)
{
    int kib = 64 << 10; /* 64 MiB: past the 16 MiB stack */
    (void)deep(kib);
}

/* Whether [low - size, low) is mapped without access. */
static int
guarded_below(char *low, size_t size)
{
    FILE *maps = fopen("/proc/self/maps", "r");
    char line[512];
    int found = 0;
    while (maps != NULL && fgets(line, sizeof line, maps) != NULL) {
        unsigned long start, end;
        char perms[8];
        if (sscanf(line, "%lx-%lx %7s", &start, &end, perms) == 3 &&
            end == (uintptr_t)low && end - start >= size &&
            strncmp(perms, "---", 3) == 0) {
            found = 1;
        }
    }
    if (maps != NULL) {
        fclose(maps);
    }
    return found;
}

static void
test_the_guard_zone_stops_an_overflow(void)
{
    char *b[2];
    CHECK(ocap_stack_run_large(SIZE, bounds_of_large, b) == 0);
    CHECK(guarded_below(b[0], 64u << 10));
    pid_t pid = fork();
    if (pid == 0) {
        (void)ocap_stack_run_large(SIZE, overflow, NULL);
        _exit(0);
    }
    int status = 0;
    CHECK(waitpid(pid, &status, 0) == pid);
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV);
}

static void
test_the_setting_turns_it_off(void)
{
    pid_t pid = fork();
    if (pid == 0) {
        setenv("OBJCAP_LARGE_STACK", "0", 1);
        _exit(ocap_stack_run_large(SIZE, nothing, NULL) == -1 ? 0 : 1);
    }
    int status = 0;
    CHECK(waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void *
thread_main(void *arg)
{
    char **b = arg;
    CHECK(ocap_stack_run_large(SIZE, bounds_of_large, b) == 0);
    return NULL;
}

static void
test_the_mapping_goes_with_its_thread(void)
{
    char *b[2] = {NULL, NULL};
    pthread_t th;
    CHECK(pthread_create(&th, NULL, thread_main, b) == 0);
    CHECK(pthread_join(th, NULL) == 0);
    CHECK(b[0] != NULL);
    /* Unmapped: mincore refuses an address that is not mapped. */
    unsigned char vec;
    CHECK(mincore((void *)((uintptr_t)b[1] - 4096), 4096, &vec) == -1);
}

int
main(void)
{
    pthread_attr_t attr;
    void *addr;
    size_t size;
    CHECK(pthread_getattr_np(pthread_self(), &attr) == 0);
    CHECK(pthread_attr_getstack(&attr, &addr, &size) == 0);
    pthread_attr_destroy(&attr);
    own_low = addr;
    own_high = own_low + size;

    test_the_setting_turns_it_off(); /* first: the setting is read once */
    test_moves_and_comes_back();
    test_levels();
    test_deep_calls_give_pages_back();
    test_calls_that_skip_the_marks_give_pages_back();
    test_the_guard_zone_stops_an_overflow();
    test_the_mapping_goes_with_its_thread();
    return check_summary();
}
