package org.objcap.internal;

import com.sun.jna.Callback;
import com.sun.jna.CallbackThreadInitializer;
import com.sun.jna.Library;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.IntByReference;
import com.sun.jna.ptr.LongByReference;
import com.sun.jna.ptr.PointerByReference;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.objcap.SandboxException;

/**
 * The JNA binding of {@code native/include/objcap.h}: the only class that
 * touches JNA. It moves bytes in and out and reports statuses; turning them
 * into values and exceptions is the caller's job.
 *
 * <p>The native library {@code libobjcap.so} is found by JNA on
 * {@code jna.library.path}, the system paths, or the class path (the jar
 * carries it under {@code linux-x86-64/}).
 */
public final class NativeEngine {
    /** Stream number of stdout in the output callback. */
    public static final int STDOUT = 1;
    /** Stream number of stderr in the output callback. */
    public static final int STDERR = 2;

    /**
     * The one output callback of all sandboxes; the {@code user} pointer
     * carries a sink id. One static callback, rather than one per sandbox,
     * because each JNA callback object owns a native trampoline that is freed
     * only after the object is garbage-collected, so short-lived sandboxes
     * would pile them up. Being static, it is also never collected while the
     * engine holds its function pointer.
     */
    private static final OutputCallback CALLBACK = new SinkCallback();
    /** Start-up is logged here; sandboxes log through the same name. */
    private static final System.Logger LOGGER = System.getLogger("org.objcap");

    /** Sinks by the id passed as the callback's user pointer. */
    private static final Map<Long, OutputSink> SINKS = new ConcurrentHashMap<>();

    /** Sink ids by sandbox handle, to forget the sink once the sandbox is destroyed. */
    private static final Map<Long, Long> SINK_OF_SANDBOX = new ConcurrentHashMap<>();

    private static final AtomicLong NEXT_SINK = new AtomicLong();

    /** The one host-function callback of all sandboxes (see CALLBACK). */
    private static final HostCallback HOST_CALLBACK = new HostDispatch();

    /** Host handlers by the id passed as the callback's user pointer. */
    private static final Map<Long, HostHandler> HANDLERS = new ConcurrentHashMap<>();

    /** Handler ids by sandbox handle, forgotten when the sandbox is destroyed. */
    private static final Map<Long, Long> HANDLER_OF_SANDBOX = new ConcurrentHashMap<>();

    static {
        Native.setCallbackThreadInitializer(HOST_CALLBACK,
                new CallbackThreadInitializer(true, false, "objcap-sandbox"));
        // Daemon: an engine thread must not keep the JVM alive. No detach:
        // the engine thread calls back often, and attaching each time is
        // slow; JNA detaches it when the thread ends.
        Native.setCallbackThreadInitializer(CALLBACK,
                new CallbackThreadInitializer(true, false, "objcap-sandbox"));
    }

    private static Result runtime; // guarded by NativeEngine.class

    private NativeEngine() {
    }

    /**
     * What a native call returned.
     *
     * @param status the {@code objcap_status}
     * @param data the returned buffer's bytes (a value on success, an error
     *     map otherwise), or {@code null} if the engine returned none
     */
    public record Result(int status, byte[] data) {
        /**
         * Tells whether the call succeeded.
         *
         * @return {@code true} for {@code OBJCAP_OK}
         */
        public boolean ok() {
            return status == ErrorDecoder.OK;
        }
    }

    /** Receives a sandbox's output; called on the sandbox's own thread. */
    @FunctionalInterface
    public interface OutputSink {
        /**
         * Takes a chunk of output.
         *
         * @param stream {@link #STDOUT} or {@link #STDERR}
         * @param data UTF-8 bytes
         */
        void write(int stream, byte[] data);
    }

    /** The C functions, one to one. Public because JNA proxies it. */
    public interface Lib extends Library {
        /**
         * {@code objcap_version}.
         *
         * @return a static C string
         */
        Pointer objcap_version();

