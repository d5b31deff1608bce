/*
 * This thread's stack: its bounds, the room left below the current frame,
 * and a large stack of the thread's own that a call moves onto when the
 * thread's stack is too small for a sandbox's recursion budget (a Java
 * thread's default 1 MiB on CPython 3.11 to 3.13, which count levels),
 * instead of handing the call to another thread.
 *
 * Only C code runs on the large stack, objcap's and CPython's.  A call out
 * to the host (a host function, an output callback) moves back onto the
 * thread's own stack first, right below the frame that left it, so the
 * JVM never meets a Java frame outside the stack it knows: its stack
 * banging, its overflow checks and its stack locks compare addresses with
 * the thread's bounds.  The move is a few instructions (ocap_switch_call):
 * no system call, no other thread.  A large stack is mapped once per thread
 * (and per level of host functions calling other sandboxes), reserved
 * rather than committed, with a guard zone below it, and unmapped when the
 * thread ends.
 */
#include "base/base.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#if defined(__x86_64__)
#include <x86intrin.h>
#define OCAP_CAN_SWITCH 1
/* switch_call(top, fn, arg, left): stores the stack pointer it leaves in
   *left, runs fn(arg) with the stack pointer at top (16-byte aligned) and
   returns on the stack it came from.  The frame pointer links the two
   stacks, for debuggers and profilers. */
__asm__(".text\n"
        ".p2align 4\n"
        ".type ocap_switch_call,@function\n"
        ".hidden ocap_switch_call\n"
        "ocap_switch_call:\n"
        ".cfi_startproc\n"
#if defined(__CET__)
        "endbr64\n"
#endif
        "pushq %rbp\n"
        ".cfi_def_cfa_offset 16\n"
        ".cfi_offset %rbp, -16\n"
        "movq %rsp, %rbp\n"
        ".cfi_def_cfa_register %rbp\n"
        "movq %rsp, (%rcx)\n"
        "movq %rdi, %rsp\n"
        "movq %rdx, %rdi\n"
        "callq *%rsi\n"
        "movq %rbp, %rsp\n"
        "popq %rbp\n"
        ".cfi_def_cfa %rsp, 8\n"
        "ret\n"
        ".cfi_endproc\n"
        ".size ocap_switch_call, .-ocap_switch_call\n");
void ocap_switch_call(char *top, void (*fn)(void *), void *arg, char **left);
#else
#define OCAP_CAN_SWITCH 0
#endif

#define GUARD_SIZE (64u * 1024)
/*
 * What a large stack keeps resident after a call: its top 256 KiB, a short
 * call's frames, the page of marker words under them, and what calls
 * since the last trim could touch.  Below that the pages are given back
 * (one madvise) after a call that overwrote a marker word (an ordinary
 * deep call), and in any case once the calls on the stack have run for
 * about 0.1 ms since the last trim: frames can skip marker words (a review
 * lined sorted()'s unwritten 2 KiB buffers up with all of them and kept
 * 13 MiB resident), but a page only becomes resident by a write, which
 * takes time.  The trim costs about 0.7 us, under 1% of the time it
 * follows; timing each call (two reads of the time-stamp counter) costs
 * 0.025 us.
 */
#define KEEP_SIZE (256u * 1024)
#define MARKS 2
#define MARK_SPACING 2048
/* The marks' page, under the kept top; it stays too. */
#define MARK_PAGE 4096u
static const uint64_t MARK = 0x6f626a6361702121u; /* "objcap!!" */
/* Time-stamp counter ticks: 0.1 ms at 3 GHz, 0.3 ms at 1 GHz. */
#define TRIM_TICKS 300000u

/* A host function may call another sandbox, whose call moves onto a large
   stack of the next level; deeper than this, calls are handed off. */
#define LEVELS 4

typedef struct {
    char *map; /* the whole mapping, guard zone first */
    size_t map_size;
    char *low; /* the usable part, above the guard zone */
    char *top;
    char *home;     /* the thread's own stack pointer while a call is on it */
    uint64_t ticks; /* spent on it since the last trim */
} large_stack;

/* One thread-local struct: one TLS lookup per function (the library is
   dlopen'ed, so each thread-local variable costs a __tls_get_addr). */
typedef struct {
    large_stack stacks[LEVELS];
    int levels_used; /* stacks[levels_used - 1] is the innermost call's */
    int on_large;
    int own_known;
    char *own_low, *own_high;
} thread_stacks;

static _Thread_local thread_stacks this_thread;
static pthread_key_t unmap_key;
static pthread_once_t unmap_once = PTHREAD_ONCE_INIT;

/* The thread's own stack, from the C library, once per thread. */
static void
own_bounds(thread_stacks *t, char **low, char **high)
{
    if (!t->own_known) {
        t->own_known = 1;
        pthread_attr_t attr;
        void *addr;
        size_t size;
        if (pthread_getattr_np(pthread_self(), &attr) == 0) {
            if (pthread_attr_getstack(&attr, &addr, &size) == 0) {
                t->own_low = addr;
                t->own_high = t->own_low + size;
            }
            pthread_attr_destroy(&attr);
        }
    }
    *low = t->own_low;
    *high = t->own_high;
}

void
ocap_stack_bounds(char **low, char **high)
{
    if (low == NULL || high == NULL) {
        return;
    }
    thread_stacks *t = &this_thread;
    if (t->on_large) {
        *low = t->stacks[t->levels_used - 1].low;
        *high = t->stacks[t->levels_used - 1].top;
        return;
    }
    own_bounds(t, low, high);
}

