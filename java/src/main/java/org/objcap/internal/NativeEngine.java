package org.objcap.internal;

import static org.objcap.internal.EngineLibrary.copy;
import static org.objcap.internal.EngineLibrary.lib;
import static org.objcap.internal.EngineLibrary.take;

import com.sun.jna.CallbackThreadInitializer;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.IntByReference;
import com.sun.jna.ptr.LongByReference;
import com.sun.jna.ptr.PointerByReference;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.objcap.SandboxException;
import org.objcap.internal.EngineLibrary.Direct;
import org.objcap.internal.EngineLibrary.OutputCallback;

/**
 * The JNA binding of {@code native/include/objcap.h}, its operations: the
 * runtime, and what is done with a sandbox handle (creating and destroying
 * it, with the output callback that carries its output, running code,
 * reading and setting values, releasing references, its reports). Grants
 * and host functions are bound in {@link NativeGrants}, the symbols they
 * all call in {@link EngineLibrary}; these are the only classes that touch
 * JNA. They move bytes in and out and report statuses; turning them into
 * values and exceptions is the caller's job.
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

    /** Ids of sinks, and of host handlers (NativeGrants): never 0. */
    static final AtomicLong NEXT_SINK = new AtomicLong();

    static {
        // Daemon: an engine thread must not keep the JVM alive. No detach:
        // the engine thread calls back often, and attaching each time is
        // slow; JNA detaches it when the thread ends.
        Native.setCallbackThreadInitializer(CALLBACK, new CallbackThreadInitializer(true, false, "objcap-sandbox"));
    }

    private static Result runtime; // guarded by NativeEngine.class

    private NativeEngine() {}

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

    /** A named class, not a lambda, so that JNA can always reflect on it. */
    private static final class SinkCallback implements OutputCallback {
        @Override
        public void invoke(Pointer user, int stream, Pointer data, long len) {
            try {
                OutputSink sink = SINKS.get(Pointer.nativeValue(user));
                if (sink == null) {
                    return;
                }
                byte[] bytes = data == null || len <= 0
                        ? new byte[0]
                        : data.getByteArray(0, (int) Math.min(len, Integer.MAX_VALUE));
                sink.write(stream, bytes);
            } catch (RuntimeException e) {
                // An exception must not unwind into the engine's C frames.
            }
        }
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
            runtime = EngineLibrary.started();
            LOGGER.log(
                    runtime.ok() ? System.Logger.Level.DEBUG : System.Logger.Level.WARNING,
                    "embedded CPython {0}: objcap {1}",
                    runtime.ok() ? "started" : "failed to start",
                    version());
        }
        return runtime;
    }

    /**
     * The CPython this JVM runs, loading the default one if none is yet.
     *
     * @return its install
     * @throws SandboxException if it cannot be loaded
     */
    public static CPythonInstall python() {
        return EngineLibrary.python();
    }

    /**
     * Loads the engine a new sandbox needs: for an in-process one, the
     * engine of its CPython, which must be the CPython of this JVM; for a
     * process-isolated one, any engine (it only spawns the worker), that of
     * its CPython if this JVM has none yet.
     *
     * @param python the sandbox's CPython
     * @param inProcess whether it runs in this JVM
     * @throws SandboxException if an in-process sandbox asks for a CPython
     *     other than the one this JVM runs, or loading fails
     */
    public static void prepare(CPythonInstall python, boolean inProcess) {
        if (inProcess || !EngineLibrary.isLoaded()) {
            EngineLibrary.load(python);
        }
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
            int status = lib().objcap_sandbox_create(
                            opts,
                            options.length,
                            sink == null ? null : CALLBACK,
                            sink == null ? null : new Pointer(sinkId),
                            id,
                            out,
                            outLen);
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
        NativeGrants.forgetHostHandler(sandbox);
        return status;
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
        try (Memory src = copy(source);
                Memory file = copy(fileName)) {
            int status = lib().objcap_exec(sandbox, src, source.length, file, fileName.length, out, outLen);
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
        if (FfmCalls.ready()) {
            return FfmCalls.eval(sandbox, expression);
        }
        if (JniCalls.ready()) {
            int[] status = new int[1];
            byte[] data = JniCalls.eval(sandbox, expression, status);
            return new Result(status[0], data);
        }
        CallScratch scratch = Direct.READY ? CallScratch.holding(expression, null) : null;
        if (scratch != null) {
            return scratch.run(s -> Direct.objcap_eval_into(
                    sandbox,
                    s.first(),
                    expression.length,
                    s.result(),
                    CallScratch.RESULT_CAPACITY,
                    s.out(),
                    s.outLen()));
        }
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
        if (FfmCalls.ready()) {
            return FfmCalls.call(sandbox, name, args);
        }
        if (JniCalls.ready()) {
            int[] status = new int[1];
            byte[] data = JniCalls.call(sandbox, name, args, status);
            return new Result(status[0], data);
        }
        CallScratch scratch = Direct.READY ? CallScratch.holding(name, args) : null;
        if (scratch != null) {
            return scratch.run(s -> Direct.objcap_call_into(
                    sandbox,
                    s.first(),
                    name.length,
                    s.second(name.length),
                    args.length,
                    s.result(),
                    CallScratch.RESULT_CAPACITY,
                    s.out(),
                    s.outLen()));
        }
        if (Direct.READY) {
            long[] out = new long[1];
            long[] outLen = new long[1];
            int status = Direct.objcap_call(sandbox, name, name.length, args, args.length, out, outLen);
            return new Result(status, Direct.take(out[0], outLen[0]));
        }
        PointerByReference out = new PointerByReference();
        LongByReference outLen = new LongByReference();
        try (Memory n = copy(name);
                Memory a = copy(args)) {
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
        try (Memory n = copy(name);
                Memory v = copy(value)) {
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
}
