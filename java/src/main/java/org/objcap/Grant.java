package org.objcap;

import java.util.concurrent.atomic.AtomicBoolean;
import org.objcap.internal.NativeGrants;

/**
 * A capability granted to a sandbox under a name; {@link #revoke()} takes it
 * back (paper 5.3).
 */
public final class Grant {
    private final Sandbox sandbox;
    private final long handle;
    private final long id;
    private final String name;
    private final Capability capability;
    private final AtomicBoolean revoked = new AtomicBoolean();

    Grant(Sandbox sandbox, long handle, long id, String name, Capability capability) {
        this.sandbox = sandbox;
        this.handle = handle;
        this.id = id;
        this.name = name;
        this.capability = capability;
    }

    /**
     * The global name the sandbox sees it under.
     *
     * @return the name
     */
    public String name() {
        return name;
    }

    /**
     * What was granted.
     *
     * @return the capability
     */
    public Capability capability() {
        return capability;
    }

    /**
     * Takes the capability back. From then on every use of it in the sandbox
     * raises {@code PermissionError}; files opened through a revoked
     * directory are closed (a read or write in progress finishes first);
     * a revoked value leaves the globals before the next call. Safe from any
     * thread, also while the sandbox runs a call (it does not wait for it);
     * revoking twice, or after the sandbox is closed, does nothing.
     */
    public void revoke() {
        if (revoked.compareAndSet(false, true) && !sandbox.isClosed()) {
            // A closed or crashed sandbox has nothing left to revoke.
            NativeGrants.revoke(handle, id);
        }
    }

    /**
     * Tells whether {@link #revoke()} was called.
     *
     * @return {@code true} once revoked
     */
    public boolean isRevoked() {
        return revoked.get();
    }

    @Override
    public String toString() {
        return "Grant[" + name + " = " + capability + (isRevoked() ? ", revoked]" : "]");
    }
}