size_t
ocap_stack_room(void)
{
    char *low, *high;
    ocap_stack_bounds(&low, &high);
    char here;
    return low != NULL && &here > low ? (size_t)(&here - low) : 0;
}

int
ocap_stack_on_large(void)
{
    return this_thread.on_large;
}

#if OCAP_CAN_SWITCH
/* At the thread's end; the stacks are still in the ending thread's own
   variables. */
static void
unmap_at_exit(void *unused)
{
    large_stack *stacks = this_thread.stacks;
    for (int i = 0; i < LEVELS; i++) {
        if (stacks[i].map != NULL) {
            munmap(stacks[i].map, stacks[i].map_size);
        }
    }
    memset(stacks, 0, sizeof this_thread.stacks);
}

static void
make_unmap_key(void)
{
    if (pthread_key_create(&unmap_key, unmap_at_exit) != 0) {
        unmap_key = (pthread_key_t)-1;
    }
}

static uint64_t *
mark_at(large_stack *st, int i)
{
    return (uint64_t *)(st->top - KEEP_SIZE - (size_t)i * MARK_SPACING -
                        sizeof(uint64_t));
}

static void
set_marks(large_stack *st)
{
    for (int i = 0; i < MARKS; i++) {
        *mark_at(st, i) = MARK;
    }
}

/* After a call on it that took `ticks`: give back what calls touched
   below the kept top, if a mark was overwritten or they ran long enough. */
static void
trim_if_deep(large_stack *st, uint64_t ticks)
{
    int deep = 0;
    for (int i = 0; i < MARKS; i++) {
        deep |= *mark_at(st, i) != MARK;
    }
    st->ticks += ticks;
    if (deep || st->ticks >= TRIM_TICKS) {
        char *line = st->top - KEEP_SIZE - MARK_PAGE;
        (void)madvise(st->low, (size_t)(line - st->low), MADV_DONTNEED);
        if (deep) {
            set_marks(st);
        }
        st->ticks = 0;
    }
}

/* st, unused, with at least `size` bytes; 0 or -1. */
static int
map_large(large_stack *st, size_t size)
{
    pthread_once(&unmap_once, make_unmap_key);
    if (unmap_key == (pthread_key_t)-1) {
        return -1;
    }
    const size_t mib = 1u << 20;
    if (size > ((size_t)1 << 40)) {
        return -1; /* no budget asks this much; rounding must not wrap */
    }
    size = (size + mib - 1) / mib * mib;
    if (size < 2 * KEEP_SIZE) {
        size = 2 * KEEP_SIZE;
    }
    char *map = mmap(NULL, size + GUARD_SIZE, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK,
                     -1, 0);
    if (map == MAP_FAILED) {
        return -1;
    }
    if (mprotect(map, GUARD_SIZE, PROT_NONE) != 0) {
        munmap(map, size + GUARD_SIZE);
        return -1;
    }
    if (st->map != NULL) {
        munmap(st->map, st->map_size);
    }
    st->map = map;
    st->map_size = size + GUARD_SIZE;
    st->low = map + GUARD_SIZE;
    st->top = st->low + size;
    set_marks(st);
    /* Any value but NULL: the key's destructor then runs at the end. */
    pthread_setspecific(unmap_key, st);
    return 0;
}

/* OBJCAP_LARGE_STACK=0 hands such calls off instead: the tests run that
   path on purpose, and a host that meets a problem here can compare. */
static int enabled = -1;

static void
read_setting(void)
{
    const char *v = getenv("OBJCAP_LARGE_STACK");
    enabled = v == NULL || strcmp(v, "0") != 0;
}

int
ocap_stack_run_large(size_t size, void (*fn)(void *), void *arg)
{
    static pthread_once_t setting_once = PTHREAD_ONCE_INIT;
    pthread_once(&setting_once, read_setting);
    thread_stacks *t = &this_thread;
    if (fn == NULL || size == 0 || t->on_large || t->levels_used == LEVELS ||
        !enabled) {
        return -1;
    }
    large_stack *st = &t->stacks[t->levels_used];
    if ((size_t)(st->top - st->low) < size && map_large(st, size) < 0) {
        return -1;
    }
    t->levels_used++;
    t->on_large = 1;
    uint64_t start = __rdtsc();
    ocap_switch_call(st->top, fn, arg, &st->home);
    uint64_t ticks = __rdtsc() - start;
    t->on_large = 0;
    t->levels_used--;
    trim_if_deep(st, ticks);
    return 0;
}

void
ocap_stack_run_home(void (*fn)(void *), void *arg)
{
    if (fn == NULL) {
        return;
    }
    thread_stacks *t = &this_thread;
    if (!t->on_large) {
        fn(arg);
        return;
    }
    char *left; /* the large stack's pointer: nothing moves onto it */
    t->on_large = 0;
    ocap_switch_call(t->stacks[t->levels_used - 1].home, fn, arg, &left);
    t->on_large = 1;
}
#else
int
ocap_stack_run_large(size_t size, void (*fn)(void *), void *arg)
{
    return -1;
}

void
ocap_stack_run_home(void (*fn)(void *), void *arg)
{
    if (fn != NULL) {
        fn(arg);
    }
}
#endif