        /**
         * {@code objcap_runtime_start}.
         *
         * @param stdlibDir NULL for the build's CPython
         * @param out error buffer
         * @param outLen its length
         * @return the status
         */
        int objcap_runtime_start(String stdlibDir, PointerByReference out, LongByReference outLen);

        /**
         * {@code objcap_sandbox_create}.
         *
         * @param options MessagePack options map
         * @param optionsLen its length
         * @param onOutput output callback, or null
         * @param user passed to the callback
         * @param sandbox receives the handle
         * @param out error buffer
         * @param outLen its length
         * @return the status
         */
        int objcap_sandbox_create(Pointer options, long optionsLen, OutputCallback onOutput,
                Pointer user, LongByReference sandbox, PointerByReference out,
                LongByReference outLen);

        /**
         * {@code objcap_sandbox_destroy}.
         *
         * @param sandbox the handle
         * @return the status
         */
        int objcap_sandbox_destroy(long sandbox);

        /**
         * {@code objcap_exec}.
         *
         * @param sandbox the handle
         * @param source UTF-8 source
         * @param sourceLen its length
         * @param filename UTF-8 file name
         * @param filenameLen its length
         * @param out result buffer
         * @param outLen its length
         * @return the status
         */
        int objcap_exec(long sandbox, Pointer source, long sourceLen, Pointer filename,
                long filenameLen, PointerByReference out, LongByReference outLen);

        /**
         * {@code objcap_eval}.
         *
         * @param sandbox the handle
         * @param expression UTF-8 expression
         * @param len its length
         * @param out result buffer
         * @param outLen its length
         * @return the status
         */
        int objcap_eval(long sandbox, Pointer expression, long len, PointerByReference out,
                LongByReference outLen);

        /**
         * {@code objcap_call}.
         *
         * @param sandbox the handle
         * @param name UTF-8 global name
         * @param nameLen its length
         * @param args MessagePack array
         * @param argsLen its length
         * @param out result buffer
         * @param outLen its length
         * @return the status
         */
        int objcap_call(long sandbox, Pointer name, long nameLen, Pointer args, long argsLen,
                PointerByReference out, LongByReference outLen);

        /**
         * {@code objcap_set}.
         *
         * @param sandbox the handle
         * @param name UTF-8 global name
         * @param nameLen its length
         * @param value MessagePack value
         * @param valueLen its length
         * @param out result buffer
         * @param outLen its length
         * @return the status
         */
        int objcap_set(long sandbox, Pointer name, long nameLen, Pointer value, long valueLen,
                PointerByReference out, LongByReference outLen);

        /**
         * {@code objcap_get}.
         *
         * @param sandbox the handle
         * @param name UTF-8 global name
         * @param nameLen its length
         * @param out result buffer
         * @param outLen its length
         * @return the status
         */
        int objcap_get(long sandbox, Pointer name, long nameLen, PointerByReference out,
                LongByReference outLen);

        /**
         * {@code objcap_release}.
         *
         * @param sandbox the handle
         * @param reference the reference handle
         * @return the status
         */
        int objcap_release(long sandbox, long reference);

        /**
         * {@code objcap_denials}.
         *
         * @param sandbox the handle
         * @param out result buffer
         * @param outLen its length
         * @return the status
         */
        int objcap_denials(long sandbox, PointerByReference out, LongByReference outLen);

        /**
         * {@code objcap_isolation}.
         *
         * @param sandbox the handle
         * @param out result buffer
         * @param outLen its length
         * @return the status
         */
        int objcap_isolation(long sandbox, PointerByReference out, LongByReference outLen);

        /**
         * {@code objcap_module_kind}.
         *
         * @param name UTF-8 module name
         * @param len its length
         * @param kind receives the {@code objcap_module_kind}
         * @return the status
         */
        int objcap_module_kind(Pointer name, long len, IntByReference kind);

        /**
         * {@code objcap_free}.
         *
         * @param buffer a buffer returned by the library, or NULL
         */
        void objcap_free(Pointer buffer);

