package org.objcap;

/**
 * A call hit one of the sandbox's limits and was stopped. The sandbox stays
 * usable unless {@link Sandbox#isClosed()} says otherwise.
 */
public class LimitExceededException extends SandboxException {
    private static final long serialVersionUID = 1L;

    /** The limit that was hit, or null. */
    private final Limit limit;

    /**
     * Creates the exception.
     *
     * @param limit the limit that was hit, or {@code null} if the engine named
     *     one that this version does not know
     * @param message what the engine said
     */
    public LimitExceededException(Limit limit, String message) {
        super(message);
        this.limit = limit;
    }

    /**
     * Returns the limit that was hit.
     *
     * @return the limit, or {@code null} if the engine named one that this
     *     version does not know
     */
    public Limit getLimit() {
        return limit;
    }
}
