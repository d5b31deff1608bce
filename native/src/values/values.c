/*
 * Python objects to and from the MessagePack value format of objcap.h.
 * Only exact built-in types convert by value, read through the C API so no
 * Python code runs; anything else becomes a reference into the sandbox's
 * own table, usable only by that sandbox.
 */
#include "base/base.h"
#include "values/values.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static objcap_status
value_error(ocap_value_error *err, const char *message)
{
    snprintf(err->message, sizeof err->message, "%s", message);
    err->result_limit = 0;
    return OBJCAP_ERR_VALUE;
}

/* A type's name in a reference: the host shows it, and a class's name is
   as long as the script likes. */
#define MAX_TYPE_NAME 256

static int spend(size_t bytes);
static objcap_status over_budget(ocap_value_error *err);

/* str as UTF-8; lone surrogates in their 3-byte form ("WTF-8"). */
int
ocap_pack_text(msgpack_packer *pk, PyObject *str)
{
    Py_ssize_t size;
    const char *utf8 = PyUnicode_AsUTF8AndSize(str, &size);
    if (utf8 != NULL) {
        return msgpack_pack_str_with_body(pk, utf8, (size_t)size) == 0 ? 0
                                                                       : -1;
    }
    if (!PyErr_ExceptionMatches(PyExc_UnicodeEncodeError)) {
        return -1;
    }
    PyErr_Clear();
    PyObject *bytes = PyUnicode_AsEncodedString(str, "utf-8", "surrogatepass");
    if (bytes == NULL) {
        return -1;
    }
    int rc = msgpack_pack_str_with_body(pk, PyBytes_AS_STRING(bytes),
                                        (size_t)PyBytes_GET_SIZE(bytes));
    Py_DECREF(bytes);
    return rc == 0 ? 0 : -1;
}

static objcap_status
pack_bigint(PyObject *obj, msgpack_packer *pk)
{
    size_t bits = _PyLong_NumBits(obj);
    if (bits == (size_t)-1 && PyErr_Occurred()) {
        return OBJCAP_ERR_PYTHON;
    }
    /* Two's complement, big-endian, room for the sign: Java's
       BigInteger.toByteArray() reads exactly this. */
    PyObject *kwargs = Py_BuildValue("{s:O}", "signed", Py_True);
    PyObject *args = Py_BuildValue("(ns)", (Py_ssize_t)(bits / 8 + 1), "big");
    PyObject *to_bytes = PyObject_GetAttrString(obj, "to_bytes");
    PyObject *bytes = NULL;
    if (kwargs && args && to_bytes) {
        bytes = PyObject_Call(to_bytes, args, kwargs);
    }
    Py_XDECREF(kwargs);
    Py_XDECREF(args);
    Py_XDECREF(to_bytes);
    if (bytes == NULL) {
        return OBJCAP_ERR_PYTHON;
    }
    msgpack_pack_ext_with_body(pk, PyBytes_AS_STRING(bytes),
                               (size_t)PyBytes_GET_SIZE(bytes),
                               OBJCAP_EXT_BIGINT);
    Py_DECREF(bytes);
    return OBJCAP_OK;
}

static objcap_status
pack_reference(ocap_sandbox *sb, PyObject *obj, msgpack_packer *pk)
{
    if (sb->references == NULL) { /* the sandbox is ending */
        PyErr_SetString(PyExc_RuntimeError, "the sandbox is closing");
        return OBJCAP_ERR_PYTHON;
    }
    uint64_t id = ++sb->next_reference;
    PyObject *key = PyLong_FromUnsignedLongLong(id);
    if (key == NULL || PyDict_SetItem(sb->references, key, obj) < 0) {
        Py_XDECREF(key);
        return OBJCAP_ERR_PYTHON;
    }
    Py_DECREF(key);
    msgpack_sbuffer inner;
    msgpack_sbuffer_init(&inner);
    msgpack_packer ipk;
    msgpack_packer_init(&ipk, &inner, msgpack_sbuffer_write);
    msgpack_pack_array(&ipk, 2);
    msgpack_pack_uint64(&ipk, id);
    const char *name = Py_TYPE(obj)->tp_name;
    size_t len = strlen(name);
    if (len > MAX_TYPE_NAME) {
        len = MAX_TYPE_NAME;
        while (len > 0 && ((unsigned char)name[len] & 0xC0) == 0x80) {
            len--; /* not inside a UTF-8 sequence */
        }
    }
    msgpack_pack_str_with_body(&ipk, name, len);
    msgpack_pack_ext_with_body(pk, inner.data, inner.size,
                               OBJCAP_EXT_REFERENCE);
    msgpack_sbuffer_destroy(&inner);
    return OBJCAP_OK;
}

