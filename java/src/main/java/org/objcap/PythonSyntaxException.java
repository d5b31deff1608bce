package org.objcap;

import java.util.List;

/**
 * Source given to the sandbox does not compile ({@code SyntaxError} and its
 * subclasses such as {@code IndentationError}).
 */
public class PythonSyntaxException extends PythonException {
    private static final long serialVersionUID = 1L;

    /** File name of the bad source, or null. */
    private final String fileName;
    /** 1-based line, or 0. */
    private final int line;
    /** 1-based column, or 0. */
    private final int column;
    /** The bad line, or null. */
    private final String text;

    /**
     * Creates the exception.
     *
     * @param pythonType the exception's class name, e.g. {@code SyntaxError}
     * @param pythonMessage the message, e.g. {@code invalid syntax}
     * @param traceback the frames, most recent call last
     * @param fileName the file name of the bad source, or {@code null}
     * @param line the 1-based line, or 0 if unknown
     * @param column the 1-based column, or 0 if unknown
     * @param text the bad line, or {@code null}
     */
    public PythonSyntaxException(
            String pythonType,
            String pythonMessage,
            List<PythonFrame> traceback,
            String fileName,
            int line,
            int column,
            String text) {
        super(pythonType, pythonMessage, traceback);
        this.fileName = fileName;
        this.line = line;
        this.column = column;
        this.text = text;
    }

    /**
     * Returns the file name of the bad source.
     *
     * @return the name given to {@link Sandbox#exec(String, String)}, or
     *     {@code null} if unknown
     */
    public String getFileName() {
        return fileName;
    }

    /**
     * Returns the line of the error.
     *
     * @return the 1-based line, or 0 if unknown
     */
    public int getLine() {
        return line;
    }

    /**
     * Returns the column of the error.
     *
     * @return the 1-based column (Python's {@code offset}), or 0 if unknown
     */
    public int getColumn() {
        return column;
    }

    /**
     * Returns the text of the bad line.
     *
     * @return the line, or {@code null} if unknown
     */
    public String getText() {
        return text;
    }

    @Override
    void appendDetails(StringBuilder sb) {
        if (fileName == null) {
            return;
        }
        sb.append("  File \"").append(fileName).append("\", line ").append(line).append('\n');
        if (text != null && !text.isBlank()) {
            String stripped = text.stripTrailing();
            String code = stripped.stripLeading();
            sb.append("    ").append(code).append('\n');
            // Python's caret is relative to the stripped line.
            int caret = column - 1 - (stripped.length() - code.length());
            if (column > 0 && caret >= 0 && caret <= code.length()) {
                sb.append("    ").append(" ".repeat(caret)).append("^\n");
            }
        }
    }
}
