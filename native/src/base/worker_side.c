/*
 * Whether this process is objcap-worker: it serves one sandbox, spawns no
 * worker of its own, and trusts its host's checks of grants.  The worker's
 * main() sets it before anything else runs.
 */
#include "base/base.h"

int ocap_worker_side;
