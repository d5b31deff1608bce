/* objcap-worker --zygote: the warm image new workers are forked from. */
#ifndef OBJCAP_ZYGOTE_H
#define OBJCAP_ZYGOTE_H

/*
 * Starts CPython, warms the engine, then forks a worker for each request
 * of the host on fd 0 (zygote_protocol.h).  Returns 0 only in such a
 * child, whose sockets are at 0, 1 and 3 as a spawned worker's would be;
 * the zygote itself ends with the host.
 */
int ocap_zygote_serve(const char *stdlib_dir, const char *dynload_dir);

#endif
