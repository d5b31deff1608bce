package org.objcap.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToLongFunction;
import org.objcap.Limit;
import org.objcap.LimitExceededException;
import org.objcap.PythonException;
import org.objcap.PythonFrame;
import org.objcap.PythonSyntaxException;
import org.objcap.SandboxCrashedException;
import org.objcap.SandboxException;

/**
 * Turns an engine status and its error map (see "Error format" in
 * {@code objcap.h}) into the Java exception the API documents.
 */
public final class ErrorDecoder {
    /** {@code OBJCAP_OK}. */
    public static final int OK = 0;
    /** {@code OBJCAP_ERR_ARGUMENT}. */
    public static final int ARGUMENT = 1;
    /** {@code OBJCAP_ERR_STATE}. */
    public static final int STATE = 2;
    /** {@code OBJCAP_ERR_PYTHON}. */
    public static final int PYTHON = 3;
    /** {@code OBJCAP_ERR_VALUE}. */
    public static final int VALUE = 4;
    /** {@code OBJCAP_ERR_LIMIT}. */
    public static final int LIMIT = 5;
    /** {@code OBJCAP_ERR_CRASHED}. */
    public static final int CRASHED = 6;
    /** {@code OBJCAP_ERR_RUNTIME}. */
    public static final int RUNTIME = 7;
    /** {@code OBJCAP_ERR_NOMEM}. */
    public static final int NOMEM = 8;

    private static final ValueCodec PLAIN = new ValueCodec(null);

    /*
     * What the engine puts in an error report (errors.c), and so the most
     * of one the host keeps, whatever a hostile worker sends: the report
     * whole, the message, each name and line, the number of frames.
     */
    static final int MAX_REPORT_BYTES = 4 << 20;
    /** The heap a report may take decoded: its bytes, each a few objects. */
    static final long MAX_REPORT_HEAP = 8L * MAX_REPORT_BYTES;
    /* In UTF-16 units: the engine cuts at code points, which may take two. */
    static final int MAX_MESSAGE = 2 * 65536 + 64;
    static final int MAX_NAME = 2 * 512 + 64;
    static final int MAX_FRAMES = 200;

    /** The Python exception that an uncaught recursion past the limit raises. */
    private static final String RECURSION_ERROR = "RecursionError";

    private ErrorDecoder() {}

    /**
     * Builds the exception for a failed call.
     *
     * @param status the engine's status, not {@link #OK}
     * @param data the error map's bytes, or {@code null} if the engine could
     *     not make one
     * @return the exception to throw
     */
    public static RuntimeException toException(int status, byte[] data) {
        return toException(status, data, limit -> 0);
    }

    /**
     * Builds the exception for a failed call of a sandbox whose limits are
     * known, so that a {@link LimitExceededException} carries the value of
     * the limit that was hit. An uncaught {@code RecursionError} becomes a
     * {@link LimitExceededException} for {@link Limit#RECURSION} whose cause
     * is the {@link PythonException}.
     *
     * @param status the engine's status, not {@link #OK}
     * @param data the error map's bytes, or {@code null} if the engine could
     *     not make one
     * @param configured the sandbox's value of each limit in its natural
     *     unit, 0 if none or not known
     * @return the exception to throw
     */
    public static RuntimeException toException(int status, byte[] data, ToLongFunction<Limit> configured) {
        Map<?, ?> error = decodeMap(data);
        String type = cut(string(error.get("type"), null), MAX_NAME);
        String message = cut(string(error.get("message"), ""), MAX_MESSAGE);
        boolean closed = Boolean.TRUE.equals(error.get("closed"));
        switch (status) {
            case ARGUMENT:
            case VALUE:
                return new IllegalArgumentException(orDefault(message, status));
            case STATE:
                return new IllegalStateException(
                        closed ? "sandbox is closed: " + orDefault(message, status) : orDefault(message, status));
            case PYTHON:
                PythonException python = pythonException(type, message, error);
                if (RECURSION_ERROR.equals(python.getPythonType()) && !(python instanceof PythonSyntaxException)) {
                    return new LimitExceededException(
                            Limit.RECURSION, configured.applyAsLong(Limit.RECURSION), false, null, python);
                }
                return python;
            case LIMIT:
                Limit limit = limit(type);
                // Name a limit this version does not know, since getLimit() cannot.
                String suffix = limit == null && type != null ? " (" + type + ")" : "";
                long value = limit == null ? 0 : configured.applyAsLong(limit);
                return new LimitExceededException(limit, value, closed, orDefault(message, status) + suffix, null);
            case CRASHED:
                return new SandboxCrashedException(orDefault(message, status));
            default:
                return new SandboxException(orDefault(message, status));
        }
    }

