/*
 * Layer 4, capabilities (paper 5.3): the grant table and its lent
 * descriptors (grants.c), and the objects a sandbox holds: directories,
 * granted files, host functions (directory.c, granted_file.c,
 * host_function.c, cap_types.c, no_copy.c).  Uses bare/, values/, base/.
 */
#ifndef OBJCAP_CAPABILITIES_CAPABILITIES_H
#define OBJCAP_CAPABILITIES_CAPABILITIES_H

#include "base/state.h"

/* grants.c */
void ocap_grants_init(ocap_sandbox *sb);
void ocap_grants_clear_python(ocap_sandbox *sb); /* engine thread, GIL */
void ocap_grants_free(ocap_sandbox *sb);
objcap_status ocap_grant_table_revoke(ocap_sandbox *sb, uint64_t id);
ocap_grant *ocap_grant_new(uint64_t id, ocap_grant_kind kind, const char *name,
                           size_t name_len);
objcap_status ocap_grant_table_add(ocap_sandbox *sb, ocap_grant *g);
void ocap_grants_remove_revoked_values(ocap_sandbox *sb);
ocap_grant *ocap_grant_ref(ocap_grant *g);
void ocap_grant_unref(ocap_grant *g);
int ocap_grant_is_revoked(ocap_grant *g);
PyObject *ocap_grant_revoked_error(ocap_grant *g);
int ocap_lent_fd_register(ocap_grant *g, ocap_lent_fd *lent, int fd);
int ocap_lent_fd_use(ocap_grant *g, ocap_lent_fd *lent);
void ocap_lent_fd_done(ocap_grant *g, ocap_lent_fd *lent);
void ocap_lent_fd_close(ocap_grant *g, ocap_lent_fd *lent);
objcap_status ocap_grant_serve_host_call(ocap_sandbox *sb, uint64_t id,
                                         const uint8_t *args, size_t len,
                                         uint8_t **out, size_t *out_len);
struct objcap_reply {
    uint8_t *data;
    size_t len;
};

/* directory.c, granted_file.c, host_function.c: the objects */
int ocap_cap_types_ready(ocap_sandbox *sb);
void ocap_cap_types_clear(ocap_sandbox *sb);
PyObject *ocap_directory_new(ocap_sandbox *sb, ocap_grant *g);
PyObject *ocap_granted_file_open(ocap_sandbox *sb, ocap_grant *g, int fd,
                                 PyObject *name, const char *raw_mode,
                                 int readable, int writable);
PyObject *ocap_host_function_new(ocap_sandbox *sb, ocap_grant *g);
PyObject *ocap_directory_type_new(void);
PyObject *ocap_granted_file_type_new(void);
PyObject *ocap_host_function_type_new(void);
PyObject *ocap_cap_refuse_copy(PyObject *self, PyObject *args);
/* The methods every capability type has: copying and pickling refused. */
#define OCAP_CAP_NO_COPY_METHODS                                              \
    {"__reduce__", ocap_cap_refuse_copy, METH_VARARGS, NULL},                 \
        {"__reduce_ex__", ocap_cap_refuse_copy, METH_VARARGS, NULL},          \
        {"__copy__", ocap_cap_refuse_copy, METH_VARARGS, NULL},               \
        {"__deepcopy__", ocap_cap_refuse_copy, METH_VARARGS, NULL},           \
    {                                                                         \
        "__getstate__", ocap_cap_refuse_copy, METH_VARARGS, NULL              \
    }

#endif