        /**
         * {@code objcap_set_host_handler}.
         *
         * @param sandbox the handle
         * @param handler the callback
         * @param user passed to it
         * @return the status
         */
        int objcap_set_host_handler(long sandbox, HostCallback handler, Pointer user);

        /**
         * {@code objcap_reply_set}.
         *
         * @param reply the reply of a running host function
         * @param data MessagePack bytes
         * @param len their length
         * @return the status
         */
        int objcap_reply_set(Pointer reply, Pointer data, long len);

        /**
         * {@code objcap_grant_directory}.
         *
         * @param sandbox the handle
         * @param name UTF-8 global name
         * @param nameLen its length
         * @param path UTF-8 absolute path
         * @param pathLen its length
         * @param access 0 read-only, 1 read-write
         * @param grant receives the grant's id
         * @param out error buffer
         * @param outLen its length
         * @return the status
         */
        int objcap_grant_directory(long sandbox, Pointer name, long nameLen, Pointer path,
                long pathLen, int access, LongByReference grant, PointerByReference out,
                LongByReference outLen);

        /**
         * {@code objcap_grant_function}.
         *
         * @param sandbox the handle
         * @param name UTF-8 global name
         * @param nameLen its length
         * @param function the number passed back to the host handler
         * @param grant receives the grant's id
         * @param out error buffer
         * @param outLen its length
         * @return the status
         */
        int objcap_grant_function(long sandbox, Pointer name, long nameLen, long function,
                LongByReference grant, PointerByReference out, LongByReference outLen);

        /**
         * {@code objcap_grant_value}.
         *
         * @param sandbox the handle
         * @param name UTF-8 global name
         * @param nameLen its length
         * @param value MessagePack value
         * @param valueLen its length
         * @param grant receives the grant's id
         * @param out error buffer
         * @param outLen its length
         * @return the status
         */
        int objcap_grant_value(long sandbox, Pointer name, long nameLen, Pointer value,
                long valueLen, LongByReference grant, PointerByReference out,
                LongByReference outLen);

        /**
         * {@code objcap_revoke}.
         *
         * @param sandbox the handle
         * @param grant the grant's id
         * @return the status
         */
        int objcap_revoke(long sandbox, long grant);
    }

    /** The engine's host-function callback ({@code objcap_host_fn}). */
    public interface HostCallback extends Callback {
        /**
         * Runs a host function.
         *
         * @param user the handler id given with the callback
         * @param function the function's number
         * @param args MessagePack array of the arguments
         * @param len its length
         * @param reply where the result goes ({@code objcap_reply_set})
         * @return {@code OBJCAP_OK}, or {@code OBJCAP_ERR_PYTHON} with an
         *     error map as the reply
         */
        int invoke(Pointer user, long function, Pointer args, long len, Pointer reply);
    }

    /** Serves one sandbox's host functions. */
    @FunctionalInterface
    public interface HostHandler {
        /**
         * Runs host function {@code function}.
         *
         * @param function the number it was granted with
         * @param args MessagePack array of the arguments
         * @return {@code OBJCAP_OK} with a MessagePack value, or
         *     {@code OBJCAP_ERR_PYTHON} with an error map
         *     {@code {"type", "message"}}
         */
        Result call(long function, byte[] args);
    }

    private static final class HostDispatch implements HostCallback {
        @Override
        public int invoke(Pointer user, long function, Pointer args, long len, Pointer reply) {
            try {
                HostHandler handler = HANDLERS.get(Pointer.nativeValue(user));
                if (handler == null || len < 0 || len > Integer.MAX_VALUE) {
                    return ErrorDecoder.STATE;
                }
                byte[] bytes = args == null ? new byte[0] : args.getByteArray(0, (int) len);
                Result result = handler.call(function, bytes);
                byte[] data = result.data() == null ? new byte[0] : result.data();
                try (Memory m = copy(data)) {
                    lib().objcap_reply_set(reply, m, data.length);
                }
                return result.status();
            } catch (RuntimeException | Error e) {
                // Nothing may unwind into the engine's C frames.
                return ErrorDecoder.STATE;
            }
        }
    }

