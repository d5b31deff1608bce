package org.objcap;

/**
 * A resource limit of a sandbox; see {@link LimitExceededException}. Each
 * has a natural unit, the one {@link LimitExceededException#getConfiguredValue()}
 * reports it in.
 */
public enum Limit {
    /**
     * Wall-clock time of one call, in milliseconds
     * ({@link Sandbox.Builder#timeout}). {@code time.sleep} counts.
     */
    TIME,
    /**
     * CPU time of one call, in milliseconds ({@link Sandbox.Builder#cpuTime}).
     */
    CPU,
    /**
     * Memory the sandbox holds, across calls, in bytes
     * ({@link Sandbox.Builder#memoryLimit}).
     */
    MEMORY,
    /**
     * Bytes of output (stdout and stderr together) of one call
     * ({@link Sandbox.Builder#maxOutput}).
     */
    OUTPUT,
    /**
     * Bytes of one value copied out of the sandbox (a call's result, a
     * global read with {@code get}): its encoding, and the Java heap its
     * objects take, estimated ({@link Sandbox.Builder#maxResultSize}). A
     * larger one ends the call.
     */
    RESULT,
    /**
     * Depth of Python recursion, in frames
     * ({@link Sandbox.Builder#recursionLimit}).
     */
    RECURSION
}