/* Items of a tuple, set or frozenset, packed as an array inside an ext. */
static objcap_status
pack_as_ext(ocap_sandbox *sb, PyObject *obj, int8_t ext, msgpack_packer *pk,
            int depth, ocap_value_error *err)
{
    PyObject *items = PySequence_List(obj);
    if (items == NULL) {
        return OBJCAP_ERR_PYTHON;
    }
    msgpack_sbuffer inner;
    msgpack_sbuffer_init(&inner);
    msgpack_packer ipk;
    msgpack_packer_init(&ipk, &inner, msgpack_sbuffer_write);
    objcap_status st = ocap_value_pack(sb, items, &ipk, depth, err);
    Py_DECREF(items);
    /* The payload is copied once more into the ext: charged again, so
       nesting cannot multiply the work past the budget. */
    if (st == OBJCAP_OK && spend(inner.size) < 0) {
        st = over_budget(err);
    }
    if (st == OBJCAP_OK) {
        msgpack_pack_ext_with_body(pk, inner.data, inner.size, ext);
    }
    msgpack_sbuffer_destroy(&inner);
    return st;
}

/*
 * What one value's copy may take (copy_cost): a list that holds the same
 * 1 MiB string a thousand times costs the sandbox 1 MiB but its copy
 * 1 GiB, in memory nobody charges (the host's, or unmetered buffers).
 * The sandbox's max_result bounds it, and its memory limit, else the
 * largest frame a worker may send.  Counted per item as the encoding goes,
 * before the bytes are written.
 */
static _Thread_local size_t pack_left;
static _Thread_local int pack_left_is_max_result;

static int
spend(size_t bytes)
{
    if (bytes > pack_left) {
        pack_left = 0;
        return -1;
    }
    pack_left -= bytes;
    return 0;
}

static objcap_status
over_budget(ocap_value_error *err)
{
    if (pack_left_is_max_result) {
        snprintf(err->message, sizeof err->message,
                 "the value is larger "
                 "than the sandbox's result size limit");
        err->result_limit = 1;
        return OBJCAP_ERR_VALUE;
    }
    return value_error(err,
                       "the value is too large to copy out of the "
                       "sandbox (its encoding would pass the sandbox's "
                       "memory limit)");
}

/*
 * What the host holds of one item's copy, at most: its encoding, and the
 * objects a Java host makes of it, which for small items weigh far more
 * (an empty dict is one byte encoded and a map of about 170 bytes in
 * Java).  ValueCodec.java charges the same amounts while it decodes, so a
 * value this engine lets out never fails there; keep them in step.  A
 * container's items are charged on their own.
 */
/* The length of str's UTF-8 (WTF-8: a lone surrogate takes 3 bytes). */
static size_t
utf8_length(PyObject *str)
{
    Py_ssize_t n = PyUnicode_GET_LENGTH(str);
    if (PyUnicode_IS_ASCII(str)) {
        return (size_t)n;
    }
    int kind = PyUnicode_KIND(str);
    const void *data = PyUnicode_DATA(str);
    size_t bytes = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        bytes += c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
    }
    return bytes;
}