    /** {@code objcap_output_fn}. Public because JNA calls it reflectively. */
    public interface OutputCallback extends Callback {
        /**
         * Receives output.
         *
         * @param user the user pointer given at creation (unused)
         * @param stream {@link #STDOUT} or {@link #STDERR}
         * @param data UTF-8 bytes
         * @param len their count
         */
        void invoke(Pointer user, int stream, Pointer data, long len);
    }

    /** A named class, not a lambda, so that JNA can always reflect on it. */
    private static final class SinkCallback implements OutputCallback {
        @Override
        public void invoke(Pointer user, int stream, Pointer data, long len) {
            try {
                OutputSink sink = SINKS.get(Pointer.nativeValue(user));
                if (sink == null) {
                    return;
                }
                byte[] bytes = data == null || len <= 0 ? new byte[0]
                        : data.getByteArray(0, (int) Math.min(len, Integer.MAX_VALUE));
                sink.write(stream, bytes);
            } catch (RuntimeException e) {
                // An exception must not unwind into the engine's C frames.
            }
        }
    }

    /** Loaded on first use, so that merely loading classes needs no native code. */
    /**
     * The calls on every round trip, bound by JNA's direct mapping: arrays
     * instead of Memory and ByReference objects, and no proxy, which cuts
     * several microseconds off each call. {@code out} is an {@code uint8_t**}
     * and {@code out_len} a {@code size_t*}: on this 64-bit platform a
     * one-element {@code long[]} holds either. If the binding fails, the
     * interface mapping serves instead.
     */
    private static final class Direct {
        static final boolean READY;

        static {
            boolean ready = false;
            try {
                if (Holder.LIB != null) {
                    // The very library the interface mapping loaded (from the
                    // jar it may be an extracted copy): one engine, one registry.
                    NativeLibrary loaded = ((Library.Handler) Proxy.getInvocationHandler(
                            Holder.LIB)).getNativeLibrary();
                    Native.register(Direct.class, loaded);
                    ready = true;
                }
            } catch (UnsatisfiedLinkError | RuntimeException e) {
                // The interface mapping still works.
            }
            READY = ready;
        }

        static native int objcap_call(long sandbox, byte[] name, long nameLen, byte[] args,
                long argsLen, long[] out, long[] outLen);

        static native int objcap_eval(long sandbox, byte[] expression, long len, long[] out,
                long[] outLen);

        static native void objcap_free(long buffer);

        /** Copies and frees a buffer the engine returned. */
        static byte[] take(long address, long len) {
            if (address == 0) {
                return null;
            }
            try {
                if (len < 0 || len > Integer.MAX_VALUE - 8) {
                    throw new SandboxException("the engine returned a buffer of " + len
                            + " bytes");
                }
                return new Pointer(address).getByteArray(0, (int) len);
            } finally {
                objcap_free(address);
            }
        }
    }

    private static final class Holder {
        static final Lib LIB;
        static final Throwable FAILURE;

        static {
            Lib lib = null;
            Throwable failure = null;
            try {
                if (Native.SIZE_T_SIZE != 8) {
                    throw new UnsatisfiedLinkError("objcap needs a 64-bit JVM");
                }
                lib = Native.load("objcap", Lib.class);
            } catch (UnsatisfiedLinkError | RuntimeException e) {
                failure = e;
            }
            LIB = lib;
            FAILURE = failure;
        }
    }

    private static Lib lib() {
        if (Holder.LIB == null) {
            throw new SandboxException("cannot load the objcap native library (libobjcap.so): "
                    + Holder.FAILURE.getMessage(), Holder.FAILURE);
        }
        return Holder.LIB;
    }

    /**
     * Returns the library's version.
     *
     * @return e.g. {@code 0.1.0 (CPython 3.11.2)}
     * @throws SandboxException if the native library cannot be loaded
     */
    public static String version() {
        Pointer p = lib().objcap_version();
        return p == null ? "unknown" : p.getString(0, StandardCharsets.UTF_8.name());
    }

