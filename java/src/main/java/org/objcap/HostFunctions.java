package org.objcap;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.objcap.internal.ErrorDecoder;
import org.objcap.internal.NativeEngine;
import org.objcap.internal.NativeGrants;
import org.objcap.internal.ValueCodec;

/**
 * Serves one sandbox's host functions: the engine calls back with the
 * number a function was granted under, and the arguments as MessagePack.
 * A Java exception becomes an error map that the engine raises in Python as
 * {@code HostError}: the class name and message cross, the stack trace
 * (which names host classes and files) does not.
 */
final class HostFunctions implements NativeGrants.HostHandler {
    /** Longer messages are cut: the script does not need the host's essays. */
    private static final int MAX_MESSAGE = 4096;

    private final ValueCodec codec;
    private final long maxHeapBytes;
    private final Runnable enter;
    private final Runnable leave;
    private final Map<Long, HostFunction> functions = new ConcurrentHashMap<>();
    private final AtomicLong next = new AtomicLong();

    /**
     * @param codec the sandbox's value codec
     * @param maxHeapBytes the heap the arguments may take decoded (the
     *     sandbox's result size limit)
     * @param enter run before a function (marks the thread as inside one)
     * @param leave run after it
     */
    HostFunctions(ValueCodec codec, long maxHeapBytes, Runnable enter, Runnable leave) {
        this.codec = codec;
        this.maxHeapBytes = maxHeapBytes;
        this.enter = enter;
        this.leave = leave;
    }

    /** Registers a function; returns the number to grant it under. */
    long add(HostFunction function) {
        long number = next.incrementAndGet();
        functions.put(number, function);
        return number;
    }

    void remove(long number) {
        functions.remove(number);
    }

    @Override
    public NativeEngine.Result call(long number, byte[] args) {
        HostFunction function = functions.get(number);
        if (function == null) {
            return failure("java.lang.IllegalStateException", "no such host function");
        }
        enter.run();
        try {
            Object decoded;
            try {
                decoded = codec.decode(args, Long.MAX_VALUE, maxHeapBytes);
            } catch (ValueCodec.TooLargeException e) {
                // Raised in the script, like any failure of the function.
                return failure("org.objcap.LimitExceededException", e.getMessage());
            }
            List<Object> arguments =
                    decoded instanceof List<?> list ? Collections.unmodifiableList(new ArrayList<>(list)) : List.of();
            Object result = function.call(arguments);
            return new NativeEngine.Result(ErrorDecoder.OK, codec.encode(result));
        } catch (Exception | LinkageError | AssertionError e) {
            return failure(e.getClass().getName(), e.getMessage());
        } finally {
            leave.run();
        }
    }

    private NativeEngine.Result failure(String type, String message) {
        String text = message == null ? "" : message;
        if (text.length() > MAX_MESSAGE) {
            text = text.substring(0, MAX_MESSAGE) + "...";
        }
        Map<String, Object> error = new LinkedHashMap<>();
        error.put("type", type);
        error.put("message", text);
        return new NativeEngine.Result(ErrorDecoder.PYTHON, codec.encode(error));
    }
}
