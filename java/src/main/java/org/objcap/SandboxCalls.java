package org.objcap;

import java.lang.ref.Reference;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.LongFunction;
import org.objcap.internal.ErrorDecoder;
import org.objcap.internal.NativeEngine;
import org.objcap.internal.ReferenceCodec;
import org.objcap.internal.ValueCodec;
import org.objcap.internal.Wtf8;

/**
 * The call path of one {@link Sandbox}: {@code exec}, {@code eval},
 * {@code call}, {@code set}, {@code get} and {@code denials}, each one
 * native call under the sandbox's read lock, and what comes back decoded:
 * a value within the sandbox's limits, or a failure as the exception to
 * throw (marking the sandbox broken when the engine says it is). Holds the
 * sandbox's value codec, which converts its references, and its denial log.
 */
final class SandboxCalls {
    private final Sandbox sandbox;
    private final SandboxLifecycle lifecycle;
    private final long handle;
    private final ReentrantReadWriteLock lock;
    private final Sandbox.Limits limits;
    private final ReferenceTable references;
    private final ValueCodec codec = new ValueCodec(new References());
    private final DenialLog denialLog = new DenialLog();

    SandboxCalls(Sandbox sandbox, SandboxLifecycle lifecycle, Sandbox.Limits limits, ReferenceTable references) {
        this.sandbox = sandbox;
        this.lifecycle = lifecycle;
        this.handle = lifecycle.handle();
        this.lock = lifecycle.lock();
        this.limits = limits;
        this.references = references;
    }

    /** The sandbox's value codec. */
    ValueCodec codec() {
        return codec;
    }

    /** See {@link Sandbox#exec(String, String)}. */
    void exec(String source, String fileName) {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(fileName, "fileName");
        ensureOpen();
        byte[] src = Wtf8.encode(source);
        byte[] file = Wtf8.encode(fileName);
        run(h -> NativeEngine.exec(h, src, file), false);
    }

    /** See {@link Sandbox#eval(String)}. */
    Object eval(String expression) {
        Objects.requireNonNull(expression, "expression");
        ensureOpen();
        byte[] expr = Wtf8.encode(expression);
        return run(h -> NativeEngine.eval(h, expr), true);
    }

    /** See {@link Sandbox#call(String, Object...)}. */
    Object call(String function, Object... args) {
        Objects.requireNonNull(function, "function");
        Objects.requireNonNull(args, "args");
        ensureOpen();
        byte[] name = nameBytes(function);
        byte[] packed = codec.encodeArray(args);
        try {
            return run(h -> NativeEngine.call(h, name, packed), true);
        } finally {
            // References among the arguments must not be released mid-call.
            Reference.reachabilityFence(args);
        }
    }

    /** The last function name called and its bytes, never changed once made. */
    private record EncodedName(String name, byte[] bytes) {}

    private volatile EncodedName lastName = new EncodedName("", new byte[0]);

    /** A function's name as the engine takes it; a loop calling one function encodes it once. */
    private byte[] nameBytes(String function) {
        EncodedName last = lastName;
        if (last.name().equals(function)) {
            return last.bytes();
        }
        byte[] bytes = Wtf8.encode(function);
        lastName = new EncodedName(function, bytes);
        return bytes;
    }

