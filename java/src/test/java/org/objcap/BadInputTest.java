package org.objcap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** Bad input gets a clear Java exception, and the sandbox stays usable. */
class BadInputTest {
    private Sandbox sandbox;

    @BeforeEach
    void open() {
        sandbox = Sandbox.builder().build();
        sandbox.exec("def ident(x):\n    return x\n");
    }

    @AfterEach
    void close() {
        sandbox.close();
    }

    private void assertUsable() {
        assertFalse(sandbox.isClosed());
        assertEquals(2L, sandbox.eval("1 + 1"));
        assertEquals("ok", sandbox.call("ident", "ok"));
    }

    private static void assertNpeNaming(String parameter, Executable call) {
        NullPointerException e = assertThrows(NullPointerException.class, call);
        assertEquals(parameter, e.getMessage());
    }

    @Test
    void nullArguments() {
        assertNpeNaming("source", () -> sandbox.exec(null));
        assertNpeNaming("source", () -> sandbox.exec(null, "f.py"));
        assertNpeNaming("fileName", () -> sandbox.exec("x = 1", null));
        assertNpeNaming("expression", () -> sandbox.eval(null));
        assertNpeNaming("function", () -> sandbox.call(null));
        assertNpeNaming("args", () -> sandbox.call("ident", (Object[]) null));
        assertNpeNaming("name", () -> sandbox.set(null, 1));
        assertNpeNaming("name", () -> sandbox.get(null));
        assertNpeNaming("out", () -> Sandbox.builder().stdout(null));
        assertNpeNaming("err", () -> Sandbox.builder().stderr(null));
        assertNpeNaming("timeout", () -> Sandbox.builder().timeout(null));
        // A null value or argument is Python's None, not an error.
        sandbox.set("n", null);
        assertEquals(true, sandbox.eval("n is None"));
        assertEquals(null, sandbox.call("ident", (Object) null));
        assertUsable();
    }

    @Test
    void closedSandbox() {
        Sandbox s = Sandbox.builder().build();
        s.close();
        assertTrue(s.isClosed());
        List<Executable> calls = List.of(
                () -> s.exec("x = 1"),
                () -> s.exec("x = 1", "f.py"),
                () -> s.eval("1"),
                () -> s.call("f"),
                () -> s.set("x", 1),
                () -> s.get("x"),
                // The closed check comes before converting the value.
                () -> s.set("x", new Object()));
        for (Executable call : calls) {
            IllegalStateException e = assertThrows(IllegalStateException.class, call);
            assertEquals("sandbox is closed", e.getMessage());
        }
        s.close(); // idempotent
        assertTrue(s.isClosed());
    }

    @Test
    void nulInSource() {
        for (Executable call : List.<Executable>of(
                () -> sandbox.exec("x = 1\0"), () -> sandbox.exec("\0"), () -> sandbox.eval("1\0 + 1"))) {
            try {
                call.execute();
                fail("a NUL byte in source was accepted");
            } catch (IllegalArgumentException | PythonSyntaxException e) {
                assertFalse(e.getMessage() == null || e.getMessage().isBlank());
            } catch (Throwable t) {
                fail("unexpected " + t, t);
            }
        }
        assertUsable();
    }

    @Test
    void nulInFileNameOrGlobalName() {
        assertThrows(IllegalArgumentException.class, () -> sandbox.exec("x = 1", "a\0b"));
        assertThrows(IllegalArgumentException.class, () -> sandbox.get("x\0"));
        assertUsable();
    }

