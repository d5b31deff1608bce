package org.objcap;

import java.io.IOException;
import java.io.OutputStream;
import java.lang.ref.Cleaner;
import java.lang.ref.Reference;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.LongFunction;
import org.objcap.internal.ErrorDecoder;
import org.objcap.internal.NativeEngine;
import org.objcap.internal.ReferenceCodec;
import org.objcap.internal.ValueCodec;
import org.objcap.internal.Wtf8;

/**
 * A Python sandbox: its own CPython (sub-)interpreter with its own globals
 * and modules, holding only what the host hands it.
 *
 * <pre>{@code
 * try (Sandbox sandbox = Sandbox.builder().timeout(Duration.ofSeconds(5)).build()) {
 *     sandbox.exec("def area(w, h):\n    return w * h\n");
 *     Object area = sandbox.call("area", 3, 4);   // 12L
 * }
 * }</pre>
 *
 * <p>Values cross by copy, converted as documented in
 * {@link org.objcap.internal.ValueCodec}: {@code null}, booleans, integers,
 * floating-point numbers, strings, {@code byte[]}, lists, maps and sets;
 * other Python objects come back as {@link PythonReference}s.
 *
 * <p>Any thread may call any method. Calls on one sandbox run one at a time;
 * {@link #close()} waits for a running call to end.
 */
public final class Sandbox implements AutoCloseable {
    private static final String DEFAULT_FILE_NAME = "<sandbox>";

    /** Destroys sandboxes that were never closed once they are unreachable. */
    private static final Cleaner CLEANER = Cleaner.create(r -> {
        Thread t = new Thread(r, "objcap-sandbox-cleaner");
        t.setDaemon(true);
        return t;
    });

    /** Which sandbox's output the current (engine) thread is delivering. */
    private static final ThreadLocal<Object> DELIVERING_FOR = new ThreadLocal<>();

    private final long handle;
    private final Object outputToken;
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private final ReferenceTable references = new ReferenceTable(this);
    private final ValueCodec codec = new ValueCodec(new References());
    private final Cleaner.Cleanable destroyer;
    private final DenialLog denialLog = new DenialLog();
    private volatile boolean closed;
    private volatile boolean crashed;

    private Sandbox(long handle, Object outputToken) {
        this.handle = handle;
        this.outputToken = outputToken;
        this.destroyer = CLEANER.register(this, new Destroyer(handle));
    }

    /**
     * Returns a builder for a sandbox with default settings.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Runs source code as the body of the sandbox's {@code __main__} module,
     * with the file name {@code <sandbox>}.
     *
     * @param source Python source
     * @throws PythonException if the code raised (a
     *     {@link PythonSyntaxException} if it does not compile)
     * @throws LimitExceededException if a limit was hit
     * @throws IllegalArgumentException if the source holds a NUL character or
     *     a lone surrogate
     * @throws IllegalStateException if the sandbox is closed
     */
    public void exec(String source) {
        exec(source, DEFAULT_FILE_NAME);
    }

    /**
     * Runs source code as the body of the sandbox's {@code __main__} module.
     *
     * @param source Python source
     * @param fileName the name that tracebacks show for this code
     * @throws PythonException if the code raised (a
     *     {@link PythonSyntaxException} if it does not compile)
     * @throws LimitExceededException if a limit was hit
     * @throws IllegalArgumentException if the source holds a NUL character or
     *     a lone surrogate
     * @throws IllegalStateException if the sandbox is closed
     */
    public void exec(String source, String fileName) {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(fileName, "fileName");
        ensureOpen();
        byte[] src = Wtf8.encode(source);
        byte[] file = Wtf8.encode(fileName);
        run(h -> NativeEngine.exec(h, src, file), false);
    }

    /**
     * Evaluates one expression.
     *
     * @param expression a Python expression
     * @return its value, converted to Java
     * @throws PythonException if the expression raised
     * @throws LimitExceededException if a limit was hit
     * @throws IllegalStateException if the sandbox is closed
     */
    public Object eval(String expression) {
        Objects.requireNonNull(expression, "expression");
        ensureOpen();
        byte[] expr = Wtf8.encode(expression);
        return run(h -> NativeEngine.eval(h, expr), true);
    }

    /**
     * Calls a global function (or any callable global) of the sandbox.
     *
     * @param function the global's name
     * @param args the arguments, converted to Python ({@code null} elements
     *     become {@code None})
     * @return the return value, converted to Java
     * @throws PythonException if the function raised
     * @throws LimitExceededException if a limit was hit
     * @throws IllegalArgumentException if an argument cannot be converted
     * @throws IllegalStateException if the sandbox is closed
     */
    public Object call(String function, Object... args) {
        Objects.requireNonNull(function, "function");
        Objects.requireNonNull(args, "args");
        ensureOpen();
        byte[] name = Wtf8.encode(function);
        byte[] packed = codec.encodeArray(args);
        try {
            return run(h -> NativeEngine.call(h, name, packed), true);
        } finally {
            // References among the arguments must not be released mid-call.
            Reference.reachabilityFence(args);
        }
    }