    /** See {@link Sandbox#set(String, Object)}. */
    void set(String name, Object value) {
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

    /** See {@link Sandbox#get(String)}. */
    Object get(String name) {
        Objects.requireNonNull(name, "name");
        ensureOpen();
        byte[] n = Wtf8.encode(name);
        return run(h -> NativeEngine.get(h, n), true);
    }

    /** See {@link Sandbox#denials()}. */
    Denials denials() {
        RuntimeException failure;
        lock.readLock().lock();
        try {
            ensureOpen();
            NativeEngine.Result result = NativeEngine.denials(handle);
            if (result.ok()) {
                return Denials.fromEngine(codec.decode(result.data()));
            }
            failure = failed(result);
        } finally {
            lock.readLock().unlock();
            Reference.reachabilityFence(sandbox);
        }
        throw lifecycle.destroyIfBroken(failure);
    }

    private void ensureOpen() {
        lifecycle.ensureOpen();
    }

    /**
     * Makes one native call under the read lock, so close() cannot free the
     * handle under it. A failure that leaves the sandbox unusable (its worker
     * died or was killed) closes it: the native sandbox is destroyed, which
     * reaps the worker, before the exception is thrown.
     */
    Object run(LongFunction<NativeEngine.Result> call, boolean returnsValue) {
        RuntimeException failure;
        lock.readLock().lock();
        try {
            ensureOpen();
            releaseUnreachableReferences();
            long start = System.nanoTime();
            NativeEngine.Result result = call.apply(handle);
            if (result.ok()) {
                denialLog.logNew(sandbox, this::readDenials);
                if (!returnsValue || result.data() == null) {
                    return null;
                }
                try {
                    return decodeResult(result.data(), start);
                } catch (LimitExceededException e) {
                    throw e;
                } catch (SandboxException e) {
                    // A value no engine of ours makes: its worker is no
                    // longer ours to trust (or the engine is broken).
                    lifecycle.markBroken();
                    failure = e;
                    SandboxLog.failed(sandbox, e);
                }
            } else {
                failure = failed(result);
            }
            if (!lifecycle.isBroken()) {
                denialLog.logNew(sandbox, this::readDenials);
            }
        } finally {
            lock.readLock().unlock();
            // The cleaner must not destroy the sandbox while a call is in it.
            Reference.reachabilityFence(sandbox);
        }
        throw lifecycle.destroyIfBroken(failure);
    }

    /**
     * Decodes a call's value within the call's limits: no larger than the
     * result limit, and within its time limit counted from the call's start
     * (decoding is linear in the value's size: ValueCodec). The caller holds
     * the read lock.
     */
    private Object decodeResult(byte[] data, long start) {
        if (limits.resultBytes() > 0 && data.length > limits.resultBytes()) {
            throw limitHit(Limit.RESULT, "the value is larger than the sandbox's result size " + "limit");
        }
        long deadline = limits.timeoutMillis() > 0
                ? start + TimeUnit.MILLISECONDS.toNanos(limits.timeoutMillis())
                : Long.MAX_VALUE;
        try {
            return codec.decode(data, deadline, limits.resultBytes() > 0 ? limits.resultBytes() : Long.MAX_VALUE);
        } catch (ValueCodec.DeadlinePassedException e) {
            throw limitHit(Limit.TIME, e.getMessage());
        } catch (ValueCodec.TooLargeException e) {
            // Only a worker that is no longer ours sends one: the engine
            // charges the same costs before it lets a value out (values.c).
            throw limitHit(Limit.RESULT, e.getMessage());
        }
    }

    private LimitExceededException limitHit(Limit limit, String message) {
        LimitExceededException e = new LimitExceededException(limit, limits.of(limit), false, message, null);
        SandboxLog.failed(sandbox, e);
        return e;
    }

    /**
     * The exception for a failed call; marks the sandbox broken (so that no
     * new call starts) if the engine says it can no longer be used. The
     * caller holds the read lock.
     */
    private RuntimeException failed(NativeEngine.Result result) {
        if (ErrorDecoder.closesSandbox(result.status(), result.data())) {
            lifecycle.markBroken();
        }
        RuntimeException failure = ErrorDecoder.toException(result.status(), result.data(), limits::of);
        SandboxLog.failed(sandbox, failure);
        return failure;
    }

    /** Reads the engine's report; the caller holds the read lock. */
    private Denials readDenials() {
        NativeEngine.Result result = NativeEngine.denials(handle);
        if (!result.ok()) {
            throw ErrorDecoder.toException(result.status(), result.data(), limits::of);
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
            if (reference.sandbox() != sandbox) {
                throw new IllegalArgumentException("a PythonReference can only be used in the sandbox that made it");
            }
            return reference.handle();
        }

        @Override
        public PythonReference reference(long id, String typeName) {
            return references.intern(id, typeName);
        }
    }
}
