package org.objcap;

import java.lang.ref.Cleaner;
import java.lang.ref.WeakReference;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * The live {@link PythonReference}s of one sandbox.
 *
 * <p>Each handle has at most one live Java object, so that one becoming
 * unreachable cannot make the engine forget an object that another Java
 * object still names. A handle whose Java object was collected is not
 * released from the cleaner thread (that would block it behind a running
 * call) but queued, and released by the next call on the sandbox.
 */
final class ReferenceTable {
    private static final Cleaner CLEANER = CleanerThreads.create("objcap-reference-cleaner");

    private final Sandbox sandbox;
    private final Map<Long, WeakReference<PythonReference>> live = new HashMap<>();
    private final Set<Long> pending = new LinkedHashSet<>();
    /** Whether pending may hold a handle: read before every call without the lock. */
    private volatile boolean anyPending;

    private static final long[] NONE = new long[0];

    ReferenceTable(Sandbox sandbox) {
        this.sandbox = sandbox;
    }

    /** Returns the Java object for a handle the engine handed out. */
    synchronized PythonReference intern(long handle, String typeName) {
        WeakReference<PythonReference> weak = live.get(handle);
        PythonReference ref = weak == null ? null : weak.get();
        if (ref != null) {
            return ref;
        }
        // The engine handed the handle out again, so a queued release of it
        // would make it forget an object that is in use now.
        pending.remove(handle);
        ref = new PythonReference(sandbox, handle, typeName);
        WeakReference<PythonReference> fresh = new WeakReference<>(ref);
        live.put(handle, fresh);
        ref.registerCleanup(CLEANER, () -> unreachable(handle, fresh));
        return ref;
    }

    private synchronized void unreachable(long handle, WeakReference<PythonReference> which) {
        // A newer Java object for the same handle may have replaced this one.
        if (live.get(handle) == which) {
            live.remove(handle);
            pending.add(handle);
            anyPending = true;
        }
    }

    /** Takes the handles waiting to be released (none, without locking, on most calls). */
    long[] drainPending() {
        if (!anyPending) {
            return NONE;
        }
        synchronized (this) {
            anyPending = false;
            long[] handles = pending.stream().mapToLong(Long::longValue).toArray();
            pending.clear();
            return handles;
        }
    }

    /** Forgets everything; the engine forgets all references on destroy. */
    synchronized void clear() {
        live.clear();
        pending.clear();
        anyPending = false;
    }
}
