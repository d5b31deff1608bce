/*
 * Whether this process is objcap-worker: it serves one sandbox, spawns no
 * worker of its own, and trusts its host's checks of grants.  The worker's
 * main() sets it before anything else runs.
 */
#include "base/base.h"

int ocap_worker_side;

/* While the zygote (native/worker/zygote.c) warms up: the code it compiles
   is kept for the workers it forks (code_cache.c). */
int ocap_zygote_warming;