    /**
     * Starts CPython once per process; later calls return the first result.
     *
     * @return the result of the one start
     */
    public static synchronized Result startRuntime() {
        if (runtime == null) {
            PointerByReference out = new PointerByReference();
            LongByReference outLen = new LongByReference();
            int status = lib().objcap_runtime_start(null, out, outLen);
            runtime = new Result(status, take(out, outLen));
            LOGGER.log(runtime.ok() ? System.Logger.Level.DEBUG : System.Logger.Level.WARNING,
                    "embedded CPython {0}: objcap {1}", runtime.ok() ? "started" : "failed to start",
                    version());
        }
        return runtime;
    }

    /**
     * Creates a sandbox, starting CPython first if needed.
     *
     * @param options MessagePack options map
     * @param sink receives output; {@code null} discards it
     * @param handle receives the sandbox handle in element 0 on success
     * @return the result
     */
    public static Result create(byte[] options, OutputSink sink, long[] handle) {
        Result started = startRuntime();
        if (!started.ok()) {
            return started;
        }
        long sinkId = 0;
        if (sink != null) {
            // Ids start at 1: a NULL user pointer means "no sink".
            sinkId = NEXT_SINK.incrementAndGet();
            SINKS.put(sinkId, sink);
        }
        PointerByReference out = new PointerByReference();
        LongByReference outLen = new LongByReference();
        LongByReference id = new LongByReference();
        boolean created = false;
        try (Memory opts = copy(options)) {
            int status = lib().objcap_sandbox_create(opts, options.length,
                    sink == null ? null : CALLBACK, sink == null ? null : new Pointer(sinkId), id,
                    out, outLen);
            Result result = new Result(status, take(out, outLen));
            if (status == ErrorDecoder.OK) {
                handle[0] = id.getValue();
                if (sink != null) {
                    SINK_OF_SANDBOX.put(id.getValue(), sinkId);
                }
                created = true;
            }
            return result;
        } finally {
            if (!created && sink != null) {
                SINKS.remove(sinkId);
            }
        }
    }

    /**
     * Destroys a sandbox after its running call ends.
     *
     * @param sandbox the handle
     * @return the status
     */
    public static int destroy(long sandbox) {
        int status = lib().objcap_sandbox_destroy(sandbox);
        // Only now can the engine no longer write to the sink.
        Long sinkId = SINK_OF_SANDBOX.remove(sandbox);
        if (sinkId != null) {
            SINKS.remove(sinkId);
        }
        Long handlerId = HANDLER_OF_SANDBOX.remove(sandbox);
        if (handlerId != null) {
            HANDLERS.remove(handlerId);
        }
        return status;
    }

    /**
     * Sets the handler of a sandbox's host functions
     * ({@code objcap_set_host_handler}).
     *
     * @param sandbox the handle
     * @param handler serves its host functions until it is destroyed
     * @return the status
     */
    public static int setHostHandler(long sandbox, HostHandler handler) {
        long id = NEXT_SINK.incrementAndGet();
        HANDLERS.put(id, handler);
        int status = lib().objcap_set_host_handler(sandbox, HOST_CALLBACK, new Pointer(id));
        if (status == ErrorDecoder.OK) {
            HANDLER_OF_SANDBOX.put(sandbox, id);
        } else {
            HANDLERS.remove(id);
        }
        return status;
    }

    /**
     * Grants a directory ({@code objcap_grant_directory}).
     *
     * @param sandbox the handle
     * @param name UTF-8 global name
     * @param path UTF-8 absolute path
     * @param writable read-write rather than read-only
     * @param grant receives the grant's id
     * @return the result
     */
    public static Result grantDirectory(long sandbox, byte[] name, byte[] path, boolean writable,
            long[] grant) {
        PointerByReference out = new PointerByReference();
        LongByReference outLen = new LongByReference();
        LongByReference id = new LongByReference();
        try (Memory n = copy(name); Memory p = copy(path)) {
            int status = lib().objcap_grant_directory(sandbox, n, name.length, p, path.length,
                    writable ? 1 : 0, id, out, outLen);
            grant[0] = id.getValue();
            return new Result(status, take(out, outLen));
        }
    }