static size_t
copy_cost(PyObject *obj)
{
    if (PyUnicode_CheckExact(obj)) {
        /* Java charges 48 and two per byte of its UTF-8. */
        return 8 + 48 + 2 * utf8_length(obj);
    }
    if (PyBytes_CheckExact(obj)) {
        return 8 + 24 + (size_t)PyBytes_GET_SIZE(obj);
    }
    if (PyLong_CheckExact(obj)) {
        size_t bytes = (size_t)_PyLong_NumBits(obj) / 8 + 1;
        return bytes <= 8 ? 8 + 24 : 8 + 24 + 48 + 2 * bytes + 9;
    }
    if (obj == Py_None || PyBool_Check(obj)) {
        return 9;
    }
    if (PyFloat_CheckExact(obj)) {
        return 8 + 24;
    }
    if (PyList_CheckExact(obj)) {
        return 8 + 48;
    }
    if (PyTuple_CheckExact(obj)) {
        return 8 + 48 + 24;
    }
    if (PyDict_CheckExact(obj)) {
        return 8 + 160 + 80 * (size_t)PyDict_GET_SIZE(obj);
    }
    if (PyAnySet_CheckExact(obj)) {
        return 8 + 160 + 80 * (size_t)PySet_GET_SIZE(obj);
    }
    size_t name = strlen(Py_TYPE(obj)->tp_name); /* a reference */
    return 8 + 320 + 48 +
        2 * (24 + (name < MAX_TYPE_NAME ? name : MAX_TYPE_NAME));
}

objcap_status
ocap_value_pack(ocap_sandbox *sb, PyObject *obj, msgpack_packer *pk, int depth,
                ocap_value_error *err)
{
    if (spend(copy_cost(obj)) < 0) {
        return over_budget(err);
    }
    if (obj == Py_None) {
        msgpack_pack_nil(pk);
        return OBJCAP_OK;
    }
    if (obj == Py_True || obj == Py_False) {
        obj == Py_True ? msgpack_pack_true(pk) : msgpack_pack_false(pk);
        return OBJCAP_OK;
    }
    if (PyLong_CheckExact(obj)) {
        int overflow = 0;
        long long v = PyLong_AsLongLongAndOverflow(obj, &overflow);
        if (overflow != 0) {
            return pack_bigint(obj, pk);
        }
        msgpack_pack_int64(pk, v);
        return OBJCAP_OK;
    }
    if (PyFloat_CheckExact(obj)) {
        msgpack_pack_double(pk, PyFloat_AS_DOUBLE(obj));
        return OBJCAP_OK;
    }
    if (PyUnicode_CheckExact(obj)) {
        return ocap_pack_text(pk, obj) == 0 ? OBJCAP_OK : OBJCAP_ERR_PYTHON;
    }
    if (PyBytes_CheckExact(obj)) {
        msgpack_pack_bin_with_body(pk, PyBytes_AS_STRING(obj),
                                   (size_t)PyBytes_GET_SIZE(obj));
        return OBJCAP_OK;
    }
    int is_list = PyList_CheckExact(obj), is_dict = PyDict_CheckExact(obj);
    int ext = PyTuple_CheckExact(obj) ? OBJCAP_EXT_TUPLE
        : PySet_CheckExact(obj)       ? OBJCAP_EXT_SET
        : PyFrozenSet_CheckExact(obj) ? OBJCAP_EXT_FROZENSET
                                      : 0;
    if (!is_list && !is_dict && !ext) {
        return pack_reference(sb, obj, pk);
    }
    if (depth >= OBJCAP_MAX_DEPTH) {
        return value_error(err, "the value nests deeper than 32 levels");
    }
    if (ext) {
        return pack_as_ext(sb, obj, (int8_t)ext, pk, depth, err);
    }
    /* No Python runs while a value is packed (ocap_value_to_buffer keeps
       the collector, and so finalizers, off), so containers cannot change
       under us; each item is held anyway while it is packed. */
    if (is_list) {
        Py_ssize_t n = PyList_GET_SIZE(obj);
        msgpack_pack_array(pk, (size_t)n);
        for (Py_ssize_t i = 0; i < n; i++) {
            if (i >= PyList_GET_SIZE(obj)) {
                return value_error(err,
                                   "the list changed while it was copied");
            }
            PyObject *item = Py_NewRef(PyList_GET_ITEM(obj, i));
            objcap_status st = ocap_value_pack(sb, item, pk, depth + 1, err);
            Py_DECREF(item);
            if (st != OBJCAP_OK) {
                return st;
            }
        }
        return OBJCAP_OK;
    }
    Py_ssize_t n = PyDict_GET_SIZE(obj);
    msgpack_pack_map(pk, (size_t)n);
    Py_ssize_t pos = 0, done = 0;
    PyObject *key, *value;
    while (PyDict_Next(obj, &pos, &key, &value)) {
        if (++done > n) {
            return value_error(err, "the dict changed while it was copied");
        }
        Py_INCREF(key);
        Py_INCREF(value);
        objcap_status st = ocap_value_pack(sb, key, pk, depth + 1, err);
        if (st == OBJCAP_OK) {
            st = ocap_value_pack(sb, value, pk, depth + 1, err);
        }
        Py_DECREF(key);
        Py_DECREF(value);
        if (st != OBJCAP_OK) {
            return st;
        }
    }
    if (done != n) {
        return value_error(err, "the dict changed while it was copied");
    }
    return OBJCAP_OK;
}

