package org.objcap;

import java.lang.ref.Cleaner;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.objcap.internal.ErrorDecoder;
import org.objcap.internal.NativeEngine;
import org.objcap.internal.ValueCodec;

/**
 * The life of one {@link Sandbox}: its creation (the native sandbox, the
 * isolation check, the builder's grants), its native handle and the lock
 * under which calls use it, the closed and broken states, closing, and the
 * cleaner that destroys a sandbox that was never closed. Also the guard
 * that keeps a thread serving a sandbox's output or host function from
 * calling or closing that sandbox.
 */
final class SandboxLifecycle {
    /** Destroys sandboxes that were never closed once they are unreachable. */
    private static final Cleaner CLEANER = CleanerThreads.create("objcap-sandbox-cleaner");

    /**
     * Which sandbox the current thread is serving from inside a call: its
     * output, or one of its host functions. Such a thread must not call the
     * sandbox (the call it serves holds it) nor close it.
     */
    static final ThreadLocal<Object> DELIVERING_FOR = new ThreadLocal<>();

    private final long handle;
    private final Object outputToken;
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private final ReferenceTable references;
    private final Cleaner.Cleanable destroyer;
    /** The native sandbox is destroyed (by close() or after it broke). */
    private volatile boolean closed;
    /** The engine said the sandbox can no longer be used (its worker is gone). */
    private volatile boolean broken;

    /**
     * Registers the sandbox with the cleaner.
     *
     * @param sandbox the sandbox whose unreachability destroys the native
     *     one (not this object, which the sandbox's parts share)
     * @param handle the native sandbox
     * @param outputToken marks the threads serving this sandbox (see
     *     {@link #DELIVERING_FOR})
     * @param references the sandbox's references, forgotten on destroy
     */
    SandboxLifecycle(Sandbox sandbox, long handle, Object outputToken, ReferenceTable references) {
        this.handle = handle;
        this.outputToken = outputToken;
        this.references = references;
        this.destroyer = CLEANER.register(sandbox, new Destroyer(handle));
    }

    /**
     * Creates the native sandbox and the {@link Sandbox} over it, then makes
     * the builder's grants; see {@link Sandbox.Builder#build()}.
     *
     * @param options the engine's options
     * @param sink receives the sandbox's output
     * @param token marks the threads that deliver its output
     * @param process whether a worker process was asked for
     * @param allowWeakerIsolation whether a worker without seccomp or
     *     Landlock is accepted
     * @param limits the sandbox's limits
     * @param grants the builder's grants, by name
     */
    static Sandbox create(
            byte[] options,
            NativeEngine.OutputSink sink,
            Object token,
            boolean process,
            boolean allowWeakerIsolation,
            Sandbox.Limits limits,
            Map<String, Capability> grants) {
        long[] handle = new long[1];
        NativeEngine.Result result = NativeEngine.create(options, sink, handle);
        if (!result.ok()) {
            throw ErrorDecoder.toException(result.status(), result.data());
        }
        Isolation isolation;
        try {
            isolation = readIsolation(handle[0]);
            if (process && !isolation.processIsolated()) {
                throw new SandboxException(
                        "the engine made an in-process sandbox" + " where a worker process was asked for");
            }
            List<String> missing = isolation.missingConfinements();
            if (!missing.isEmpty() && !allowWeakerIsolation) {
                throw new SandboxException("refusing a weakly isolated sandbox: this kernel "
                        + "does not provide " + String.join(" or ", missing)
                        + " for the worker process (seccomp needs CONFIG_SECCOMP_FILTER, "
                        + "Landlock Linux 5.13+ with landlock in the lsm= boot list); use "
                        + "such a kernel, or call Sandbox.builder().allowWeakerIsolation() "
                        + "to accept the weaker isolation");
            }
        } catch (RuntimeException e) {
            NativeEngine.destroy(handle[0]);
            throw e;
        }
        Sandbox sandbox = new Sandbox(handle[0], token, isolation, limits);
        try {
            grants.forEach(sandbox::grant);
        } catch (RuntimeException e) {
            sandbox.close();
            throw e;
        }
        SandboxLog.created(sandbox, isolation);
        return sandbox;
    }

    private static Isolation readIsolation(long handle) {
        NativeEngine.Result result = NativeEngine.isolation(handle);
        if (!result.ok()) {
            throw ErrorDecoder.toException(result.status(), result.data());
        }
        return Isolation.fromEngine(new ValueCodec(null).decode(result.data()));
    }

    /** The native sandbox's handle. */
    long handle() {
        return handle;
    }

    /**
     * The lock of the native sandbox: calls hold its read lock, so that
     * close() (which takes the write lock) cannot free the handle under
     * them.
     */
    ReentrantReadWriteLock lock() {
        return lock;
    }

    /** See {@link Sandbox#isClosed()}. */
    boolean isClosed() {
        return closed || broken;
    }

    /** Whether the engine said the sandbox can no longer be used. */
    boolean isBroken() {
        return broken;
    }

    /** Marks the sandbox broken, so that no new call starts. */
    void markBroken() {
        broken = true;
    }

    /** See {@link Sandbox#close()}. */
    void close() {
        if (DELIVERING_FOR.get() == outputToken) {
            throw new IllegalStateException(
                    "a sandbox cannot be closed from inside its own " + "host function or output");
        }
        destroy();
    }

    /** Frees the native sandbox (reaping its worker) once no call is in it. */
    private void destroy() {
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

    void ensureOpen() {
        if (isClosed()) {
            throw new IllegalStateException("sandbox is closed");
        }
        if (DELIVERING_FOR.get() == outputToken) {
            // The call being served holds the sandbox: waiting for it here
            // would never end.
            throw new IllegalStateException(
                    "a sandbox cannot be called from inside its own " + "host function or output");
        }
    }

    /**
     * Destroys a broken sandbox, which reaps its worker, once the failed call
     * has released the read lock; returns the failure to throw. A thread that
     * still holds the read lock (a call nested in another call of this
     * sandbox) cannot take the write lock: close() or the cleaner destroys
     * the sandbox then.
     */
    RuntimeException destroyIfBroken(RuntimeException failure) {
        if (broken && !closed && lock.getReadHoldCount() == 0 && DELIVERING_FOR.get() != outputToken) {
            destroy();
        }
        return failure;
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
}
