package org.objcap;

import java.util.List;
import java.util.Objects;

/**
 * Sandboxed Python code raised an exception that it did not handle. The
 * sandbox stays usable.
 *
 * <p>{@link #getMessage()} is {@code "Type: message"} as Python prints it;
 * {@link #formatTraceback()} gives the whole Python-style traceback.
 */
public class PythonException extends SandboxException {
    private static final long serialVersionUID = 1L;

    /** The Python exception's class name. */
    private final String pythonType;
    /** str() of the Python exception. */
    private final String pythonMessage;
    /** The frames, most recent call last. */
    private final List<PythonFrame> traceback;

    /**
     * Creates the exception.
     *
     * @param pythonType the exception's class name, e.g. {@code ValueError}
     * @param pythonMessage {@code str()} of the exception (may be empty)
     * @param traceback the frames, most recent call last
     */
    public PythonException(String pythonType, String pythonMessage, List<PythonFrame> traceback) {
        super(describe(pythonType, pythonMessage));
        this.pythonType = Objects.requireNonNull(pythonType, "pythonType");
        this.pythonMessage = pythonMessage == null ? "" : pythonMessage;
        this.traceback = List.copyOf(Objects.requireNonNull(traceback, "traceback"));
    }

    /**
     * Returns the Python exception's class name.
     *
     * @return e.g. {@code ZeroDivisionError}
     */
    public String getPythonType() {
        return pythonType;
    }

    /**
     * Returns {@code str()} of the Python exception.
     *
     * @return the message, possibly empty, never {@code null}
     */
    public String getPythonMessage() {
        return pythonMessage;
    }

    /**
     * Returns the traceback.
     *
     * @return the frames, most recent call last (as Python prints them);
     *     unmodifiable, possibly empty
     */
    public List<PythonFrame> getPythonTraceback() {
        return traceback;
    }

    /**
     * Formats the exception as Python's traceback printer does.
     *
     * @return the text, ending with {@code "Type: message\n"}
     */
    public String formatTraceback() {
        StringBuilder sb = new StringBuilder();
        if (!traceback.isEmpty()) {
            sb.append("Traceback (most recent call last):\n");
            for (PythonFrame frame : traceback) {
                sb.append(frame.format());
            }
        }
        appendDetails(sb);
        sb.append(getMessage()).append('\n');
        return sb.toString();
    }

    /**
     * Lets subclasses add lines between the frames and the last line.
     *
     * @param sb the traceback being built
     */
    void appendDetails(StringBuilder sb) {
        // Only syntax errors have details.
    }

    @Override
    public String toString() {
        String where = "";
        if (!traceback.isEmpty()) {
            PythonFrame last = traceback.get(traceback.size() - 1);
            where = " (" + last.file() + ", line " + last.line() + ", in " + last.function() + ")";
        }
        return getClass().getSimpleName() + ": " + getMessage() + where;
    }

    private static String describe(String type, String message) {
        return message == null || message.isEmpty() ? type : type + ": " + message;
    }
}