/* The references made for a copy that failed: nobody will hold them. */
static void
forget_references(ocap_sandbox *sb, uint64_t before)
{
    PyObject *exc = PyErr_GetRaisedException_compat();
    for (uint64_t id = before + 1;
         sb->references != NULL && id <= sb->next_reference; id++) {
        PyObject *key = PyLong_FromUnsignedLongLong(id);
        if (key == NULL || PyDict_DelItem(sb->references, key) < 0) {
            PyErr_Clear();
        }
        Py_XDECREF(key);
    }
    PyErr_SetRaisedException_compat(exc);
}

#define PACK_FIRST 256

objcap_status
ocap_value_to_buffer(ocap_sandbox *sb, PyObject *obj, uint8_t **out,
                     size_t *out_len, ocap_value_error *err)
{
    pack_left = sb->memory_limit > 0 ? (size_t)sb->memory_limit
                                     : (size_t)OCAP_MAX_VALUE;
    pack_left_is_max_result = sb->max_result > 0 &&
        (size_t)sb->max_result <= pack_left;
    if (pack_left_is_max_result) {
        pack_left = (size_t)sb->max_result;
    }
    msgpack_sbuffer sbuf;
    msgpack_sbuffer_init(&sbuf);
    /* Most results are a few bytes: a first buffer from malloc's
       per-thread cache, not msgpack-c's first 8 KiB (it doubles from
       here). */
    sbuf.data = malloc(PACK_FIRST);
    sbuf.alloc = sbuf.data != NULL ? PACK_FIRST : 0;
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sbuf, msgpack_sbuffer_write);
    /* Packing allocates (a tuple's items as a list, references' keys): a
       collection there would run the script's finalizers, which could
       empty the list being walked or start another copy on this thread
       (a red team freed a list's items this way and crashed the JVM). */
    int collecting = PyGC_Disable();
    uint64_t minted = sb->next_reference;
    objcap_status st = ocap_value_pack(sb, obj, &pk, 0, err);
    if (st != OBJCAP_OK) {
        forget_references(sb, minted);
    }
    if (collecting) {
        PyGC_Enable();
    }
    if (st == OBJCAP_OK) {
        return ocap_buffer_take(&sbuf, out, out_len);
    }
    msgpack_sbuffer_destroy(&sbuf);
    return st;
}

static objcap_status unpack(ocap_sandbox *sb, const msgpack_object *o,
                            int depth, PyObject **result,
                            ocap_value_error *err);

/* The first chunk of a decoding's zone: with msgpack-c's chunk header,
   within glibc's per-thread cache (1032 bytes). */
#define UNPACK_CHUNK 1016

