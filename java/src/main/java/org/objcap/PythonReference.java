package org.objcap;

import java.lang.ref.Cleaner;

/**
 * An opaque reference to a Python object that is not a plain value (a
 * function, a class instance, ...). It can only be passed back, as an
 * argument or a value, to the sandbox that made it; the host never sees the
 * object itself.
 *
 * <p>The sandbox forgets the object once this reference becomes unreachable
 * in Java, or when the sandbox is closed.
 */
public final class PythonReference {
    private final Sandbox sandbox;
    private final long handle;
    private final String typeName;

    PythonReference(Sandbox sandbox, long handle, String typeName) {
        this.sandbox = sandbox;
        this.handle = handle;
        this.typeName = typeName;
    }

    /**
     * Registers the cleaning action. Kept out of the constructor so that the
     * action, which must not capture {@code this}, is built by the caller.
     */
    Cleaner.Cleanable registerCleanup(Cleaner cleaner, Runnable action) {
        return cleaner.register(this, action);
    }

    /**
     * Returns the name of the Python object's type.
     *
     * @return e.g. {@code function} or {@code object}
     */
    public String typeName() {
        return typeName;
    }

    /**
     * Tells whether the reference can no longer be used because its sandbox
     * is closed.
     *
     * @return {@code true} once the owning sandbox is closed
     */
    public boolean isReleased() {
        return sandbox.isClosed();
    }

    Sandbox sandbox() {
        return sandbox;
    }

    long handle() {
        return handle;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PythonReference r && r.sandbox == sandbox && r.handle == handle;
    }

    @Override
    public int hashCode() {
        return System.identityHashCode(sandbox) * 31 + Long.hashCode(handle);
    }

    @Override
    public String toString() {
        return "PythonReference[" + typeName + " #" + handle + "]";
    }
}
