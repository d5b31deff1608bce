package org.objcap;

import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.objcap.internal.CPythonInstall;
import org.objcap.internal.Interpreters;
import org.objcap.internal.JarBinary;
import org.objcap.internal.NativeEngine;
import org.objcap.internal.ValueCodec;

// This file runs past 600 lines, most of them javadoc, because it is the
// whole public face of a sandbox: Sandbox's public methods and its Builder,
// which users name as Sandbox.Builder and which therefore stays nested here.
// The work is done in package-private classes: SandboxLifecycle (creation,
// closing, the broken state, the cleaner), SandboxCalls (the call path and
// the decoding of results), SandboxGrants (grants and host functions) and
// OutputWriter (a sandbox's output).

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
 * <p>By default the interpreter runs in a worker process of its own
 * ({@code objcap-worker}), confined by the kernel with seccomp, Landlock and
 * resource limits, so that a crash, a C-level endless loop or a memory bomb
 * kills only the worker: the call then throws {@link SandboxCrashedException}
 * (or {@link LimitExceededException} for a worker that was killed at its
 * time limit), the sandbox is closed, and the JVM and every other sandbox go
 * on. {@link Builder#inProcess()} runs the interpreter inside this JVM
 * instead, for code that is fallible rather than malicious.
 * {@link #isolation()} tells which mode and which confinements a sandbox has.
 *
 * <p>Every sandbox has limits, and safe ones by default (see
 * {@link Builder}): each call may run {@value #DEFAULT_TIMEOUT_SECONDS} s of
 * wall-clock time and {@value #DEFAULT_CPU_TIME_SECONDS} s of CPU time and
 * write {@value #DEFAULT_MAX_OUTPUT} bytes (10 MiB) of output; the sandbox
 * may hold {@value #DEFAULT_MEMORY_LIMIT} bytes (512 MiB) of memory and
 * recurse {@value #DEFAULT_RECURSION_LIMIT} frames deep. A call past one
 * throws {@link LimitExceededException}, which names it.
 *
 * <p>Any thread may call any method. Calls on one sandbox run one at a time;
 * {@link #close()} waits for a running call to end.
 */
public final class Sandbox implements AutoCloseable {
    /** Default wall-clock time limit per call, in seconds: 30. */
    public static final long DEFAULT_TIMEOUT_SECONDS = 30;
    /** Default CPU time limit per call, in seconds: 30. */
    public static final long DEFAULT_CPU_TIME_SECONDS = 30;
    /** Default memory limit of a sandbox, in bytes: 512 MiB. */
    public static final long DEFAULT_MEMORY_LIMIT = 512L << 20;
    /** Default output limit per call (stdout and stderr together), in bytes: 10 MiB. */
    public static final long DEFAULT_MAX_OUTPUT = 10L << 20;
    /** Default limit of one value copied out of a sandbox, in bytes of its encoding: 64 MiB. */
    public static final long DEFAULT_MAX_RESULT = 64L << 20;
    /** Default recursion limit, in frames: 1000. */
    public static final int DEFAULT_RECURSION_LIMIT = 1000;

    private static final String DEFAULT_FILE_NAME = "<sandbox>";

    private final Isolation isolation;
    private final SandboxLifecycle lifecycle;
    private final SandboxCalls calls;
    private final SandboxGrants grants;

    Sandbox(long handle, Object outputToken, Isolation isolation, Limits limits) {
        this.isolation = isolation;
        ReferenceTable references = new ReferenceTable(this);
        this.lifecycle = new SandboxLifecycle(this, handle, outputToken, references);
        this.calls = new SandboxCalls(this, lifecycle, limits, references);
        this.grants = new SandboxGrants(this, lifecycle, calls, limits, outputToken);
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
     * @throws LimitExceededException if a limit was hit (see
     *     {@link LimitExceededException} for whether the sandbox stays usable)
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
     * @throws LimitExceededException if a limit was hit (see
     *     {@link LimitExceededException} for whether the sandbox stays usable)
     * @throws IllegalArgumentException if the source holds a NUL character or
     *     a lone surrogate
     * @throws IllegalStateException if the sandbox is closed
     */
    public void exec(String source, String fileName) {
        calls.exec(source, fileName);
    }

    /**
     * Evaluates one expression.
     *
     * @param expression a Python expression
     * @return its value, converted to Java
     * @throws PythonException if the expression raised
     * @throws LimitExceededException if a limit was hit (see
     *     {@link LimitExceededException} for whether the sandbox stays usable)
     * @throws IllegalStateException if the sandbox is closed
     */
    public Object eval(String expression) {
        return calls.eval(expression);
    }

    /**
     * Calls a global function (or any callable global) of the sandbox.
     *
     * @param function the global's name
     * @param args the arguments, converted to Python ({@code null} elements
     *     become {@code None})
     * @return the return value, converted to Java
     * @throws PythonException if the function raised
     * @throws LimitExceededException if a limit was hit (see
     *     {@link LimitExceededException} for whether the sandbox stays usable)
     * @throws IllegalArgumentException if an argument cannot be converted
     * @throws IllegalStateException if the sandbox is closed
     */
    public Object call(String function, Object... args) {
        return calls.call(function, args);
    }

    /**
     * Sets a global of the sandbox's {@code __main__}.
     *
     * @param name the global's name
     * @param value the value, converted to Python ({@code null} is
     *     {@code None})
     * @throws IllegalArgumentException if the value cannot be converted
     * @throws LimitExceededException if a limit was hit (memory, as the
     *     value is built in the sandbox)
     * @throws IllegalStateException if the sandbox is closed
     */
    public void set(String name, Object value) {
        calls.set(name, value);
    }

    /**
     * Reads a global of the sandbox's {@code __main__}.
     *
     * @param name the global's name
     * @return its value, converted to Java
     * @throws PythonException ({@code NameError}) if there is no such global
     * @throws LimitExceededException if a limit was hit
     * @throws IllegalStateException if the sandbox is closed
     */
    public Object get(String name) {
        return calls.get(name);
    }

    /**
     * Grants a capability to the running sandbox under a global name (see
     * {@link Capability}); it is there for the next call. Waits for a
     * running call to end.
     *
     * <p>In process mode a directory can be granted here only if it is at
     * or beneath a directory granted through the builder with at least the
     * same access, because the worker's Landlock rules, which cover exactly
     * the builder's directories, are fixed when it starts.
     *
     * @param name a Python identifier not starting with two underscores; a
     *     global of that name is replaced
     * @param capability what to grant
     * @return the grant, to revoke it
     * @throws IllegalArgumentException if the name is not such an
     *     identifier, the value cannot be converted, or (in process mode)
     *     the directory is outside the builder's directories
     * @throws IllegalStateException if the sandbox is closed, or if called
     *     from inside one of its own host functions or output
     */
    public Grant grant(String name, Capability capability) {
        return grants.grant(name, capability);
    }

    /**
     * The capabilities granted so far, by name (the latest grant of each
     * name), revoked ones included.
     *
     * @return an unmodifiable snapshot
     */
    public Map<String, Grant> grants() {
        return grants.snapshot();
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
        return calls.denials();
    }

    /**
     * Reports how the sandbox is isolated from the host: in a worker process
     * (and under which kernel confinements) or inside this JVM. The report is
     * the one the engine gave when the sandbox was created; it stays
     * available after the sandbox is closed, when the worker it names is
     * gone.
     *
     * @return the sandbox's isolation
     */
    public Isolation isolation() {
        return isolation;
    }

    /**
     * Tells whether the sandbox is closed, by {@link #close()} or because it
     * crashed (its worker died or was killed).
     *
     * @return {@code true} if no more calls can be made
     */
    public boolean isClosed() {
        return lifecycle.isClosed();
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
        lifecycle.close();
    }

    @Override
    public String toString() {
        String mode = isolation.processIsolated() ? "process " + isolation.pid() : Isolation.IN_PROCESS;
        return "Sandbox[" + mode + " #" + lifecycle.handle() + (isClosed() ? ", closed]" : "]");
    }

    /**
     * The limits a sandbox was made with, each in its natural unit (see
     * {@link Limit}); 0 means none.
     */
    record Limits(
            long timeoutMillis, long cpuMillis, long memoryBytes, long outputBytes, long resultBytes, int recursion) {
        /** The value of one limit, 0 if none. */
        long of(Limit limit) {
            switch (limit) {
                case TIME:
                    return timeoutMillis;
                case CPU:
                    return cpuMillis;
                case MEMORY:
                    return memoryBytes;
                case OUTPUT:
                    return outputBytes;
                case RESULT:
                    return resultBytes;
                case RECURSION:
                    return recursion;
                default:
                    return 0;
            }
        }
    }

    /**
     * Configures and creates a {@link Sandbox}.
     *
     * <p>By default {@link #build()} makes a process-isolated sandbox: the
     * interpreter runs in an {@code objcap-worker} process (shipped in the
     * jar, extracted once to a private directory and checked against its
     * build-time hash before every start) under seccomp, Landlock,
     * {@code no_new_privs} and resource limits. If the kernel lacks seccomp
     * or Landlock, {@link #build()} refuses unless
     * {@link #allowWeakerIsolation()} was called. {@link #inProcess()} runs
     * the interpreter inside this JVM instead, which suits fallible, not
     * malicious, code: a crash there takes the JVM down.
     *
     * <p>A sandbox never runs unbounded unless the host asks for it by name.
     * The limits and their defaults:
     * <table>
     * <caption>Limits</caption>
     * <tr><th>Limit</th><th>Set with</th><th>Default</th><th>No limit</th></tr>
     * <tr><td>{@link Limit#TIME}, wall clock per call</td>
     *     <td>{@link #timeout(Duration)}</td><td>30 s</td>
     *     <td>{@link #unlimitedTime()}</td></tr>
     * <tr><td>{@link Limit#CPU}, CPU time per call</td>
     *     <td>{@link #cpuTime(Duration)}</td><td>30 s</td>
     *     <td>{@link #unlimitedCpuTime()}</td></tr>
     * <tr><td>{@link Limit#MEMORY}, held by the sandbox</td>
     *     <td>{@link #memoryLimit(long)}</td><td>512 MiB</td>
     *     <td>{@link #unlimitedMemory()}</td></tr>
     * <tr><td>{@link Limit#OUTPUT}, stdout + stderr per call</td>
     *     <td>{@link #maxOutput(long)}</td><td>10 MiB</td>
     *     <td>{@link #unlimitedOutput()}</td></tr>
     * <tr><td>{@link Limit#RESULT}, one value copied out</td>
     *     <td>{@link #maxResultSize(long)}</td><td>64 MiB</td>
     *     <td>{@link #unlimitedResultSize()}</td></tr>
     * <tr><td>{@link Limit#RECURSION}, Python frames</td>
     *     <td>{@link #recursionLimit(int)}</td><td>1000</td><td>(none)</td></tr>
     * </table>
     */
    public static final class Builder {
        private enum Mode {
            PROCESS,
            IN_PROCESS
        }

        /** The largest value the engine takes for a limit; larger ones are capped to it. */
        private static final long MAX_LIMIT = Long.MAX_VALUE / 4;
        /** The smallest memory limit a sandbox can start with, and a little room. */
        private static final long MIN_MEMORY_LIMIT = 1L << 20;

        private Mode mode = Mode.PROCESS;
        private Path python;
        private boolean allowWeakerIsolation;
        private boolean freshWorker;
        private OutputStream stdout;
        private OutputStream stderr;
        /** The limits, in their natural units; 0 means none. */
        private long timeoutMillis = DEFAULT_TIMEOUT_SECONDS * 1000;

        private long cpuMillis = DEFAULT_CPU_TIME_SECONDS * 1000;
        private long memoryBytes = DEFAULT_MEMORY_LIMIT;
        private long outputBytes = DEFAULT_MAX_OUTPUT;
        private long resultBytes = DEFAULT_MAX_RESULT;
        private int recursionLimit = DEFAULT_RECURSION_LIMIT;
        private final ModulePolicy policy = new ModulePolicy();
        private final Map<String, Capability> grants = new LinkedHashMap<>();

        private Builder() {}

        /**
         * Grants a capability under a global name when the sandbox is built
         * (see {@link Capability} and {@link Capabilities}); the grant is
         * then in {@link Sandbox#grants()}, to revoke it. In process mode the
         * worker's Landlock rules allow exactly the directories granted
         * here, each with its access.
         *
         * @param name a Python identifier not starting with two underscores
         * @param capability what to grant
         * @return this builder
         * @throws IllegalArgumentException if the name is empty, starts with
         *     two underscores or was already granted
         */
        public Builder grant(String name, Capability capability) {
            SandboxGrants.checkGrantName(name);
            Objects.requireNonNull(capability, "capability");
            if (grants.putIfAbsent(name, capability) != null) {
                throw new IllegalArgumentException("'" + name + "' is granted twice");
            }
            return this;
        }

        /**
         * Runs the interpreter inside this JVM rather than in a worker
         * process. Calls are faster and start-up is cheaper, but nothing
         * protects the JVM from a crash or a C-level endless loop in the
         * interpreter: use it for code that is fallible, not malicious.
         *
         * @return this builder
         */
        public Builder inProcess() {
            mode = Mode.IN_PROCESS;
            return this;
        }

        /**
         * Runs the interpreter in a confined worker process of its own (the
         * default); undoes {@link #inProcess()}.
         *
         * @return this builder
         */
        public Builder processIsolated() {
            mode = Mode.PROCESS;
            return this;
        }

        /**
         * Runs the sandbox on an installed CPython 3.11 to 3.14 instead of
         * the default: the CPython that objcap bundles through Maven
         * ({@code org.bytedeco:cpython}), or the interpreter that the system
         * property {@code objcap.python} names. objcap runs the interpreter
         * once ({@code -I -S}) to find its shared {@code libpython} and
         * standard library, and uses its engine for that minor version.
         *
         * <p>A process holds one CPython: in-process sandboxes all use the
         * CPython of the first sandbox this JVM built, and one on another
         * CPython must be process-isolated (the default).
         *
         * @param executable the interpreter, e.g. {@code /usr/bin/python3.11}
         * @return this builder
         * @throws NullPointerException if {@code executable} is null
         * @throws IllegalArgumentException if it is not an executable file
         */
        public Builder python(Path executable) {
            Objects.requireNonNull(executable, "executable");
            Path absolute = executable.toAbsolutePath().normalize();
            if (!Files.isRegularFile(absolute) || !Files.isExecutable(absolute)) {
                throw new IllegalArgumentException("not an executable file: " + absolute);
            }
            python = absolute;
            return this;
        }

        /**
         * Starts this sandbox's worker process from its program file
         * instead of forking it from the zygote: a process that started
         * CPython once, before any sandboxed code existed, and forks every
         * other worker of the same CPython (build() takes about 15 ms
         * instead of 30, and each worker shares the zygote's pages until
         * it writes them). A forked worker shares with the other workers
         * of its zygote what was random at the zygote's start: its
         * address-space layout, its stack canary and CPython's string-hash
         * secret. A compromised worker learns them for every other one,
         * which helps it only if it can also send data to another
         * sandbox (a hash flood, bounded by that sandbox's limits; or a
         * memory-corruption exploit that needs the layout). A fresh
         * worker has its own. Setting the environment variable
         * {@code OBJCAP_ZYGOTE=0} makes every worker fresh. No effect with
         * {@link #inProcess()}.
         *
         * @return this builder
         */
        public Builder freshWorker() {
            freshWorker = true;
            return this;
        }

        /**
         * Accepts a worker process that runs without seccomp or without
         * Landlock because the kernel lacks them (too old, or disabled).
         * Without this, {@link #build()} refuses such a sandbox.
         * {@link Sandbox#isolation()} tells what the worker got.
         *
         * @return this builder
         */
        public Builder allowWeakerIsolation() {
            allowWeakerIsolation = true;
            return this;
        }

        /**
         * Sets where the sandbox's {@code sys.stdout} goes (default
         * {@code System.out} as of {@link #build()}).
         *
         * @param out the stream; written and flushed on the thread running
         *     the call
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
         * @param err the stream; written and flushed on the thread running
         *     the call
         * @return this builder
         */
        public Builder stderr(OutputStream err) {
            this.stderr = Objects.requireNonNull(err, "err");
            return this;
        }

        /**
         * Limits the wall-clock time of each call (default
         * {@value Sandbox#DEFAULT_TIMEOUT_SECONDS} s). A call that takes
         * longer is stopped with a {@link LimitExceededException} for
         * {@link Limit#TIME}; {@code time.sleep} counts, and neither
         * {@code except BaseException} nor a looping {@code finally} outlasts
         * it. The sandbox stays usable, except that a process-isolated
         * sandbox whose worker is stuck in one long C call ({@code 9**9**9},
         * a catastrophic regular expression) has the worker killed half a second
         * after the deadline, which closes the sandbox. An in-process sandbox
         * cannot stop such a C call: the call returns when it ends.
         *
         * @param timeout the limit per call, positive, rounded up to
         *     milliseconds (no limit at all is {@link #unlimitedTime()})
         * @return this builder
         * @throws IllegalArgumentException if zero or negative
         */
        public Builder timeout(Duration timeout) {
            this.timeoutMillis = positiveMillis(timeout, "timeout", "unlimitedTime()");
            return this;
        }

        /**
         * Lets calls run for any wall-clock time. Then only the CPU time
         * limit ({@link #cpuTime(Duration)}) bounds a call, and nothing
         * bounds one that waits (e.g. in {@code time.sleep}); a
         * process-isolated worker stuck in a long C call is never killed.
         * Undone by {@link #timeout(Duration)}.
         *
         * @return this builder
         */
        public Builder unlimitedTime() {
            this.timeoutMillis = 0;
            return this;
        }

        /**
         * Limits the CPU time of each call (default
         * {@value Sandbox#DEFAULT_CPU_TIME_SECONDS} s): the time the
         * sandbox's interpreter thread spends computing during one call,
         * counted afresh for every call; waiting (sleep, output to a slow
         * stream) does not count. A call past it is stopped with a
         * {@link LimitExceededException} for {@link Limit#CPU}, and the
         * sandbox stays usable. The engine checks every 10 ms. A
         * process-isolated worker stuck in one long C call is ended by the
         * kernel (SIGXCPU, with a granularity of one second) soon after this
         * limit, which closes the sandbox; in-process, such a call runs on
         * until the C code returns.
         *
         * @param cpuTime the limit per call, positive, rounded up to
         *     milliseconds (no limit at all is {@link #unlimitedCpuTime()})
         * @return this builder
         * @throws IllegalArgumentException if zero or negative
         */
        public Builder cpuTime(Duration cpuTime) {
            this.cpuMillis = positiveMillis(cpuTime, "cpuTime", "unlimitedCpuTime()");
            return this;
        }

        /**
         * Lets calls use any CPU time; then only the wall-clock limit
         * ({@link #timeout(Duration)}) bounds them. Undone by
         * {@link #cpuTime(Duration)}.
         *
         * @return this builder
         */
        public Builder unlimitedCpuTime() {
            this.cpuMillis = 0;
            return this;
        }

        /**
         * Limits the memory the sandbox may hold (default
         * {@value Sandbox#DEFAULT_MEMORY_LIMIT} bytes, 512 MiB): what its
         * interpreter allocates for objects and buffers, counted across
         * calls (what globals hold stays counted). An allocation past it
         * fails, so Python raises {@code MemoryError} inside the sandbox, and
         * the call ends with a {@link LimitExceededException} for
         * {@link Limit#MEMORY} (even if the code caught the
         * {@code MemoryError}). The sandbox stays usable. In-process, memory
         * is attributed by thread; the JVM's heap is not involved in either
         * mode.
         *
         * @param bytes the limit, at least 1 MiB (a new sandbox already
         *     holds about half of that)
         * @return this builder
         * @throws IllegalArgumentException if less than 1 MiB (no limit at
         *     all is {@link #unlimitedMemory()})
         */
        public Builder memoryLimit(long bytes) {
            if (bytes > 0 && bytes < MIN_MEMORY_LIMIT) {
                throw new IllegalArgumentException("memoryLimit must be at least "
                        + MIN_MEMORY_LIMIT + " bytes (1 MiB), which the interpreter's own "
                        + "start-up state nearly fills: " + bytes);
            }
            this.memoryBytes = positive(bytes, "memoryLimit", "unlimitedMemory()");
            return this;
        }

        /**
         * Lets the sandbox hold any amount of memory (a process-isolated
         * worker still has its address-space limit). Undone by
         * {@link #memoryLimit(long)}.
         *
         * @return this builder
         */
        public Builder unlimitedMemory() {
            this.memoryBytes = 0;
            return this;
        }

        /**
         * Limits the output of each call, stdout and stderr together, in
         * bytes of UTF-8 (default {@value Sandbox#DEFAULT_MAX_OUTPUT} bytes,
         * 10 MiB). The output is cut exactly at the limit, and the call ends
         * there with a {@link LimitExceededException} for
         * {@link Limit#OUTPUT}; the sandbox stays usable, and the next call
         * may write as much again.
         *
         * @param bytes the limit per call, positive
         * @return this builder
         * @throws IllegalArgumentException if zero or negative (no limit at
         *     all is {@link #unlimitedOutput()})
         */
        public Builder maxOutput(long bytes) {
            this.outputBytes = positive(bytes, "maxOutput", "unlimitedOutput()");
            return this;
        }

        /**
         * Lets calls write any amount of output. Undone by
         * {@link #maxOutput(long)}.
         *
         * @return this builder
         */
        public Builder unlimitedOutput() {
            this.outputBytes = 0;
            return this;
        }

        /**
         * Limits the size of each value copied out of the sandbox (a call's
         * result, a global read with {@code get}), in bytes (default
         * {@value Sandbox#DEFAULT_MAX_RESULT} bytes, 64 MiB): both its
         * encoding and the Java heap its objects take, estimated per object
         * as they are decoded (an empty dict is one byte encoded but about
         * 170 on the heap), so the host never holds more than about twice
         * this for one value. A larger value ends the call
         * with a {@link LimitExceededException} for {@link Limit#RESULT};
         * the sandbox stays usable. A value also counts against the call's
         * time limit while the host decodes it.
         *
         * @param bytes the limit per value, positive
         * @return this builder
         * @throws IllegalArgumentException if zero or negative (no limit at
         *     all is {@link #unlimitedResultSize()})
         */
        public Builder maxResultSize(long bytes) {
            this.resultBytes = positive(bytes, "maxResultSize", "unlimitedResultSize()");
            return this;
        }

        /**
         * Lets values of any size out of the sandbox (still bounded by its
         * memory limit, and by 1 GiB per value). Undone by
         * {@link #maxResultSize(long)}.
         *
         * @return this builder
         */
        public Builder unlimitedResultSize() {
            this.resultBytes = 0;
            return this;
        }

        /**
         * Sets Python's recursion limit (default
         * {@value Sandbox#DEFAULT_RECURSION_LIMIT} frames); scripts cannot
         * change it, and the engine sizes its stack to it. Code that recurses
         * past it gets a {@code RecursionError} inside the sandbox; if that
         * escapes the call, the host gets a {@link LimitExceededException}
         * for {@link Limit#RECURSION} whose cause is the
         * {@link PythonException}. The sandbox stays usable. There is no
         * unlimited recursion.
         *
         * @param limit between 50 and 100000
         * @return this builder
         * @throws IllegalArgumentException if out of range
         */
        public Builder recursionLimit(int limit) {
            if (limit < 50 || limit > 100_000) {
                throw new IllegalArgumentException("recursion limit must be between 50 and 100000: " + limit);
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
         * The kind is looked up on the CPython this JVM runs, which is this
         * builder's {@link #python(Path)} if it is the first to load one;
         * for a process-isolated sandbox on another CPython, name the kind
         * where it differs between versions.
         *
         * @param name the module's name
         * @return this builder
         * @throws IllegalArgumentException if the name is empty or not a
         *     dotted Python identifier, or the embedded CPython has no such
         *     module
         * @throws SandboxException if CPython cannot be started
         */
        public Builder allowModule(String name) {
            // Asked of this JVM's CPython: the builder's, if none is loaded
            // yet (so call python(...) first).
            NativeEngine.prepare(Interpreters.resolve(python), false);
            policy.allow(ModulePolicy.kindOf(name), name);
            return this;
        }

        /**
         * Creates the sandbox: by default in a confined worker process,
         * after {@link #inProcess()} inside this JVM.
         *
         * @return a new, open sandbox
         * @throws IllegalArgumentException if the policy whitelists a
         *     dangerous module that {@link #allowDangerousModule(String)}
         *     does not name (the message names it)
         * @throws SandboxException if CPython cannot be started, the engine
         *     cannot make a sandbox, the worker binary is missing or was
         *     modified, or the kernel lacks seccomp or Landlock and
         *     {@link #allowWeakerIsolation()} was not called
         */
        public Sandbox build() {
            Object token = new Object();
            NativeEngine.OutputSink sink =
                    new OutputWriter(token, stdout != null ? stdout : System.out, stderr != null ? stderr : System.err);
            CPythonInstall install = Interpreters.resolve(python);
            NativeEngine.prepare(install, mode == Mode.IN_PROCESS);
            // Checked right before the spawn: a replaced file never runs.
            String worker =
                    mode == Mode.PROCESS ? JarBinary.worker(install.abiTag()).verifiedPath() : null;
            return SandboxLifecycle.create(
                    options(worker, install),
                    sink,
                    token,
                    mode == Mode.PROCESS,
                    allowWeakerIsolation,
                    limits(),
                    grants);
        }

        private byte[] options(String worker, CPythonInstall install) {
            Map<String, Object> options = new LinkedHashMap<>();
            if (worker != null) {
                options.put("worker", worker);
                if (freshWorker) {
                    options.put("fresh_worker", true);
                }
                options.put(
                        "worker_python",
                        List.of(
                                install.libpython().getParent().toString(),
                                install.stdlib().toString(),
                                install.dynload().toString()));
            }
            options.putAll(limitOptions());
            policy.addTo(options);
            // A worker's Landlock rules: exactly the granted directories.
            List<String> readDirs = new ArrayList<>();
            List<String> writeDirs = new ArrayList<>();
            for (Capability c : grants.values()) {
                if (c instanceof Capability.Directory dir) {
                    (dir.access() == Access.READ_WRITE ? writeDirs : readDirs)
                            .add(dir.path().toString());
                }
            }
            options.put("read_dirs", readDirs);
            options.put("write_dirs", writeDirs);
            return new ValueCodec(null).encode(options);
        }

        /** The limits as the engine's options (0 = none), every one always given. */
        Map<String, Object> limitOptions() {
            Map<String, Object> options = new LinkedHashMap<>();
            options.put("timeout_ms", timeoutMillis);
            options.put("cpu_ms", cpuMillis);
            options.put("memory_limit", memoryBytes);
            options.put("max_output", outputBytes);
            options.put("max_result", resultBytes);
            options.put("recursion_limit", recursionLimit);
            return options;
        }

        /** The limits the sandbox will have. */
        Limits limits() {
            return new Limits(timeoutMillis, cpuMillis, memoryBytes, outputBytes, resultBytes, recursionLimit);
        }

        /** A positive duration in milliseconds, rounded up and capped. */
        private static long positiveMillis(Duration d, String what, String unlimited) {
            Objects.requireNonNull(d, what);
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException(
                        what + " must be positive: " + d + " (for no limit at all, call " + unlimited + ")");
            }
            if (d.compareTo(Duration.ofMillis(MAX_LIMIT)) >= 0) {
                return MAX_LIMIT;
            }
            long millis = d.toMillis();
            return d.equals(Duration.ofMillis(millis)) ? millis : millis + 1;
        }

        private static long positive(long value, String what, String unlimited) {
            if (value <= 0) {
                throw new IllegalArgumentException(
                        what + " must be positive: " + value + " (for no limit at all, call " + unlimited + ")");
            }
            return Math.min(value, MAX_LIMIT);
        }
    }
}