/* Decodes exactly one value from data[0..len). */
static objcap_status
unpack_buffer(ocap_sandbox *sb, const char *data, size_t len, int depth,
              PyObject **result, ocap_value_error *err)
{
    if (!ocap_wire_plausible((const uint8_t *)data, len)) {
        return value_error(err,
                           "the value is not one well-formed MessagePack "
                           "object");
    }
    /* A zone of its own with a first chunk small enough for malloc's
       per-thread cache: msgpack_unpack_next's zone costs two allocations,
       one of 8 KiB, for every array (each call's arguments are one). */
    msgpack_zone zone;
    if (!msgpack_zone_init(&zone, UNPACK_CHUNK)) {
        return value_error(err, "no memory to decode the value");
    }
    msgpack_object object;
    size_t offset = 0;
    msgpack_unpack_return rc = msgpack_unpack(data, len, &offset, &zone,
                                              &object);
    objcap_status st;
    if (rc != MSGPACK_UNPACK_SUCCESS || offset != len) {
        st = value_error(err,
                         rc == MSGPACK_UNPACK_NOMEM_ERROR
                             ? "the value nests deeper than 32 levels"
                             : "the value is not one well-formed MessagePack "
                               "object");
    }
    else {
        st = unpack(sb, &object, depth, result, err);
    }
    msgpack_zone_destroy(&zone);
    return st;
}

static objcap_status
unpack_ext(ocap_sandbox *sb, const msgpack_object_ext *ext, int depth,
           PyObject **result, ocap_value_error *err)
{
    if (ext->type == OBJCAP_EXT_BIGINT) {
        if (ext->size == 0) {
            return value_error(err, "an empty big integer");
        }
        *result = _PyLong_FromByteArray((const unsigned char *)ext->ptr,
                                        ext->size, 0, 1);
        return *result ? OBJCAP_OK : OBJCAP_ERR_PYTHON;
    }
    if (ext->type == OBJCAP_EXT_REFERENCE) {
        msgpack_unpacked u;
        msgpack_unpacked_init(&u);
        size_t off = 0;
        objcap_status st = OBJCAP_OK;
        if (!ocap_wire_plausible((const uint8_t *)ext->ptr, ext->size) ||
            msgpack_unpack_next(&u, ext->ptr, ext->size, &off) !=
                MSGPACK_UNPACK_SUCCESS ||
            u.data.type != MSGPACK_OBJECT_ARRAY || u.data.via.array.size < 1 ||
            u.data.via.array.ptr[0].type != MSGPACK_OBJECT_POSITIVE_INTEGER) {
            st = value_error(err, "a malformed reference");
        }
        else {
            PyObject *key =
                PyLong_FromUnsignedLongLong(u.data.via.array.ptr[0].via.u64);
            PyObject *obj = key ? PyDict_GetItemWithError(sb->references, key)
                                : NULL;
            Py_XDECREF(key);
            if (obj != NULL) {
                *result = Py_NewRef(obj);
            }
            else {
                st = PyErr_Occurred()
                    ? OBJCAP_ERR_PYTHON
                    : value_error(err,
                                  "the reference was released or "
                                  "belongs to another sandbox");
            }
        }
        msgpack_unpacked_destroy(&u);
        return st;
    }
    if (ext->type != OBJCAP_EXT_TUPLE && ext->type != OBJCAP_EXT_SET &&
        ext->type != OBJCAP_EXT_FROZENSET) {
        return value_error(err, "an unknown MessagePack extension type");
    }
    PyObject *items = NULL;
    objcap_status st = unpack_buffer(sb, ext->ptr, ext->size, depth, &items,
                                     err);
    if (st != OBJCAP_OK) {
        return st;
    }
    if (!PyList_CheckExact(items)) {
        Py_DECREF(items);
        return value_error(err,
                           "a tuple or set whose payload is not an array");
    }
    *result = ext->type == OBJCAP_EXT_TUPLE ? PyList_AsTuple(items)
        : ext->type == OBJCAP_EXT_SET       ? PySet_New(items)
                                            : PyFrozenSet_New(items);
    Py_DECREF(items);
    if (*result == NULL) {
        if (PyErr_ExceptionMatches(PyExc_TypeError)) {
            PyErr_Clear();
            return value_error(err, "a set element is not hashable");
        }
        return OBJCAP_ERR_PYTHON;
    }
    return OBJCAP_OK;
}