    /**
     * Grants a host function ({@code objcap_grant_function}).
     *
     * @param sandbox the handle
     * @param name UTF-8 global name
     * @param function the number the handler receives
     * @param grant receives the grant's id
     * @return the result
     */
    public static Result grantFunction(long sandbox, byte[] name, long function, long[] grant) {
        PointerByReference out = new PointerByReference();
        LongByReference outLen = new LongByReference();
        LongByReference id = new LongByReference();
        try (Memory n = copy(name)) {
            int status = lib().objcap_grant_function(sandbox, n, name.length, function, id, out,
                    outLen);
            grant[0] = id.getValue();
            return new Result(status, take(out, outLen));
        }
    }

    /**
     * Grants a value ({@code objcap_grant_value}).
     *
     * @param sandbox the handle
     * @param name UTF-8 global name
     * @param value MessagePack value
     * @param grant receives the grant's id
     * @return the result
     */
    public static Result grantValue(long sandbox, byte[] name, byte[] value, long[] grant) {
        PointerByReference out = new PointerByReference();
        LongByReference outLen = new LongByReference();
        LongByReference id = new LongByReference();
        try (Memory n = copy(name); Memory v = copy(value)) {
            int status = lib().objcap_grant_value(sandbox, n, name.length, v, value.length, id,
                    out, outLen);
            grant[0] = id.getValue();
            return new Result(status, take(out, outLen));
        }
    }

    /**
     * Revokes a grant ({@code objcap_revoke}); safe while a call runs.
     *
     * @param sandbox the handle
     * @param grant the grant's id
     * @return the status
     */
    public static int revoke(long sandbox, long grant) {
        return lib().objcap_revoke(sandbox, grant);
    }

    /**
     * Runs source as a module body.
     *
     * @param sandbox the handle
     * @param source UTF-8 source
     * @param fileName UTF-8 file name
     * @return the result
     */
    public static Result exec(long sandbox, byte[] source, byte[] fileName) {
        PointerByReference out = new PointerByReference();
        LongByReference outLen = new LongByReference();
        try (Memory src = copy(source); Memory file = copy(fileName)) {
            int status = lib().objcap_exec(sandbox, src, source.length, file, fileName.length,
                    out, outLen);
            return new Result(status, take(out, outLen));
        }
    }

    /**
     * Evaluates an expression.
     *
     * @param sandbox the handle
     * @param expression UTF-8 expression
     * @return the result; its data is the value
     */
    public static Result eval(long sandbox, byte[] expression) {
        if (Direct.READY) {
            long[] out = new long[1];
            long[] outLen = new long[1];
            int status = Direct.objcap_eval(sandbox, expression, expression.length, out, outLen);
            return new Result(status, Direct.take(out[0], outLen[0]));
        }
        PointerByReference out = new PointerByReference();
        LongByReference outLen = new LongByReference();
        try (Memory expr = copy(expression)) {
            int status = lib().objcap_eval(sandbox, expr, expression.length, out, outLen);
            return new Result(status, take(out, outLen));
        }
    }

    /**
     * Calls a global.
     *
     * @param sandbox the handle
     * @param name UTF-8 name
     * @param args MessagePack array of arguments
     * @return the result; its data is the value
     */
    public static Result call(long sandbox, byte[] name, byte[] args) {
        if (Direct.READY) {
            long[] out = new long[1];
            long[] outLen = new long[1];
            int status = Direct.objcap_call(sandbox, name, name.length, args, args.length, out,
                    outLen);
            return new Result(status, Direct.take(out[0], outLen[0]));
        }
        PointerByReference out = new PointerByReference();
        LongByReference outLen = new LongByReference();
        try (Memory n = copy(name); Memory a = copy(args)) {
            int status = lib().objcap_call(sandbox, n, name.length, a, args.length, out, outLen);
            return new Result(status, take(out, outLen));
        }
    }

