package org.objcap.internal;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import java.util.function.ToIntFunction;
import org.objcap.SandboxException;

/**
 * A thread's native memory for the short round trips ({@code call} and
 * {@code eval}): the engine's two out-parameters, then the name or
 * expression and the arguments, copied in with one JNI copy each; the
 * engine then copies a result that fits over the inputs
 * ({@code objcap_call_into}), which saves freeing it, a second native call.
 * JNA's direct mapping would instead copy every {@code byte[]} and {@code
 * long[]} argument into a fresh native buffer and back, four allocations
 * per call.
 * A round trip started while the thread's scratch is in use (a host
 * function that calls another sandbox) or too large for it gets none and
 * takes the array path.
 */
final class CallScratch {
    /** Room for the out-parameters and a short name and arguments. */
    static final int SIZE = 4096;

    private static final int OUT = 0;
    private static final int OUT_LEN = 8;
    private static final int INPUTS = 16;
    /** The largest result the engine copies into the scratch. */
    static final int RESULT_CAPACITY = SIZE - INPUTS;

    private static final ThreadLocal<CallScratch> MINE = ThreadLocal.withInitial(CallScratch::new);

    private final Memory memory = new Memory(SIZE);
    private final long base = Pointer.nativeValue(memory);
    private boolean busy;

    private CallScratch() {}

    /**
     * This thread's scratch, if it is free and holds these inputs.
     *
     * @param first the first input
     * @param second the second input, or {@code null}
     * @return the scratch, holding both inputs, or {@code null}
     */
    static CallScratch holding(byte[] first, byte[] second) {
        long size = (long) INPUTS + first.length + (second == null ? 0 : second.length);
        if (size > SIZE) {
            return null;
        }
        CallScratch s = MINE.get();
        if (s.busy) {
            return null;
        }
        s.busy = true;
        s.memory.write(INPUTS, first, 0, first.length);
        if (second != null) {
            s.memory.write(INPUTS + first.length, second, 0, second.length);
        }
        return s;
    }

    /** Address of the first input. */
    long first() {
        return base + INPUTS;
    }

    /**
     * Address of the second input.
     *
     * @param firstLength the first input's length
     * @return its address
     */
    long second(int firstLength) {
        return base + INPUTS + firstLength;
    }

    /** Address of the room for the result, where the inputs were. */
    long result() {
        return base + INPUTS;
    }

    /** Address of the {@code uint8_t *out} the engine fills. */
    long out() {
        return base + OUT;
    }

    /** Address of the {@code size_t out_len} the engine fills. */
    long outLen() {
        return base + OUT_LEN;
    }

    /**
     * Makes one engine call through the scratch and takes its result; the
     * scratch is free again afterwards, whatever happened.
     *
     * @param call the engine call, given this scratch's addresses
     * @return its status and result
     */
    NativeEngine.Result run(ToIntFunction<CallScratch> call) {
        try {
            int status = call.applyAsInt(this);
            return new NativeEngine.Result(status, takeResult());
        } finally {
            busy = false;
        }
    }

    private byte[] takeResult() {
        long length = memory.getLong(OUT_LEN);
        if (length > 0 && length <= RESULT_CAPACITY) {
            // objcap.h: a result that fits is always copied here; one read
            // less per call.
            return memory.getByteArray(INPUTS, (int) length);
        }
        long out = memory.getLong(OUT);
        if (out != result()) {
            return EngineLibrary.Direct.take(out, length);
        }
        if (length != 0) {
            throw new SandboxException("the engine wrote " + length + " bytes into " + RESULT_CAPACITY);
        }
        return new byte[0];
    }

    /** Frees the scratch without a call. */
    void release() {
        busy = false;
    }
}