static objcap_status
unpack_container(ocap_sandbox *sb, const msgpack_object *o, int depth,
                 PyObject **result, ocap_value_error *err)
{
    if (depth >= OBJCAP_MAX_DEPTH) {
        return value_error(err, "the value nests deeper than 32 levels");
    }
    if (o->type == MSGPACK_OBJECT_ARRAY) {
        PyObject *list = PyList_New((Py_ssize_t)o->via.array.size);
        if (list == NULL) {
            return OBJCAP_ERR_PYTHON;
        }
        for (uint32_t i = 0; i < o->via.array.size; i++) {
            PyObject *item = NULL;
            objcap_status st = unpack(sb, &o->via.array.ptr[i], depth + 1,
                                      &item, err);
            if (st != OBJCAP_OK) {
                Py_DECREF(list);
                return st;
            }
            PyList_SET_ITEM(list, i, item);
        }
        *result = list;
        return OBJCAP_OK;
    }
    PyObject *dict = PyDict_New();
    if (dict == NULL) {
        return OBJCAP_ERR_PYTHON;
    }
    for (uint32_t i = 0; i < o->via.map.size; i++) {
        PyObject *key = NULL, *value = NULL;
        objcap_status st = unpack(sb, &o->via.map.ptr[i].key, depth + 1, &key,
                                  err);
        if (st == OBJCAP_OK) {
            st = unpack(sb, &o->via.map.ptr[i].val, depth + 1, &value, err);
        }
        if (st == OBJCAP_OK && PyDict_SetItem(dict, key, value) < 0) {
            if (PyErr_ExceptionMatches(PyExc_TypeError)) {
                PyErr_Clear();
                st = value_error(err,
                                 "a map key is not hashable in Python "
                                 "(lists, maps and sets cannot be keys)");
            }
            else {
                st = OBJCAP_ERR_PYTHON;
            }
        }
        Py_XDECREF(key);
        Py_XDECREF(value);
        if (st != OBJCAP_OK) {
            Py_DECREF(dict);
            return st;
        }
    }
    *result = dict;
    return OBJCAP_OK;
}

static objcap_status
unpack(ocap_sandbox *sb, const msgpack_object *o, int depth, PyObject **result,
       ocap_value_error *err)
{
    switch (o->type) {
    case MSGPACK_OBJECT_NIL:
        *result = Py_NewRef(Py_None);
        return OBJCAP_OK;
    case MSGPACK_OBJECT_BOOLEAN:
        *result = PyBool_FromLong(o->via.boolean);
        return OBJCAP_OK;
    case MSGPACK_OBJECT_POSITIVE_INTEGER:
        *result = PyLong_FromUnsignedLongLong(o->via.u64);
        break;
    case MSGPACK_OBJECT_NEGATIVE_INTEGER:
        *result = PyLong_FromLongLong(o->via.i64);
        break;
    case MSGPACK_OBJECT_FLOAT32:
    case MSGPACK_OBJECT_FLOAT64:
        *result = PyFloat_FromDouble(o->via.f64);
        break;
    case MSGPACK_OBJECT_STR:
        *result = PyUnicode_DecodeUTF8(o->via.str.ptr, o->via.str.size,
                                       "surrogatepass");
        if (*result == NULL &&
            PyErr_ExceptionMatches(PyExc_UnicodeDecodeError)) {
            PyErr_Clear();
            return value_error(err, "a string is not valid UTF-8");
        }
        break;
    case MSGPACK_OBJECT_BIN:
        *result = PyBytes_FromStringAndSize(o->via.bin.ptr, o->via.bin.size);
        break;
    case MSGPACK_OBJECT_ARRAY:
    case MSGPACK_OBJECT_MAP:
        return unpack_container(sb, o, depth, result, err);
    case MSGPACK_OBJECT_EXT:
        if (depth >= OBJCAP_MAX_DEPTH) {
            return value_error(err, "the value nests deeper than 32 levels");
        }
        return unpack_ext(sb, &o->via.ext, depth, result, err);
    default:
        return value_error(err, "an unsupported MessagePack type");
    }
    return *result ? OBJCAP_OK : OBJCAP_ERR_PYTHON;
}

objcap_status
ocap_value_from_buffer(ocap_sandbox *sb, const uint8_t *data, size_t len,
                       PyObject **result, ocap_value_error *err)
{
    if (data == NULL || len == 0) {
        return value_error(err, "an empty value buffer");
    }
    return unpack_buffer(sb, (const char *)data, len, 0, result, err);
}
