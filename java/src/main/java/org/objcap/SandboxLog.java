package org.objcap;

import java.lang.System.Logger.Level;

/**
 * What sandboxes report on the {@code org.objcap} {@link System.Logger}
 * (refusals have their own {@link DenialLog}): each new sandbox at
 * {@code DEBUG}, and at {@code WARNING} every call stopped at a limit and
 * every crash, so that an operator sees them whatever the host does with
 * the exception.
 */
final class SandboxLog {
    private static final System.Logger LOGGER = System.getLogger("org.objcap");

    private SandboxLog() {}

    static void created(Sandbox sandbox, Isolation isolation) {
        if (LOGGER.isLoggable(Level.DEBUG)) {
            LOGGER.log(Level.DEBUG, "{0} created: {1}", sandbox, isolation);
        }
    }

    static void failed(Sandbox sandbox, RuntimeException failure) {
        if (failure instanceof LimitExceededException || failure instanceof SandboxCrashedException) {
            LOGGER.log(Level.WARNING, "{0}: {1}", sandbox, failure.getMessage());
        }
    }
}
