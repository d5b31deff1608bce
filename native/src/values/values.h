/*
 * Values: Python objects to MessagePack and back (values.c), the check that
 * bytes are plausible MessagePack before any parse (wire.c), and error
 * reports (errors.c).  Uses base/ only.
 */
#ifndef OBJCAP_VALUES_VALUES_H
#define OBJCAP_VALUES_VALUES_H

#include "base/state.h"

/* errors.c: the largest error description (a 64 Ki-character message and
   up to 200 frames of 512-character names and lines, in UTF-8) */
#define OCAP_MAX_ERROR_REPORT (4u << 20)

/* values.c: a conversion failure that is not a Python exception */
typedef struct ocap_value_error {
    char message[200];
    int result_limit; /* the value passed the sandbox's max_result */
} ocap_value_error;
objcap_status ocap_value_pack(ocap_sandbox *sb, PyObject *obj,
                              msgpack_packer *pk, int depth,
                              ocap_value_error *err);
objcap_status ocap_value_to_buffer(ocap_sandbox *sb, PyObject *obj,
                                   uint8_t **out, size_t *out_len,
                                   ocap_value_error *err);
objcap_status ocap_value_from_buffer(ocap_sandbox *sb, const uint8_t *data,
                                     size_t len, PyObject **result,
                                     ocap_value_error *err);
int ocap_pack_text(msgpack_packer *pk, PyObject *str);

/* errors.c */
objcap_status ocap_error_plain(objcap_status status, const char *type,
                               const char *message, uint8_t **out,
                               size_t *out_len);
objcap_status ocap_error_plain_closing(objcap_status status, const char *type,
                                       const char *message, int closed,
                                       uint8_t **out, size_t *out_len);
PyObject *ocap_source_line(ocap_sandbox *sb, PyObject *filename, long line);
objcap_status ocap_error_from_python(ocap_sandbox *sb, uint8_t **out,
                                     size_t *out_len);

/* wire.c */
int ocap_wire_plausible(const uint8_t *data, size_t len);

/* The largest value one frame can carry (isolation/protocol.h checks
   that its OCAP_MAX_FRAME holds it). */
#define OCAP_MAX_VALUE (1u << 30)

#endif
