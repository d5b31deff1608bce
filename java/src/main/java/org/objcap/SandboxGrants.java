package org.objcap;

import static org.objcap.SandboxLifecycle.DELIVERING_FOR;

import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongFunction;
import org.objcap.internal.ErrorDecoder;
import org.objcap.internal.NativeEngine;
import org.objcap.internal.NativeGrants;
import org.objcap.internal.ValueCodec;
import org.objcap.internal.Wtf8;

/**
 * The capabilities granted to one {@link Sandbox}: granting a directory, a
 * host function or a value under a global name (each grant one call on the
 * sandbox's call path), the grants made so far, which {@link Grant#revoke()}
 * takes back, and the host functions, served once the sandbox's host
 * handler is set.
 */
final class SandboxGrants {
    private final Sandbox sandbox;
    private final SandboxLifecycle lifecycle;
    private final SandboxCalls calls;
    private final long handle;
    private final ValueCodec codec;
    private final HostFunctions hostFunctions;
    private final Map<String, Grant> grants = new ConcurrentHashMap<>();
    private boolean hostHandlerSet; // guarded by grants

    SandboxGrants(
            Sandbox sandbox,
            SandboxLifecycle lifecycle,
            SandboxCalls calls,
            Sandbox.Limits limits,
            Object outputToken) {
        this.sandbox = sandbox;
        this.lifecycle = lifecycle;
        this.calls = calls;
        this.handle = lifecycle.handle();
        this.codec = calls.codec();
        this.hostFunctions = new HostFunctions(
                codec,
                limits.resultBytes() > 0 ? limits.resultBytes() : Long.MAX_VALUE,
                () -> DELIVERING_FOR.set(outputToken),
                DELIVERING_FOR::remove);
    }

    /** See {@link Sandbox#grant(String, Capability)}. */
    Grant grant(String name, Capability capability) {
        checkGrantName(name);
        Objects.requireNonNull(capability, "capability");
        lifecycle.ensureOpen();
        byte[] n = Wtf8.encode(name);
        long[] id = new long[1];
        long function = 0;
        LongFunction<NativeEngine.Result> call;
        if (capability instanceof Capability.Directory dir) {
            byte[] path = Wtf8.encode(dir.path().toString());
            boolean writable = dir.access() == Access.READ_WRITE;
            call = h -> NativeGrants.grantDirectory(h, n, path, writable, id);
        } else if (capability instanceof Capability.Function f) {
            ensureHostHandler();
            long number = hostFunctions.add(f.function());
            function = number;
            call = h -> NativeGrants.grantFunction(h, n, number, id);
        } else {
            byte[] value = codec.encode(((Capability.Value) capability).value());
            call = h -> NativeGrants.grantValue(h, n, value, id);
        }
        try {
            calls.run(call, false);
        } catch (RuntimeException e) {
            if (function != 0) {
                hostFunctions.remove(function);
            }
            throw e;
        }
        Grant grant = new Grant(sandbox, handle, id[0], name, capability);
        grants.put(name, grant);
        return grant;
    }

    /** See {@link Sandbox#grants()}. */
    Map<String, Grant> snapshot() {
        return Map.copyOf(grants);
    }

    /** Checks a grant's name, for the sandbox and for its builder. */
    static void checkGrantName(String name) {
        Objects.requireNonNull(name, "name");
        if (name.isEmpty() || name.startsWith("__")) {
            throw new IllegalArgumentException("a grant's name must be a Python identifier "
                    + "not starting with two underscores: '" + name + "'");
        }
    }

    private void ensureHostHandler() {
        synchronized (grants) {
            if (!hostHandlerSet) {
                int status = NativeGrants.setHostHandler(handle, hostFunctions);
                if (status != ErrorDecoder.OK) {
                    throw ErrorDecoder.toException(status, null);
                }
                hostHandlerSet = true;
            }
        }
    }
}
