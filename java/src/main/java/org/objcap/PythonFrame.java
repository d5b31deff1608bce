package org.objcap;

/**
 * One frame of a Python traceback.
 *
 * @param file the file name the code was given (for example the one passed
 *     to {@link Sandbox#exec(String, String)})
 * @param line the 1-based line number, or 0 if unknown
 * @param function the function name ({@code <module>} for module code)
 * @param sourceLine the text of the line without surrounding whitespace, or
 *     {@code null} if the engine could not show it
 */
public record PythonFrame(String file, int line, String function, String sourceLine) {

    /**
     * Formats the frame as Python's traceback printer does.
     *
     * @return two lines (one when the source line is unknown), each ending
     *     with a newline
     */
    public String format() {
        StringBuilder sb = new StringBuilder();
        sb.append("  File \"")
                .append(file)
                .append("\", line ")
                .append(line)
                .append(", in ")
                .append(function)
                .append('\n');
        if (sourceLine != null && !sourceLine.isBlank()) {
            sb.append("    ").append(sourceLine.strip()).append('\n');
        }
        return sb.toString();
    }
}
