/* The worker's own namespaces (namespaces.c). */
#ifndef OBJCAP_NAMESPACES_H
#define OBJCAP_NAMESPACES_H

/*
 * Moves the single-threaded worker into new mount, network, IPC and UTS
 * namespaces (and a user namespace when it is not root) whose file system
 * holds only `readable` (read-only) and `writable` directories, at their
 * own paths, beneath an empty read-only root made on the current directory.
 * 1 when entered, 0 when the kernel refuses namespaces here (the worker
 * goes on without), -1 when they were entered but could not be set up.
 */
int ocap_enter_namespaces(const char *const *readable,
                          const char *const *writable);

#endif
