package org.objcap;

/** A resource limit of a sandbox; see {@link LimitExceededException}. */
public enum Limit {
    /** Wall-clock time of one call ({@link Sandbox.Builder#timeout}). */
    TIME,
    /** CPU time. */
    CPU,
    /** Memory. */
    MEMORY,
    /** Size of the output written to stdout and stderr. */
    OUTPUT,
    /** Depth of Python recursion ({@link Sandbox.Builder#recursionLimit}). */
    RECURSION
}
