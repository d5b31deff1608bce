/*
 * Which CPython versions have which bug: the one place that decides
 * whether a run-time guard or module hardening is installed.
 *
 * Decided by the running libpython's version (Py_Version), not by the
 * headers objcap was built with: one engine serves every patch release of
 * its minor version, and a host may bring an older one than the engine was
 * built against.  A guard is left off only from the first final release of
 * each minor that contains the upstream fix, as that release's Misc/NEWS
 * shows, with its corpus entry run on such a release without the guard to
 * confirm it; 0 means no release of that minor is known to be fixed, and a
 * minor not listed here keeps every guard.  A guard wrongly left off is a
 * use-after-free in the host's process, so in doubt the guard stays.
 *
 * Evidence for each entry (NEWS: the release's Misc/NEWS or NEWS.d file):
 *  - list_compare, gh-120298: NEWS 3.12.5 and 3.13.0b3; merged to main in
 *    June 2024, after 3.13 branched, so in every 3.14.  Not in 3.11.
 *  - deque_index, gh-115243 (the item held): NEWS 3.11.9, 3.12.3, 3.13.0a4.
 *    The guard also covers deque.index taking the first block before
 *    start/stop's __index__ runs; that needs the Argument Clinic
 *    conversion (gh-112050, NEWS 3.13.0a4), which 3.11 and 3.12 lack.
 *  - set_add_reentry, gh-141805 (duplicate gh-139071): set_add_entry
 *    restarts when the slot it remembered was filled meanwhile; NEWS
 *    3.13.12 and 3.14.3, none for 3.12 (security fixes only by then).
 *    The fix is in set_add_entry itself, so it covers _abc's PySet_Add too.
 *  - bytearray_resize: upstream fixes method by method (gh-142560 search,
 *    gh-142557 %, gh-143195 hex in 3.13.12/3.14.3; gh-132379 stores in
 *    3.13.6); the guard covers every read-only method, most never audited
 *    upstream: kept everywhere.
 *  - iterator_reentry: pairwise fixed (gh-109786, 3.13.0a3), but
 *    zip_longest/islice (gh-142732) and count (gh-154670) re-enter on
 *    3.14.3 (their corpus entries, plain CPython): kept everywhere.
 *  - struct_reinit: Struct re-initialization still reads out of bounds on
 *    3.14.3 (struct_reinit_oob_read.py, plain CPython): kept.
 *  - itertools_setstate: 3.14 has no itertools __setstate__ (pickling
 *    removed), so dropping it is a no-op there; kept for older versions.
 *  - partial_setstate: gh-144475 fixed in 3.13.13, gh-154189 not: kept.
 *  - c_ordereddict: gh-119004 fixed, gh-142637 and gh-142734 not (NEWS
 *    3.13.15): kept.  cmp_to_key, array stores: no upstream fix: kept.
 */
#include "base/base.h"
#include "bare/guards/guards.h"

/* PY_VERSION_HEX of a final release. */
#define FINAL(minor, micro)                                                   \
    (0x03000000UL | ((minor) << 16) | ((micro) << 8) | 0xF0)

enum { FIRST_MINOR = 11, LAST_MINOR = 14 };

typedef struct {
    const char *name;
    /* The first fixed release of 3.11, 3.12, 3.13, 3.14, or 0. */
    unsigned long fixed_from[LAST_MINOR - FIRST_MINOR + 1];
} cpython_bug;

static const cpython_bug bugs[OCAP_BUG_COUNT] = {
    [OCAP_BUG_LIST_COMPARE] = {"list_compare",
                               {0, FINAL(12, 5), FINAL(13, 0), FINAL(14, 0)}},
    [OCAP_BUG_DEQUE_INDEX] = {"deque_index",
                              {0, 0, FINAL(13, 0), FINAL(14, 0)}},
    [OCAP_BUG_SET_ADD_REENTRY] = {"set_add_reentry",
                                  {0, 0, FINAL(13, 12), FINAL(14, 3)}},
    [OCAP_BUG_BYTEARRAY_RESIZE] = {"bytearray_resize", {0}},
    [OCAP_BUG_ITERATOR_REENTRY] = {"iterator_reentry", {0}},
    [OCAP_BUG_STRUCT_REINIT] = {"struct_reinit", {0}},
    [OCAP_BUG_ITERTOOLS_SETSTATE] = {"itertools_setstate", {0}},
    [OCAP_BUG_PARTIAL_SETSTATE] = {"partial_setstate", {0}},
    [OCAP_BUG_C_ORDEREDDICT] = {"c_ordereddict", {0}},
    [OCAP_BUG_CMP_TO_KEY] = {"cmp_to_key", {0}},
    [OCAP_BUG_ARRAY_STORE] = {"array_store", {0}},
};

int
ocap_cpython_has_bug_in(ocap_cpython_bug bug, unsigned long version)
{
    if ((int)bug < 0 || bug >= OCAP_BUG_COUNT) {
        return 1; /* unknown: guard it */
    }
    unsigned long minor = (version >> 16) & 0xFF;
    if ((version >> 24) != 3 || minor < FIRST_MINOR || minor > LAST_MINOR) {
        return 1;
    }
    unsigned long fixed = bugs[bug].fixed_from[minor - FIRST_MINOR];
    return fixed == 0 || version < fixed;
}

int
ocap_cpython_has_bug(ocap_cpython_bug bug)
{
    return ocap_cpython_has_bug_in(bug, Py_Version);
}

const char *
ocap_cpython_bug_name(ocap_cpython_bug bug)
{
    if ((int)bug < 0 || bug >= OCAP_BUG_COUNT) {
        return NULL;
    }
    return bugs[bug].name;
}
