package org.objcap.internal;

/**
 * The engine's two short round trips, {@code call} and {@code eval}, as JNI
 * methods of the engine itself ({@code native/src/jni/jni_calls.c}): one
 * JNI call each, the inputs copied onto its native frame and the result
 * returned as a new array, where JNA's direct mapping went through libffi
 * and needed a native scratch and, for a large result, a second call to
 * free it. Bound to the engine file that JNA loaded, so both reach one
 * engine and one registry; when it cannot be (an engine built without
 * {@code jni.h}, loaded by another class loader, or a JDK 24+ that does not
 * grant objcap native access) JNA's path is taken. From JDK 24 loading a
 * library is a restricted method: objcap only tries where its module has
 * native access ({@code --enable-native-access=objcap}, or
 * {@code ALL-UNNAMED} on the class path), so that it neither fails under
 * {@code --illegal-native-access=deny} nor adds a warning of its own.
 */
final class JniCalls {
    private static volatile boolean ready;
    private static volatile boolean off;

    private JniCalls() {}

    /**
     * Binds the engine's JNI methods, once the engine is loaded.
     *
     * @param engine the path JNA loaded the engine from (verified)
     */
    static synchronized void bind(String engine) {
        if (ready) {
            return;
        }
        if (!nativeAccessGranted()) {
            return; // JNA's path serves
        }
        try {
            System.load(engine);
            ready = present() == 1;
        } catch (UnsatisfiedLinkError | RuntimeException e) {
            ready = false; // JNA's path serves (IllegalCallerException too)
        }
    }

    /** Whether loading a library is allowed without a warning (JDK 24+ asks the module). */
    private static boolean nativeAccessGranted() {
        if (Runtime.version().feature() < 24) {
            return true;
        }
        try {
            Object granted = Module.class.getMethod("isNativeAccessEnabled").invoke(JniCalls.class.getModule());
            return Boolean.TRUE.equals(granted);
        } catch (ReflectiveOperationException | RuntimeException e) {
            return false;
        }
    }

    /**
     * Whether the JNI methods are bound.
     *
     * @return {@code true} once {@link #bind} succeeded
     */
    static boolean ready() {
        return ready && !off;
    }

    /**
     * Sends the round trips through JNA's path, or back (tests of that
     * path, which serves engines without the JNI methods).
     *
     * @param jna whether to take JNA's path
     */
    static void useJna(boolean jna) {
        off = jna;
    }

    /**
     * {@code objcap_call_into}.
     *
     * @param sandbox the handle
     * @param name UTF-8 name
     * @param args MessagePack array of arguments
     * @param status receives the engine's status in its first element
     * @return the engine's out buffer, or {@code null} if it gave none
     */
    static native byte[] call(long sandbox, byte[] name, byte[] args, int[] status);

    /**
     * {@code objcap_eval_into}.
     *
     * @param sandbox the handle
     * @param expression UTF-8 expression
     * @param status receives the engine's status in its first element
     * @return the engine's out buffer, or {@code null} if it gave none
     */
    static native byte[] eval(long sandbox, byte[] expression, int[] status);

    private static native int present();
}