    /**
     * Sets a global of the sandbox's {@code __main__}.
     *
     * @param name the global's name
     * @param value the value, converted to Python ({@code null} is
     *     {@code None})
     * @throws IllegalArgumentException if the value cannot be converted
     * @throws IllegalStateException if the sandbox is closed
     */
    public void set(String name, Object value) {
        Objects.requireNonNull(name, "name");
        ensureOpen();
        byte[] n = Wtf8.encode(name);
        byte[] packed = codec.encode(value);
        try {
            run(h -> NativeEngine.set(h, n, packed), false);
        } finally {
            Reference.reachabilityFence(value);
        }
    }

    /**
     * Reads a global of the sandbox's {@code __main__}.
     *
     * @param name the global's name
     * @return its value, converted to Java
     * @throws PythonException ({@code NameError}) if there is no such global
     * @throws IllegalStateException if the sandbox is closed
     */
    public Object get(String name) {
        Objects.requireNonNull(name, "name");
        ensureOpen();
        byte[] n = Wtf8.encode(name);
        return run(h -> NativeEngine.get(h, n), true);
    }

    /**
     * Reports what the sandbox refused so far: attempts to reach files,
     * processes, frames, module globals and the like, counted by its audit
     * hook. May be called while another call runs in the sandbox. Each new
     * refusal is also logged at {@code DEBUG} on the {@code org.objcap}
     * {@link System.Logger} when that level is on.
     *
     * @return the count and the latest refused events
     * @throws IllegalStateException if the sandbox is closed
     */
    public Denials denials() {
        lock.readLock().lock();
        try {
            ensureOpen();
            return readDenials();
        } finally {
            lock.readLock().unlock();
            Reference.reachabilityFence(this);
        }
    }

    /**
     * Tells whether the sandbox is closed, by {@link #close()} or because it
     * crashed.
     *
     * @return {@code true} if no more calls can be made
     */
    public boolean isClosed() {
        return closed || crashed;
    }

