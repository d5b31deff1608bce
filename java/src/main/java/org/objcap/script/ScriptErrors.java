package org.objcap.script;

import java.util.List;
import java.util.stream.Collectors;
import javax.script.ScriptException;
import org.objcap.LimitExceededException;
import org.objcap.PythonException;
import org.objcap.PythonFrame;
import org.objcap.PythonSyntaxException;
import org.objcap.SandboxException;

/** Turns what a sandbox throws into what a JSR-223 caller expects. */
final class ScriptErrors {
    /** The file name of the engine's own helpers, whose frames callers never see. */
    static final String HELPERS_FILE = "<objcap>";

    private ScriptErrors() {}

    /**
     * The {@link ScriptException} for a failure of a script: its message
     * names the Python exception, its file, line and column say where (a
     * runtime error has no column), and its cause is the Python exception
     * (without the engine's own frames), or the limit or crash.
     *
     * @param e what the sandbox threw
     * @param source the script's source, to show the line of a syntax error
     * @param fileName the script's file name, whose innermost line is reported
     */
    static ScriptException toScriptException(SandboxException e, String source, String fileName) {
        ScriptException result;
        if (e instanceof PythonException p) {
            PythonException clean = withoutHelperFrames(p, source);
            result = located(clean.getMessage(), clean, fileName);
            result.initCause(clean);
        } else if (e instanceof LimitExceededException limit && limit.getPythonException() != null) {
            result = located(limit.getMessage(), withoutHelperFrames(limit.getPythonException(), source), fileName);
            result.initCause(limit);
        } else {
            result = new ScriptException(e.getMessage());
            result.initCause(e);
        }
        return result;
    }

    /**
     * A ScriptException that points at the innermost line of the script (or,
     * if the error came from elsewhere, of any code).
     */
    private static ScriptException located(String message, PythonException p, String fileName) {
        if (p instanceof PythonSyntaxException s && s.getFileName() != null) {
            return new ScriptException(message, s.getFileName(), s.getLine(), s.getColumn() > 0 ? s.getColumn() : -1);
        }
        List<PythonFrame> frames = p.getPythonTraceback();
        if (frames.isEmpty()) {
            return new ScriptException(message);
        }
        PythonFrame innermost = frames.get(frames.size() - 1);
        for (PythonFrame frame : frames) {
            if (frame.file().equals(fileName)) {
                innermost = frame;
            }
        }
        return new ScriptException(message, innermost.file(), innermost.line(), -1);
    }

    /**
     * The same Python exception without the frames of the engine's helpers;
     * a syntax error gets the text of its line, which the sandbox only knows
     * for code the host ran itself.
     */
    static PythonException withoutHelperFrames(PythonException p, String source) {
        List<PythonFrame> frames = p.getPythonTraceback().stream()
                .filter(f -> !HELPERS_FILE.equals(f.file()))
                .collect(Collectors.toList());
        PythonException clean;
        if (p instanceof PythonSyntaxException s) {
            String text = s.getText() != null ? s.getText() : line(source, s.getLine());
            clean = new PythonSyntaxException(
                    s.getPythonType(), s.getPythonMessage(), frames, s.getFileName(), s.getLine(), s.getColumn(), text);
        } else if (frames.size() == p.getPythonTraceback().size()) {
            return p;
        } else {
            clean = new PythonException(p.getPythonType(), p.getPythonMessage(), frames);
        }
        clean.setStackTrace(p.getStackTrace());
        return clean;
    }

    /** Line {@code number} (1-based) of the source, or null. */
    private static String line(String source, int number) {
        if (source == null || number < 1) {
            return null;
        }
        return source.lines().skip(number - 1L).findFirst().orElse(null);
    }

    /** Whether a Python exception is the helpers' "no such function or method". */
    static boolean isNoSuchMethod(PythonException p) {
        return "ObjcapNoSuchMethod".equals(p.getPythonType())
                && p.getPythonTraceback().stream().allMatch(f -> HELPERS_FILE.equals(f.file()));
    }
}
