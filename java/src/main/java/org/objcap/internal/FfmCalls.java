package org.objcap.internal;

/**
 * Java 17 to 21: no Foreign Function and Memory API, so nothing is bound
 * and JNI's or JNA's path serves. The multi-release jar holds the class of
 * this name for Java 22 and later ({@code src/main/java22}), which binds
 * {@code call} and {@code eval} as downcalls.
 */
final class FfmCalls {
    private FfmCalls() {}

    static void bind(String engine) {
        // Nothing to bind before Java 22.
    }

    static boolean ready() {
        return false;
    }

    static void useOther(boolean other) {
        // Nothing is bound.
    }

    static NativeEngine.Result call(long sandbox, byte[] name, byte[] args) {
        throw new UnsupportedOperationException("the FFM binding needs Java 22");
    }

    static NativeEngine.Result eval(long sandbox, byte[] expression) {
        throw new UnsupportedOperationException("the FFM binding needs Java 22");
    }
}