    /**
     * Closes the sandbox and frees its interpreter. Waits for a running call
     * to end; does nothing if already closed. It cannot be called from the
     * sandbox's own output stream (that would wait for itself).
     *
     * @throws IllegalStateException if called while delivering this
     *     sandbox's output
     */
    @Override
    public void close() {
        if (DELIVERING_FOR.get() == outputToken) {
            throw new IllegalStateException("a sandbox cannot be closed from its own output");
        }
        lock.writeLock().lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            references.clear();
            destroyer.clean();
        } finally {
            lock.writeLock().unlock();
        }
    }

    @Override
    public String toString() {
        return "Sandbox[in-process #" + handle + (isClosed() ? ", closed]" : "]");
    }

    private void ensureOpen() {
        if (isClosed()) {
            throw new IllegalStateException("sandbox is closed");
        }
    }

    /** Makes one native call under the read lock, so close() cannot free the handle under it. */
    private Object run(LongFunction<NativeEngine.Result> call, boolean returnsValue) {
        lock.readLock().lock();
        try {
            ensureOpen();
            releaseUnreachableReferences();
            NativeEngine.Result result = call.apply(handle);
            denialLog.logNew(this, this::readDenials);
            if (result.ok()) {
                return returnsValue && result.data() != null ? codec.decode(result.data()) : null;
            }
            if (result.status() == ErrorDecoder.CRASHED) {
                crashed = true;
            }
            throw ErrorDecoder.toException(result.status(), result.data());
        } finally {
            lock.readLock().unlock();
            // The cleaner must not destroy the sandbox while a call is in it.
            Reference.reachabilityFence(this);
        }
    }

    /** Reads the engine's report; the caller holds the read lock. */
    private Denials readDenials() {
        NativeEngine.Result result = NativeEngine.denials(handle);
        if (!result.ok()) {
            throw ErrorDecoder.toException(result.status(), result.data());
        }
        return Denials.fromEngine(codec.decode(result.data()));
    }

    private void releaseUnreachableReferences() {
        for (long reference : references.drainPending()) {
            // A failure only means the engine already forgot it.
            NativeEngine.release(handle, reference);
        }
    }

    /** Converts this sandbox's references; refuses other sandboxes'. */
    private final class References implements ReferenceCodec {
        @Override
        public long handleOf(PythonReference reference) {
            if (reference.sandbox() != Sandbox.this) {
                throw new IllegalArgumentException(
                        "a PythonReference can only be used in the sandbox that made it");
            }
            return reference.handle();
        }

        @Override
        public PythonReference reference(long id, String typeName) {
            return references.intern(id, typeName);
        }
    }

    /** Destroys the native sandbox once, on close() or when unreachable. */
    private static final class Destroyer implements Runnable {
        private final long handle;

        Destroyer(long handle) {
            this.handle = handle;
        }

        @Override
        public void run() {
            // The status is ignored: a crashed sandbox is already gone.
            NativeEngine.destroy(handle);
        }
    }

    /** Writes a sandbox's output to the host's streams. */
    private static final class OutputWriter implements NativeEngine.OutputSink {
        private final Object token;
        private final OutputStream stdout;
        private final OutputStream stderr;

        OutputWriter(Object token, OutputStream stdout, OutputStream stderr) {
            this.token = token;
            this.stdout = stdout;
            this.stderr = stderr;
        }

        @Override
        public void write(int stream, byte[] data) {
            OutputStream target = stream == NativeEngine.STDERR ? stderr : stdout;
            DELIVERING_FOR.set(token);
            try {
                target.write(data);
                // The host should see output while the call still runs.
                target.flush();
            } catch (IOException e) {
                // A failing host stream must not fail the sandboxed code.
            } finally {
                DELIVERING_FOR.remove();
            }
        }
    }

    /**
     * Configures and creates a {@link Sandbox}.
     *
     * <p>Only the in-process mode exists in this version: the interpreter runs
     * inside this JVM, which suits fallible, not malicious, code. A mode with
     * a separate worker process will be added; {@link #build()} always makes
     * an in-process sandbox for now.
     */
    public static final class Builder {
        private enum Mode { IN_PROCESS }

        private Mode mode = Mode.IN_PROCESS;
        private OutputStream stdout;
        private OutputStream stderr;
        private Duration timeout;
        private Integer recursionLimit;
        private final ModulePolicy policy = new ModulePolicy();

        private Builder() {
        }

        /**
         * Runs the interpreter inside this JVM (the only mode so far).
         *
         * @return this builder
         */
        public Builder inProcess() {
            mode = Mode.IN_PROCESS;
            return this;
        }

        /**
         * Sets where the sandbox's {@code sys.stdout} goes (default
         * {@code System.out} as of {@link #build()}).
         *
         * @param out the stream; written and flushed on the sandbox's thread
         * @return this builder
         */
        public Builder stdout(OutputStream out) {
            this.stdout = Objects.requireNonNull(out, "out");
            return this;
        }

        /**
         * Sets where the sandbox's {@code sys.stderr} goes (default
         * {@code System.err} as of {@link #build()}).
         *
         * @param err the stream; written and flushed on the sandbox's thread
         * @return this builder
         */
        public Builder stderr(OutputStream err) {
            this.stderr = Objects.requireNonNull(err, "err");
            return this;
        }

        /**
         * Limits the wall-clock time of each call; a call that takes longer
         * is stopped with a {@link LimitExceededException}. Zero means no
         * limit (the default).
         *
         * @param timeout the limit per call, rounded up to milliseconds
         * @return this builder
         * @throws IllegalArgumentException if negative
         */
        public Builder timeout(Duration timeout) {
            Objects.requireNonNull(timeout, "timeout");
            if (timeout.isNegative()) {
                throw new IllegalArgumentException("timeout must not be negative: " + timeout);
            }
            this.timeout = timeout;
            return this;
        }

        /**
         * Sets Python's recursion limit ({@code sys.setrecursionlimit}).
         *
         * @param limit between 50 and 100000
         * @return this builder
         * @throws IllegalArgumentException if out of range
         */
        public Builder recursionLimit(int limit) {
            if (limit < 50 || limit > 100_000) {
                throw new IllegalArgumentException(
                        "recursion limit must be between 50 and 100000: " + limit);
            }
            this.recursionLimit = limit;
            return this;
        }

        /**
         * Lets scripts import a built-in (compiled-in) module, beyond the
         * default whitelist. It is allowed only as a built-in module.
         *
         * @param name the module's name, e.g. {@code "_bisect"}
         * @return this builder
         * @throws IllegalArgumentException if the name is empty or not a
         *     dotted Python identifier
         */
        public Builder allowBuiltinModule(String name) {
            policy.allow(ModulePolicy.Kind.BUILTIN, name);
            return this;
        }

        /**
         * Lets scripts import a frozen module (compiled into CPython as
         * bytecode), beyond the default whitelist. It is allowed only as a
         * frozen module.
         *
         * @param name the module's name
         * @return this builder
         * @throws IllegalArgumentException if the name is empty or not a
         *     dotted Python identifier
         */
        public Builder allowFrozenModule(String name) {
            policy.allow(ModulePolicy.Kind.FROZEN, name);
            return this;
        }

        /**
         * Lets scripts import a C extension module from CPython's
         * {@code lib-dynload}, beyond the default whitelist. It is allowed
         * only as an extension module.
         *
         * @param name the module's name
         * @return this builder
         * @throws IllegalArgumentException if the name is empty or not a
         *     dotted Python identifier
         */
        public Builder allowExtensionModule(String name) {
            policy.allow(ModulePolicy.Kind.EXTENSION, name);
            return this;
        }

        /**
         * Lets scripts import a pure-Python module of the standard library
         * (and, for a package, its submodules), beyond the default whitelist.
         * It is allowed only as a source module, and only its {@code .py}
         * file is ever read.
         *
         * @param name the module's name, e.g. {@code "shlex"}
         * @return this builder
         * @throws IllegalArgumentException if the name is empty or not a
         *     dotted Python identifier
         */
        public Builder allowSourceModule(String name) {
            policy.allow(ModulePolicy.Kind.SOURCE, name);
            return this;
        }

        /**
         * Lets scripts import the host's own pure-Python modules and
         * packages from a directory ({@code .py} files only; {@code .pyc}
         * files are never read). The path is resolved now, to an absolute
         * path without symbolic links.
         *
         * @param dir an existing directory
         * @return this builder
         * @throws IllegalArgumentException if it does not exist or is not a
         *     directory
         */
        public Builder allowSourcePath(Path dir) {
            policy.allowSourcePath(dir);
            return this;
        }

        /**
         * Accepts that a module which gives authority away wholesale
         * ({@code sys}, {@code os}, {@code posix}, {@code io}, ...; the full
         * list is in the engine's policy) may be whitelisted. It must still
         * be allowed by kind, e.g. with {@link #allowBuiltinModule(String)};
         * whitelisting such a module without this makes {@link #build()}
         * fail. Then scripts get the real module, not a stand-in.
         *
         * @param name the module's name
         * @return this builder
         * @throws IllegalArgumentException if the name is empty or not a
         *     dotted Python identifier
         */
        public Builder allowDangerousModule(String name) {
            policy.allowDangerous(name);
            return this;
        }

        /**
         * Lets scripts import a module, whatever kind it is on the embedded
         * CPython: looks the kind up and calls
         * {@link #allowBuiltinModule(String)},
         * {@link #allowFrozenModule(String)},
         * {@link #allowExtensionModule(String)} or
         * {@link #allowSourceModule(String)}. Starts CPython if needed.
         *
         * @param name the module's name
         * @return this builder
         * @throws IllegalArgumentException if the name is empty or not a
         *     dotted Python identifier, or the embedded CPython has no such
         *     module
         * @throws SandboxException if CPython cannot be started
         */
        public Builder allowModule(String name) {
            policy.allow(ModulePolicy.kindOf(name), name);
            return this;
        }

        /**
         * Creates the sandbox.
         *
         * @return a new, open sandbox
         * @throws IllegalArgumentException if the policy whitelists a
         *     dangerous module that {@link #allowDangerousModule(String)}
         *     does not name (the message names it)
         * @throws SandboxException if CPython cannot be started or the engine
         *     cannot make a sandbox
         */
        public Sandbox build() {
            // Only one mode exists; the field keeps the builder ready for more.
            assert mode == Mode.IN_PROCESS;
            Object token = new Object();
            NativeEngine.OutputSink sink = new OutputWriter(token,
                    stdout != null ? stdout : System.out,
                    stderr != null ? stderr : System.err);
            long[] handle = new long[1];
            NativeEngine.Result result = NativeEngine.create(options(), sink, handle);
            if (!result.ok()) {
                throw ErrorDecoder.toException(result.status(), result.data());
            }
            return new Sandbox(handle[0], token);
        }

        private byte[] options() {
            Map<String, Object> options = new LinkedHashMap<>();
            if (timeout != null) {
                options.put("timeout_ms", toMillisRoundingUp(timeout));
            }
            if (recursionLimit != null) {
                options.put("recursion_limit", recursionLimit);
            }
            policy.addTo(options);
            return new ValueCodec(null).encode(options);
        }

        private static long toMillisRoundingUp(Duration d) {
            if (d.compareTo(Duration.ofMillis(Long.MAX_VALUE)) >= 0) {
                return Long.MAX_VALUE;
            }
            long millis = d.toMillis();
            return d.equals(Duration.ofMillis(millis)) ? millis : millis + 1;
        }
    }
}
