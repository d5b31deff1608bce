package org.objcap;

import java.util.Optional;
import java.util.OptionalInt;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The sandbox died: its worker process was killed by a signal (a C-stack
 * overflow is {@code SIGSEGV}, a kill from outside {@code SIGKILL}), exited,
 * or stopped following the protocol. It is closed: every later call on it
 * throws {@link IllegalStateException}. Other sandboxes and the host go on.
 *
 * <p>{@link #getDetail()} is what the engine said, e.g. {@code the sandbox's
 * worker process was killed by signal 11 (SIGSEGV)}; {@link #getSignal()},
 * {@link #getSignalName()} and {@link #getExitStatus()} pick the numbers out
 * of it.
 */
public class SandboxCrashedException extends SandboxException {
    private static final long serialVersionUID = 1L;

    private static final Pattern SIGNAL = Pattern.compile("killed by signal (\\d+)(?: \\((SIG[A-Z0-9]+)\\))?");
    private static final Pattern EXIT = Pattern.compile("exited with status (-?\\d+)");

    /** What the engine said about the crash. */
    private final String detail;

    /**
     * Creates the exception.
     *
     * @param detail what the engine said about the crash
     */
    public SandboxCrashedException(String detail) {
        super(detail + "; the sandbox is closed");
        this.detail = detail;
    }

    /**
     * Returns what the engine said about the crash, e.g. {@code the sandbox's
     * worker process was killed by signal 11 (SIGSEGV)}.
     *
     * @return the engine's description
     */
    public String getDetail() {
        return detail;
    }

    /**
     * Returns the number of the signal that killed the worker.
     *
     * @return the signal, or empty if the worker was not killed by a signal
     */
    public OptionalInt getSignal() {
        Matcher m = SIGNAL.matcher(detail);
        return m.find() ? parse(m.group(1)) : OptionalInt.empty();
    }

    /**
     * Returns the name of the signal that killed the worker.
     *
     * @return e.g. {@code SIGSEGV}, or empty if the worker was not killed by
     *     a signal (or the engine did not name it)
     */
    public Optional<String> getSignalName() {
        Matcher m = SIGNAL.matcher(detail);
        return m.find() ? Optional.ofNullable(m.group(2)) : Optional.empty();
    }

    /**
     * Returns the status the worker exited with.
     *
     * @return the exit status, or empty if it did not exit normally
     */
    public OptionalInt getExitStatus() {
        Matcher m = EXIT.matcher(detail);
        return m.find() ? parse(m.group(1)) : OptionalInt.empty();
    }

    private static OptionalInt parse(String digits) {
        try {
            return OptionalInt.of(Integer.parseInt(digits));
        } catch (NumberFormatException e) {
            return OptionalInt.empty();
        }
    }
}