    @Test
    void loneSurrogateInSourceIsInvalidUtf8() {
        // WTF-8 sends it through; the engine must refuse it as invalid UTF-8.
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> sandbox.exec("x = '\uD800'"));
        assertFalse(e.getMessage().isBlank());
        assertUsable();
    }

    @Test
    void fiftyMegabyteSource() {
        String source = "before = 1\n# " + "a".repeat(50 << 20) + "\nafter = 2\n";
        try {
            sandbox.exec(source, "huge.py");
            assertEquals(2L, sandbox.get("after"));
        } catch (IllegalArgumentException | SandboxException e) {
            assertFalse(e.getMessage() == null || e.getMessage().isBlank(), e.toString());
        }
        assertUsable();
    }

    @Test
    void syntaxError() {
        PythonSyntaxException e =
                assertThrows(PythonSyntaxException.class, () -> sandbox.exec("a = 1\nb = 2 +* 3\n", "bad.py"));
        assertEquals("SyntaxError", e.getPythonType());
        assertEquals("invalid syntax", e.getPythonMessage());
        assertEquals("bad.py", e.getFileName());
        assertEquals(2, e.getLine());
        assertEquals(8, e.getColumn());
        assertEquals("b = 2 +* 3", e.getText().strip());
        assertTrue(e.formatTraceback().endsWith("SyntaxError: invalid syntax\n"), e.formatTraceback());
        assertUsable();
    }

    @Test
    void indentationErrorIsASyntaxException() {
        PythonSyntaxException e =
                assertThrows(PythonSyntaxException.class, () -> sandbox.exec("if True:\nprint(1)\n", "indent.py"));
        assertEquals("IndentationError", e.getPythonType());
        assertEquals(2, e.getLine());
        assertUsable();
    }

    @Test
    void exceptionWhoseStrRaises() {
        sandbox.exec("class Bad(Exception):\n"
                + "    def __str__(self):\n"
                + "        raise RuntimeError('no str for you')\n"
                + "def boom():\n"
                + "    raise Bad()\n");
        PythonException e = assertThrows(PythonException.class, () -> sandbox.call("boom"));
        assertEquals("Bad", e.getPythonType());
        assertTrue(e.getMessage().startsWith("Bad"), e.getMessage());
        assertUsable();
    }

    @Test
    void unconvertibleJavaArguments() {
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> sandbox.call("ident", new Object()));
        assertTrue(e.getMessage().contains("java.lang.Object"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> sandbox.set("x", List.of(1, Optional.empty())));
        assertTrue(e.getMessage().contains("java.util.Optional"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> sandbox.set("x", new StringBuilder("s")));
        assertUsable();
    }

    @Test
    void tooDeepOrCyclicValues() {
        List<Object> cyclic = new ArrayList<>();
        cyclic.add(cyclic);
        assertThrows(IllegalArgumentException.class, () -> sandbox.set("x", cyclic));
        Object deep = 1;
        for (int i = 0; i < 100; i++) {
            deep = List.of(deep);
        }
        Object tooDeep = deep;
        // Deeper than the engine's OBJCAP_MAX_DEPTH, in either direction.
        assertThrows(IllegalArgumentException.class, () -> sandbox.set("x", tooDeep));
        assertThrows(IllegalArgumentException.class, () -> sandbox.eval("[".repeat(100) + "]".repeat(100)));
        Object shallow = 1L;
        for (int i = 0; i < 20; i++) {
            shallow = List.of(shallow);
        }
        assertEquals(shallow, sandbox.call("ident", shallow));
        assertUsable();
    }

    @Test
    void builderRefusesNonsense() {
        assertThrows(IllegalArgumentException.class, () -> Sandbox.builder().recursionLimit(49));
        assertThrows(IllegalArgumentException.class, () -> Sandbox.builder().recursionLimit(100_001));
        assertThrows(IllegalArgumentException.class, () -> Sandbox.builder().timeout(java.time.Duration.ofMillis(-1)));
        // No limit is asked for by name (unlimitedTime()), never by zero.
        assertThrows(IllegalArgumentException.class, () -> Sandbox.builder().timeout(java.time.Duration.ZERO));
        assertThrows(IllegalArgumentException.class, () -> Sandbox.builder().memoryLimit(0));
        assertThrows(IllegalArgumentException.class, () -> Sandbox.builder().maxOutput(0));
    }
}