    /**
     * Sets a global.
     *
     * @param sandbox the handle
     * @param name UTF-8 name
     * @param value MessagePack value
     * @return the result
     */
    public static Result set(long sandbox, byte[] name, byte[] value) {
        PointerByReference out = new PointerByReference();
        LongByReference outLen = new LongByReference();
        try (Memory n = copy(name); Memory v = copy(value)) {
            int status = lib().objcap_set(sandbox, n, name.length, v, value.length, out, outLen);
            return new Result(status, take(out, outLen));
        }
    }

    /**
     * Reads a global.
     *
     * @param sandbox the handle
     * @param name UTF-8 name
     * @return the result; its data is the value
     */
    public static Result get(long sandbox, byte[] name) {
        PointerByReference out = new PointerByReference();
        LongByReference outLen = new LongByReference();
        try (Memory n = copy(name)) {
            int status = lib().objcap_get(sandbox, n, name.length, out, outLen);
            return new Result(status, take(out, outLen));
        }
    }

    /**
     * Forgets a reference.
     *
     * @param sandbox the handle
     * @param reference the reference handle
     * @return the status
     */
    public static int release(long sandbox, long reference) {
        return lib().objcap_release(sandbox, reference);
    }

    /**
     * Reads what the sandbox was refused so far.
     *
     * @param sandbox the handle
     * @return the result; its data is the MessagePack map
     *     {@code {"count": int, "recent": [str...]}}
     */
    public static Result denials(long sandbox) {
        PointerByReference out = new PointerByReference();
        LongByReference outLen = new LongByReference();
        int status = lib().objcap_denials(sandbox, out, outLen);
        return new Result(status, take(out, outLen));
    }

    /**
     * Reads how the sandbox is isolated.
     *
     * @param sandbox the handle
     * @return the result; its data is the MessagePack map
     *     {@code {"mode": "in-process"}} or {@code {"mode": "process",
     *     "pid": int, "seccomp": bool, "landlock": int, "no_new_privs": bool,
     *     "rlimits": bool}}
     */
    public static Result isolation(long sandbox) {
        PointerByReference out = new PointerByReference();
        LongByReference outLen = new LongByReference();
        int status = lib().objcap_isolation(sandbox, out, outLen);
        return new Result(status, take(out, outLen));
    }

    /**
     * Finds what kind of module a name is on the embedded CPython, starting
     * CPython first if needed.
     *
     * @param name UTF-8 module name
     * @param kind receives the {@code objcap_module_kind} in element 0 on
     *     success ({@code 0} when there is no such module)
     * @return the result; on failure its data is an error map if the runtime
     *     could not be started, else {@code null}
     */
    public static Result moduleKind(byte[] name, int[] kind) {
        Result started = startRuntime();
        if (!started.ok()) {
            return started;
        }
        IntByReference k = new IntByReference();
        try (Memory n = copy(name)) {
            int status = lib().objcap_module_kind(n, name.length, k);
            if (status == ErrorDecoder.OK) {
                kind[0] = k.getValue();
            }
            return new Result(status, null);
        }
    }

    /**
     * Copies bytes to native memory. Never zero-sized, so that an empty
     * input still passes a valid (non-NULL) pointer with length 0.
     */
    private static Memory copy(byte[] bytes) {
        Memory m = new Memory(Math.max(1, bytes.length));
        m.write(0, bytes, 0, bytes.length);
        return m;
    }

    /** Copies a returned buffer into Java and frees it. */
    private static byte[] take(PointerByReference out, LongByReference outLen) {
        Pointer p = out.getValue();
        if (p == null) {
            return null;
        }
        try {
            long n = outLen.getValue();
            if (n < 0 || n > Integer.MAX_VALUE - 8) {
                throw new SandboxException("the engine returned a buffer of " + n + " bytes");
            }
            return p.getByteArray(0, (int) n);
        } finally {
            lib().objcap_free(p);
        }
    }
}
