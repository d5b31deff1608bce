package org.objcap.internal;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.ref.Reference;
import java.nio.file.Path;
import org.objcap.SandboxException;

/**
 * Java 22 and later: the engine's two short round trips, {@code call} and
 * {@code eval}, as downcalls of the Foreign Function and Memory API into
 * {@code objcap_call_into} and {@code objcap_eval_into}. The inputs are
 * copied into a native scratch of the calling thread and the result out of
 * it, without a JNI call per array (JniCalls makes eight). The engine file
 * is the one JNA loaded (one library, one registry). Bound only where
 * objcap's module has native access, as JniCalls is; otherwise JNI's or
 * JNA's path serves. Java 17 has a class of this name that binds nothing.
 */
final class FfmCalls {
    /** The out-parameters, then a short name and arguments; a result that fits is copied over them. */
    private static final int SIZE = 4096;

    private static final int OUT = 0;
    private static final int OUT_LEN = 8;
    private static final int INPUTS = 16;
    private static final int RESULT_CAPACITY = SIZE - INPUTS;

    private static volatile MethodHandle call;
    private static volatile MethodHandle eval;
    private static volatile MethodHandle free;
    private static volatile boolean off;

    /** Each thread's scratch while it is not lent out (a host function may call another sandbox). */
    private static final ThreadLocal<MemorySegment[]> SCRATCH = ThreadLocal.withInitial(() -> new MemorySegment[1]);

    private FfmCalls() {}

    /**
     * Binds the downcalls, once the engine is loaded.
     *
     * @param engine the path JNA loaded the engine from (verified)
     */
    static synchronized void bind(String engine) {
        if (call != null || !FfmCalls.class.getModule().isNativeAccessEnabled()) {
            return;
        }
        try {
            Linker linker = Linker.nativeLinker();
            SymbolLookup symbols = SymbolLookup.libraryLookup(Path.of(engine), Arena.global());
            // Pointers pass as 64-bit integers: a segment argument would
            // acquire and release its arena's session on every call (two
            // atomic updates each); FfmCalls keeps its scratch reachable
            // across the call itself.
            ValueLayout.OfLong word = ValueLayout.JAVA_LONG;
            FunctionDescriptor callType =
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, word, word, word, word, word, word, word, word, word);
            FunctionDescriptor evalType =
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, word, word, word, word, word, word, word);
            MethodHandle f =
                    linker.downcallHandle(symbols.find("objcap_free").orElseThrow(), FunctionDescriptor.ofVoid(word));
            MethodHandle e =
                    linker.downcallHandle(symbols.find("objcap_eval_into").orElseThrow(), evalType);
            MethodHandle c =
                    linker.downcallHandle(symbols.find("objcap_call_into").orElseThrow(), callType);
            free = f;
            eval = e;
            call = c;
        } catch (RuntimeException e) {
            call = null; // JNI's or JNA's path serves
        }
    }

    /**
     * Whether the downcalls are bound.
     *
     * @return {@code true} once {@link #bind} succeeded
     */
    static boolean ready() {
        return call != null && !off;
    }

    /**
     * Sends the round trips through JNI's or JNA's path, or back (tests).
     *
     * @param other whether to take the other path
     */
    static void useOther(boolean other) {
        off = other;
    }

    // call and eval are written out alike rather than sharing a helper that
    // takes the downcall as a lambda: that cost 0.02-0.05 us of a 0.52 us call.

    /**
     * {@code objcap_call_into}.
     *
     * @param sandbox the handle
     * @param name UTF-8 name
     * @param args MessagePack array of arguments
     * @return the engine's status and buffer
     */
    static NativeEngine.Result call(long sandbox, byte[] name, byte[] args) {
        MemorySegment s = take(name.length + (long) args.length);
        try {
            MemorySegment.copy(name, 0, s, ValueLayout.JAVA_BYTE, INPUTS, name.length);
            MemorySegment.copy(args, 0, s, ValueLayout.JAVA_BYTE, INPUTS + name.length, args.length);
            long base = s.address();
            int status = (int) call.invokeExact(
                    sandbox,
                    base + INPUTS,
                    (long) name.length,
                    base + INPUTS + name.length,
                    (long) args.length,
                    base + INPUTS,
                    s.byteSize() - INPUTS,
                    base + OUT,
                    base + OUT_LEN);
            return new NativeEngine.Result(status, result(s));
        } catch (Error | RuntimeException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        } finally {
            give(s);
            Reference.reachabilityFence(s); // its memory is the call's, until here
        }
    }

    /**
     * {@code objcap_eval_into}.
     *
     * @param sandbox the handle
     * @param expression UTF-8 expression
     * @return the engine's status and buffer
     */
    static NativeEngine.Result eval(long sandbox, byte[] expression) {
        MemorySegment s = take(expression.length);
        try {
            MemorySegment.copy(expression, 0, s, ValueLayout.JAVA_BYTE, INPUTS, expression.length);
            long base = s.address();
            int status = (int) eval.invokeExact(
                    sandbox,
                    base + INPUTS,
                    (long) expression.length,
                    base + INPUTS,
                    s.byteSize() - INPUTS,
                    base + OUT,
                    base + OUT_LEN);
            return new NativeEngine.Result(status, result(s));
        } catch (Error | RuntimeException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        } finally {
            give(s);
            Reference.reachabilityFence(s); // its memory is the call's, until here
        }
    }

    /** This thread's scratch if free and large enough, else a new one of the size needed. */
    private static MemorySegment take(long inputs) {
        MemorySegment[] mine = SCRATCH.get();
        MemorySegment s = mine[0];
        if (s != null && inputs <= RESULT_CAPACITY) {
            mine[0] = null;
            return s;
        }
        // Freed once unreachable: a thread's ends with the thread.
        return Arena.ofAuto().allocate(Math.max(SIZE, INPUTS + inputs), 8);
    }

    private static void give(MemorySegment s) {
        if (s.byteSize() == SIZE) {
            SCRATCH.get()[0] = s;
        }
    }

    /** The engine's buffer as bytes ({@code null} if it gave none); one it allocated is freed. */
    private static byte[] result(MemorySegment s) throws Throwable {
        long out = s.get(ValueLayout.JAVA_LONG, OUT);
        long length = s.get(ValueLayout.JAVA_LONG, OUT_LEN);
        if (out == 0) {
            return null;
        }
        long inputs = s.address() + INPUTS;
        if (out == inputs) {
            if (length < 0 || length > s.byteSize() - INPUTS) {
                throw new SandboxException("the engine reported a result larger than its buffer");
            }
            byte[] bytes = new byte[(int) length];
            MemorySegment.copy(s, ValueLayout.JAVA_BYTE, INPUTS, bytes, 0, bytes.length);
            return bytes;
        }
        try {
            if (length < 0 || length > Integer.MAX_VALUE - 8) {
                throw new SandboxException("the engine returned more than a Java array holds");
            }
            return MemorySegment.ofAddress(out).reinterpret(length).toArray(ValueLayout.JAVA_BYTE);
        } finally {
            free.invokeExact(out);
        }
    }
}
