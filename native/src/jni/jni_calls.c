/*
 * The Java binding's hot path: objcap_call_into and objcap_eval_into as
 * the native methods of org.objcap.internal.JniCalls.  A short round trip
 * is then one JNI call: the inputs are copied onto this frame, the result
 * comes back as a new byte[], and nothing goes through libffi (JNA's
 * direct mapping spent about 0.15 us of a 1.1 us round trip in its
 * dispatch).  Everything else stays on JNA.  Only the public API is used.
 */
#include "objcap.h"

#include <jni.h>
#include <stdint.h>
#include <stdlib.h>

/* Inputs, then the result, on this thread's stack; larger ones malloc'd. */
#define SCRATCH 4096

static void
throw_named(JNIEnv *env, const char *class_name, const char *message)
{
    jclass c = (*env)->FindClass(env, class_name);
    if (c != NULL) {
        (*env)->ThrowNew(env, c, message);
    }
}

/* The room for `need` bytes of inputs: `stack` or a new buffer; NULL with
   an OutOfMemoryError pending. */
static uint8_t *
room(JNIEnv *env, uint8_t *stack, size_t need, size_t *capacity)
{
    *capacity = need > SCRATCH ? need : SCRATCH;
    uint8_t *in = need > SCRATCH ? malloc(need) : stack;
    if (in == NULL) {
        throw_named(env, "java/lang/OutOfMemoryError",
                    "no native memory for the call's inputs");
    }
    return in;
}

/* The engine's answer as a byte[] (null as JNA's mapping gives it when
   the engine returned no buffer, or with an exception pending), its status
   in status[0]; a buffer the engine allocated is freed. */
static jbyteArray
answer(JNIEnv *env, objcap_status st, const uint8_t *in, uint8_t *out,
       size_t out_len, jintArray status)
{
    jbyteArray result = NULL;
    if ((*env)->ExceptionCheck(env)) {
        /* left by a host function's callback: it propagates */
    }
    else if (out_len > (size_t)INT32_MAX - 8) {
        throw_named(env, "org/objcap/SandboxException",
                    "the engine returned more than a Java array holds");
    }
    else {
        result = out != NULL ? (*env)->NewByteArray(env, (jsize)out_len)
                             : NULL;
        if (result != NULL && out_len > 0) {
            (*env)->SetByteArrayRegion(env, result, 0, (jsize)out_len,
                                       (const jbyte *)out);
        }
        if (out == NULL || result != NULL) {
            jint s = (jint)st;
            (*env)->SetIntArrayRegion(env, status, 0, 1, &s);
        }
    }
    if (out != in) {
        objcap_free(out);
    }
    return result;
}

static int
arguments_ok(JNIEnv *env, jbyteArray first, jbyteArray second,
             jintArray status)
{
    if (first == NULL || second == NULL || status == NULL) {
        throw_named(env, "java/lang/NullPointerException",
                    "a JniCalls argument is null");
        return 0;
    }
    if ((*env)->GetArrayLength(env, status) < 1) {
        throw_named(env, "java/lang/IllegalArgumentException",
                    "status must hold one int");
        return 0;
    }
    return 1;
}

JNIEXPORT jbyteArray JNICALL
Java_org_objcap_internal_JniCalls_call(JNIEnv *env, jclass cls, jlong sandbox,
                                       jbyteArray name, jbyteArray args,
                                       jintArray status)
{
    (void)cls;
    if (!arguments_ok(env, name, args, status)) {
        return NULL;
    }
    size_t name_len = (size_t)(*env)->GetArrayLength(env, name);
    size_t args_len = (size_t)(*env)->GetArrayLength(env, args);
    uint8_t stack[SCRATCH];
    size_t capacity;
    uint8_t *in = room(env, stack, name_len + args_len, &capacity);
    if (in == NULL) {
        return NULL;
    }
    (*env)->GetByteArrayRegion(env, name, 0, (jsize)name_len, (jbyte *)in);
    (*env)->GetByteArrayRegion(env, args, 0, (jsize)args_len,
                               (jbyte *)in + name_len);
    uint8_t *out = NULL;
    size_t out_len = 0;
    objcap_status st = objcap_call_into(
        (objcap_sandbox)sandbox, (const char *)in, name_len, in + name_len,
        args_len, in, capacity, &out, &out_len);
    jbyteArray result = answer(env, st, in, out, out_len, status);
    if (in != stack) {
        free(in);
    }
    return result;
}

JNIEXPORT jbyteArray JNICALL
Java_org_objcap_internal_JniCalls_eval(JNIEnv *env, jclass cls, jlong sandbox,
                                       jbyteArray expression, jintArray status)
{
    (void)cls;
    if (!arguments_ok(env, expression, expression, status)) {
        return NULL;
    }
    size_t len = (size_t)(*env)->GetArrayLength(env, expression);
    uint8_t stack[SCRATCH];
    size_t capacity;
    uint8_t *in = room(env, stack, len, &capacity);
    if (in == NULL) {
        return NULL;
    }
    (*env)->GetByteArrayRegion(env, expression, 0, (jsize)len, (jbyte *)in);
    uint8_t *out = NULL;
    size_t out_len = 0;
    objcap_status st = objcap_eval_into((objcap_sandbox)sandbox,
                                        (const char *)in, len, in, capacity,
                                        &out, &out_len);
    jbyteArray result = answer(env, st, in, out, out_len, status);
    if (in != stack) {
        free(in);
    }
    return result;
}

/* The class's probe: this engine has the hot path. */
JNIEXPORT jint JNICALL
Java_org_objcap_internal_JniCalls_present(JNIEnv *env, jclass cls)
{
    (void)env, (void)cls;
    return 1;
}
