package org.objcap;

/**
 * Base class of the exceptions that report a failure inside a sandbox or of
 * the engine that runs it (as opposed to a bad argument from the host, which
 * is reported with the standard {@link IllegalArgumentException},
 * {@link NullPointerException} or {@link IllegalStateException}).
 */
public class SandboxException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates an exception with a message.
     *
     * @param message what went wrong
     */
    public SandboxException(String message) {
        super(message);
    }

    /**
     * Creates an exception with a message and a cause.
     *
     * @param message what went wrong
     * @param cause the underlying failure
     */
    public SandboxException(String message, Throwable cause) {
        super(message, cause);
    }
}
