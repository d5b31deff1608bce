package org.objcap.internal;

import org.objcap.PythonReference;

/**
 * Lets {@link ValueCodec} turn references into handles and back for one
 * sandbox, which alone can make {@link PythonReference}s.
 */
public interface ReferenceCodec {
    /**
     * Returns the engine handle of a reference.
     *
     * @param reference a reference
     * @return its handle
     * @throws IllegalArgumentException if it belongs to another sandbox or is
     *     released
     */
    long handleOf(PythonReference reference);

    /**
     * Returns the reference for a handle the engine handed out.
     *
     * @param handle the engine's handle
     * @param typeName the Python type name of the object
     * @return the reference
     */
    PythonReference reference(long handle, String typeName);
}
