package org.objcap;

/**
 * The sandbox died (for example its interpreter hit a fatal error). It is
 * closed: every later call on it throws {@link IllegalStateException}. Other
 * sandboxes and the host go on.
 */
public class SandboxCrashedException extends SandboxException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what the engine said about the crash
     */
    public SandboxCrashedException(String message) {
        super(message);
    }
}
