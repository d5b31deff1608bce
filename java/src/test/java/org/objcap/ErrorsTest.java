package org.objcap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Python exceptions arrive with their type, message and traceback. */
class ErrorsTest {
    private Sandbox sandbox;

    @BeforeEach
    void open() {
        sandbox = Sandbox.builder().build();
    }

    @AfterEach
    void close() {
        sandbox.close();
    }

    private static PythonFrame last(PythonException e) {
        List<PythonFrame> frames = e.getPythonTraceback();
        assertTrue(!frames.isEmpty(), "no traceback");
        return frames.get(frames.size() - 1);
    }

    /** The frames of code run from a given file, outermost first. */
    private static List<String> framesIn(PythonException e, String file) {
        return e.getPythonTraceback().stream()
                .filter(f -> f.file().equals(file))
                .map(f -> f.function() + ":" + f.line())
                .collect(Collectors.toList());
    }

    @Test
    void zeroDivisionInAFunction() {
        sandbox.exec("def ratio(a, b):\n    return a / b\n", "calc.py");
        PythonException e = assertThrows(PythonException.class, () -> sandbox.call("ratio", 1, 0));
        assertSame(PythonException.class, e.getClass());
        assertEquals("ZeroDivisionError", e.getPythonType());
        assertEquals("division by zero", e.getPythonMessage());
        assertEquals("ZeroDivisionError: division by zero", e.getMessage());
        PythonFrame frame = last(e);
        assertEquals("calc.py", frame.file());
        assertEquals(2, frame.line());
        assertEquals("ratio", frame.function());
        assertEquals("return a / b", frame.sourceLine());
        String tb = e.formatTraceback();
        assertTrue(tb.startsWith("Traceback (most recent call last):\n"), tb);
        assertTrue(tb.contains("  File \"calc.py\", line 2, in ratio\n    return a / b\n"), tb);
        assertTrue(tb.endsWith("ZeroDivisionError: division by zero\n"), tb);
        assertTrue(e.toString().contains("ZeroDivisionError: division by zero"), e.toString());
        assertEquals(0.5, sandbox.call("ratio", 1, 2));
    }

    @Test
    void moduleLevelError() {
        PythonException e = assertThrows(PythonException.class, () -> sandbox.exec("x = 1\ny = x / 0\n", "mod.py"));
        PythonFrame frame = last(e);
        assertEquals("mod.py", frame.file());
        assertEquals(2, frame.line());
        assertEquals("<module>", frame.function());
        // Lines before the error ran.
        assertEquals(1L, sandbox.get("x"));
    }

    @Test
    void defaultFileName() {
        PythonException e = assertThrows(PythonException.class, () -> sandbox.exec("1 / 0"));
        assertEquals("<sandbox>", last(e).file());
    }

    @Test
    void nestedCallTraceback() {
        sandbox.exec(
                "def outer():\n"
                        + "    return middle()\n"
                        + "\n"
                        + "def middle():\n"
                        + "    return inner()\n"
                        + "\n"
                        + "def inner():\n"
                        + "    return 1 // 0\n",
                "nest.py");
        PythonException e = assertThrows(PythonException.class, () -> sandbox.call("outer"));
        assertEquals("ZeroDivisionError", e.getPythonType());
        assertEquals(List.of("outer:2", "middle:5", "inner:8"), framesIn(e, "nest.py"));
        String tb = e.formatTraceback();
        assertTrue(
                tb.indexOf("in outer") < tb.indexOf("in middle") && tb.indexOf("in middle") < tb.indexOf("in inner"),
                tb);
    }

    /**
     * A repeated expression reuses its code (calls.c), but its traceback
     * still shows its own line after an exec under the same name, "<eval>",
     * showed another.
     */
    @Test
    void aRepeatedEvalShowsItsOwnLine() {
        for (int i = 0; i < 2; i++) {
            PythonException e = assertThrows(PythonException.class, () -> sandbox.eval("1 / zero"));
            assertEquals("NameError", e.getPythonType());
            assertEquals("1 / zero", last(e).sourceLine());
            sandbox.exec("other = 1\nnothing = 2\n", "<eval>");
        }
        sandbox.exec("zero = 0");
        PythonException e = assertThrows(PythonException.class, () -> sandbox.eval("1 / zero"));
        assertEquals("ZeroDivisionError", e.getPythonType());
        assertEquals("1 / zero", last(e).sourceLine());
        // Each name resolved at each call, whatever the name's last binding.
        sandbox.exec("def f():\n    return 1\n");
        assertEquals(1L, sandbox.call("f"));
        sandbox.exec("def f():\n    return 2\n");
        assertEquals(2L, sandbox.call("f"));
        assertEquals(2L, sandbox.eval("f()"));
        sandbox.exec("f = lambda: 3");
        assertEquals(3L, sandbox.eval("f()"));
    }

    @Test
    void tracebackAcrossExecs() {
        sandbox.exec("def helper(x):\n    raise KeyError(x)\n", "lib.py");
        sandbox.exec("def main():\n    helper('k')\n", "main.py");
        PythonException e = assertThrows(PythonException.class, () -> sandbox.call("main"));
        assertEquals("KeyError", e.getPythonType());
        assertEquals("'k'", e.getPythonMessage());
        assertEquals(List.of("main:2"), framesIn(e, "main.py"));
        assertEquals(List.of("helper:2"), framesIn(e, "lib.py"));
    }

    @Test
    void nonAsciiMessage() {
        PythonException e = assertThrows(PythonException.class, () -> sandbox.exec("raise ValueError('é')", "u.py"));
        assertEquals("ValueError", e.getPythonType());
        assertEquals("é", e.getPythonMessage());
        assertEquals("ValueError: é", e.getMessage());
        e = assertThrows(PythonException.class, () -> sandbox.eval("int('😀')"));
        assertTrue(e.getPythonMessage().contains("😀"), e.getPythonMessage());
    }

    @Test
    void customExceptionAndEmptyMessage() {
        sandbox.exec("class Oops(Exception):\n    pass\n");
        PythonException e = assertThrows(PythonException.class, () -> sandbox.exec("raise Oops()"));
        assertEquals("Oops", e.getPythonType());
        assertEquals("", e.getPythonMessage());
        assertEquals("Oops", e.getMessage());
    }

    @Test
    void missingGlobalIsNameError() {
        PythonException e = assertThrows(PythonException.class, () -> sandbox.get("missing"));
        assertEquals("NameError", e.getPythonType());
        assertTrue(e.getPythonMessage().contains("missing"), e.getPythonMessage());
        e = assertThrows(PythonException.class, () -> sandbox.call("missing"));
        assertEquals("NameError", e.getPythonType());
    }

    @Test
    void callingANonCallable() {
        sandbox.exec("n = 1");
        PythonException e = assertThrows(PythonException.class, () -> sandbox.call("n"));
        assertEquals("TypeError", e.getPythonType());
    }

    @Test
    void evalErrorsAndSyntax() {
        assertEquals(
                "ZeroDivisionError",
                assertThrows(PythonException.class, () -> sandbox.eval("1 / 0")).getPythonType());
        // A statement is not an expression.
        assertThrows(PythonSyntaxException.class, () -> sandbox.eval("x = 1"));
        assertEquals(3L, sandbox.eval("1 + 2"));
    }
}