    /**
     * Tells whether a failed call left the sandbox unusable: its worker died
     * or was killed (the error map says {@code "closed": true}, and a crash
     * always does). The host should then destroy the sandbox.
     *
     * @param status the engine's status, not {@link #OK}
     * @param data the error map's bytes, or {@code null}
     * @return {@code true} if the sandbox can no longer be used
     */
    public static boolean closesSandbox(int status, byte[] data) {
        return status == CRASHED || Boolean.TRUE.equals(decodeMap(data).get("closed"));
    }

    /**
     * Describes a status for messages.
     *
     * @param status an engine status
     * @return a short description
     */
    public static String describe(int status) {
        switch (status) {
            case OK:
                return "ok";
            case ARGUMENT:
                return "bad argument";
            case STATE:
                return "bad sandbox state";
            case PYTHON:
                return "Python raised an exception";
            case VALUE:
                return "value cannot be converted";
            case LIMIT:
                return "limit exceeded";
            case CRASHED:
                return "sandbox crashed";
            case RUNTIME:
                return "CPython runtime error";
            case NOMEM:
                return "out of memory";
            default:
                return "unknown engine status " + status;
        }
    }

    private static String orDefault(String message, int status) {
        return message.isEmpty() ? describe(status) : message;
    }

    private static Map<?, ?> decodeMap(byte[] data) {
        if (data == null || data.length == 0 || data.length > MAX_REPORT_BYTES) {
            return Map.of();
        }
        try {
            Object decoded = PLAIN.decode(data, Long.MAX_VALUE, MAX_REPORT_HEAP);
            return decoded instanceof Map<?, ?> m ? m : Map.of();
        } catch (RuntimeException e) {
            // A garbled error map must not hide the status it came with.
            return Map.of();
        }
    }

    private static PythonException pythonException(String type, String message, Map<?, ?> error) {
        String pythonType = type == null ? "Exception" : type;
        List<PythonFrame> frames = frames(error.get("traceback"));
        Object syntax = error.get("syntax");
        if (syntax instanceof List<?> s) {
            return new PythonSyntaxException(
                    pythonType,
                    message,
                    frames,
                    cut(string(at(s, 0), null), MAX_NAME),
                    integer(at(s, 1)),
                    integer(at(s, 2)),
                    cut(string(at(s, 3), null), MAX_MESSAGE));
        }
        return new PythonException(pythonType, message, frames);
    }

    private static List<PythonFrame> frames(Object traceback) {
        List<PythonFrame> frames = new ArrayList<>();
        if (traceback instanceof List<?> entries) {
            // The innermost frames, as the engine keeps them.
            for (Object entry : entries.subList(Math.max(0, entries.size() - MAX_FRAMES), entries.size())) {
                if (entry instanceof List<?> f) {
                    frames.add(new PythonFrame(
                            cut(string(at(f, 0), "?"), MAX_NAME),
                            integer(at(f, 1)),
                            cut(string(at(f, 2), "?"), MAX_NAME),
                            cut(string(at(f, 3), null), MAX_NAME)));
                }
            }
        }
        return frames;
    }

    private static Limit limit(String type) {
        if (type == null) {
            return null;
        }
        String t = type.toUpperCase(Locale.ROOT);
        switch (t) {
            case "RECURSIONERROR":
                return Limit.RECURSION;
            case "MEMORYERROR":
                return Limit.MEMORY;
            case "TIMEOUTERROR":
                return Limit.TIME;
            default:
                for (Limit l : Limit.values()) {
                    if (l.name().equals(t)) {
                        return l;
                    }
                }
                return null;
        }
    }

    /** Text cut to max characters, with a marker, or null. */
    static String cut(String text, int max) {
        if (text == null || text.length() <= max) {
            return text;
        }
        int end = Character.isHighSurrogate(text.charAt(max - 1)) ? max - 1 : max;
        return text.substring(0, end) + "... (" + text.length() + " characters)";
    }

    private static Object at(List<?> list, int i) {
        return i < list.size() ? list.get(i) : null;
    }

    private static String string(Object o, String fallback) {
        return o instanceof String s ? s : fallback;
    }

    private static int integer(Object o) {
        if (o instanceof Long l) {
            return (int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, l));
        }
        return 0;
    }
}
