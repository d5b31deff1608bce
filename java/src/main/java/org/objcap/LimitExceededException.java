package org.objcap;

import java.util.Locale;

/**
 * A call hit one of the sandbox's limits and was stopped.
 *
 * <p>{@link #getLimit()} names the limit and {@link #getConfiguredValue()}
 * gives the value it had, in the limit's natural unit (see {@link Limit});
 * the message says the same for people, e.g. {@code the call used more CPU
 * time than its limit (2 s)}.
 *
 * <p>Whether the sandbox can still be used:
 * <ul>
 * <li>{@link Limit#TIME TIME}, {@link Limit#CPU CPU},
 *     {@link Limit#OUTPUT OUTPUT}, {@link Limit#MEMORY MEMORY},
 *     {@link Limit#RESULT RESULT}: the call is
 *     over and the sandbox is usable, with its globals as the call left them
 *     (memory still held by them still counts against the memory limit).
 *     The exception is a process-isolated sandbox whose worker had to be
 *     killed: it did not stop (one long C call such as {@code 9**9**9} or a
 *     catastrophic regular expression) and was killed a second after the
 *     deadline, or it wrote past the output limit, which its own engine
 *     would never do. Then {@link #isSandboxClosed()} is {@code true}, the
 *     sandbox is closed, and every later call on it throws
 *     {@link IllegalStateException}.</li>
 * <li>{@link Limit#RECURSION RECURSION}: the sandboxed code let a
 *     {@code RecursionError} escape (Python raises it when the code recurses
 *     past the recursion limit). It is an ordinary Python exception inside
 *     the sandbox, which stays usable; the Python exception, with its
 *     traceback, is {@link #getPythonException()} (also the
 *     {@link #getCause() cause}).</li>
 * </ul>
 */
public class LimitExceededException extends SandboxException {
    private static final long serialVersionUID = 1L;

    private static final long KIB = 1024;
    private static final long MIB = 1024 * KIB;
    private static final long GIB = 1024 * MIB;

    /** The limit that was hit, or null. */
    private final Limit limit;
    /** Its configured value in its natural unit, or 0 if not known. */
    private final long configuredValue;
    /** Whether the sandbox was closed because of this. */
    private final boolean sandboxClosed;

    /**
     * Creates the exception with a message of its own.
     *
     * @param limit the limit that was hit, or {@code null} if the engine named
     *     one that this version does not know
     * @param message what the engine said
     */
    public LimitExceededException(Limit limit, String message) {
        super(message);
        this.limit = limit;
        this.configuredValue = 0;
        this.sandboxClosed = false;
    }

    /**
     * Creates the exception, describing the limit and its value in the
     * message.
     *
     * @param limit the limit that was hit, or {@code null} if the engine named
     *     one that this version does not know
     * @param configuredValue the limit's value in its natural unit (see
     *     {@link Limit}), or 0 if not known
     * @param sandboxClosed whether the sandbox was closed (its worker killed)
     * @param engineMessage what the engine said, used in the message when the
     *     limit or its value is not known
     * @param cause for {@link Limit#RECURSION}, the Python exception
     *     ({@code RecursionError}); else {@code null}
     */
    public LimitExceededException(
            Limit limit, long configuredValue, boolean sandboxClosed, String engineMessage, PythonException cause) {
        super(describe(limit, configuredValue, sandboxClosed, engineMessage, cause), cause);
        this.limit = limit;
        this.configuredValue = Math.max(0, configuredValue);
        this.sandboxClosed = sandboxClosed;
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

    /**
     * Returns the value the limit was configured with, in its natural unit:
     * milliseconds for {@link Limit#TIME TIME} and {@link Limit#CPU CPU},
     * bytes for {@link Limit#MEMORY MEMORY}, {@link Limit#OUTPUT OUTPUT} and
     * {@link Limit#RESULT RESULT},
     * frames for {@link Limit#RECURSION RECURSION}.
     *
     * @return the value, or 0 if it is not known
     */
    public long getConfiguredValue() {
        return configuredValue;
    }

    /**
     * Tells whether the sandbox was closed because of this: a
     * process-isolated sandbox's worker had to be killed (it did not stop at
     * the deadline). Otherwise the sandbox stays usable.
     *
     * @return {@code true} if the sandbox is closed
     */
    public boolean isSandboxClosed() {
        return sandboxClosed;
    }

    /**
     * Returns the Python exception behind a {@link Limit#RECURSION RECURSION}
     * limit: the {@code RecursionError} with its traceback.
     *
     * @return the Python exception, or {@code null} for the other limits
     */
    public PythonException getPythonException() {
        return getCause() instanceof PythonException p ? p : null;
    }

    /**
     * Describes a limit's value for people: {@code 200 ms}, {@code 2 s},
     * {@code 1.5 s}, {@code 512 MiB}, {@code 1000 bytes}, {@code 1000 frames}.
     *
     * @param limit the limit
     * @param value its value in its natural unit
     * @return the description
     */
    public static String describeValue(Limit limit, long value) {
        switch (limit) {
            case TIME:
            case CPU:
                if (value < 1000) {
                    return value + " ms";
                }
                return trim(String.format(Locale.ROOT, "%.3f", value / 1000.0)) + " s";
            case MEMORY:
            case OUTPUT:
            case RESULT:
                if (value >= GIB && value % GIB == 0) {
                    return value / GIB + " GiB";
                }
                if (value >= MIB && value % MIB == 0) {
                    return value / MIB + " MiB";
                }
                if (value >= KIB && value % KIB == 0) {
                    return value / KIB + " KiB";
                }
                return value + (value == 1 ? " byte" : " bytes");
            case RECURSION:
            default:
                return value + (value == 1 ? " frame" : " frames");
        }
    }

    private static String trim(String decimal) {
        String s = decimal;
        while (s.endsWith("0")) {
            s = s.substring(0, s.length() - 1);
        }
        return s.endsWith(".") ? s.substring(0, s.length() - 1) : s;
    }

    private static String describe(
            Limit limit, long value, boolean closed, String engineMessage, PythonException cause) {
        boolean engineSaid = engineMessage != null && !engineMessage.isEmpty();
        String text;
        if (limit == null || value <= 0 && engineSaid) {
            text = engineSaid ? engineMessage : "a limit of the sandbox was exceeded";
        } else {
            String v = value > 0 ? " (" + describeValue(limit, value) + ")" : "";
            switch (limit) {
                case TIME:
                    text = "the call ran longer than its time limit" + v;
                    break;
                case CPU:
                    text = "the call used more CPU time than its limit" + v;
                    break;
                case MEMORY:
                    text = "the sandbox needed more memory than its limit" + v;
                    break;
                case OUTPUT:
                    text = "the call wrote more output than its limit" + v + "; the output was cut there";
                    break;
                case RESULT:
                    text = "the value is larger than the sandbox's result size limit" + v;
                    break;
                case RECURSION:
                default:
                    text = "the call recursed deeper than its recursion limit" + v;
                    break;
            }
        }
        if (cause != null) {
            text += ": " + cause.getMessage();
        }
        if (closed) {
            text += limit == null || value <= 0
                    ? "; the sandbox is closed"
                    : "; the worker was killed, so the sandbox is closed";
        }
        return text;
    }
}
