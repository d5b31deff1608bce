package org.objcap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.objcap.SandboxAssert.assertRaises;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The paper's Figure 1: a security delegate for {@code open} written in pure
 * Python as a closure, which the paper says needs "introspection on free
 * variables of closures" to be removed (section 8). It is written here in the
 * paper's code shape, without its {@code startswith} bug (which let
 * {@code /tmp/restricted_evil} pass for {@code /tmp/restricted}), around a
 * stand-in open capability, and attacked by a script in the same sandbox.
 *
 * <p>On a CPython built with {@code cpython-patches/} (0005, private
 * closures) the closure itself keeps the capability: functions have no
 * {@code __closure__} and cells no {@code cell_contents}. On a stock CPython
 * it is not private: any cell that reaches Python hands out (and takes) its
 * contents, and the delegate is safe in a sandbox only because objcap's
 * audit hook refuses {@code __closure__} (layer 3); outside a sandbox
 * {@code open_delegate.__closure__[0].cell_contents} is the capability.
 * Both are asserted below, each on its own build.
 */
class Figure1DelegateTest {
    /** Trusted set-up, run by the host: Figure 1 with the bug fixed. */
    private static final String SETUP = resource("protected_open.py");

    /**
     * The untrusted script: every way it knows to get the capability or to
     * open outside {@code /tmp/restricted}. Prints ESCAPED when one works.
     */
    private static final String ATTACK = resource("attack.py");

    private static String resource(String name) {
        try (InputStream in = Figure1DelegateTest.class.getResourceAsStream("/figure1/" + name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Sandbox open(String mode, ByteArrayOutputStream out) {
        Sandbox.Builder b = Sandbox.builder().stdout(out);
        return (Isolation.IN_PROCESS.equals(mode) ? b.inProcess() : b).build();
    }

    @ParameterizedTest
    @ValueSource(strings = {Isolation.IN_PROCESS, Isolation.PROCESS})
    void theDelegateWorksAndTheScriptCannotGetItsCapability(String mode) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (Sandbox sandbox = open(mode, out)) {
            sandbox.exec(SETUP, "figure1.py");
            assertEquals(
                    List.of("opened", "/tmp/restricted/notes/a.txt", "r"),
                    sandbox.eval("open_delegate('notes/./a.txt')"));
            assertEquals(
                    List.of("opened", "/tmp/restricted/b", "w"),
                    sandbox.eval("open_delegate('/tmp/restricted/x/../b', 'w')"));
            assertEquals(List.of("open_delegate"), sandbox.eval("[n for n in globals() if not n.startswith('__')]"));

            sandbox.exec(ATTACK, "attack.py");
            String printed = out.toString(StandardCharsets.UTF_8);
            assertFalse(printed.contains("ESCAPED"), printed);
            assertTrue(printed.endsWith("done\n"), printed);
        }
    }

    /**
     * Outside a sandbox (the interpreter objcap was built against, run as a
     * program, no audit hook) the language alone decides: on a stock CPython
     * the script takes the capability five ways; on a patched one only
     * through a frame, which is why objcap's hook keeps frames out of reach.
     */
    @Test
    void outsideASandboxTheLanguageAloneDecides() throws Exception {
        Process p = new ProcessBuilder(PlainCPython.path(), "-I", "-S", "-c", SETUP + "\n" + ATTACK)
                .redirectErrorStream(true)
                .start();
        p.getOutputStream().close();
        String printed = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), printed);
        assertEquals(0, p.exitValue(), printed);
        if (PatchedCPython.active()) {
            assertEquals("ESCAPED through a frame\ndone\n", printed);
        } else {
            assertEquals(
                    "ESCAPED via __closure__\nESCAPED via the descriptor\n"
                            + "ESCAPED through a frame\nESCAPED with a new function over its cells\n"
                            + "ESCAPED by swapping __code__\ndone\n",
                    printed);
        }
    }

    /** The fix matters: the paper's own check lets a sibling directory pass. */
    @ParameterizedTest
    @ValueSource(strings = {Isolation.IN_PROCESS, Isolation.PROCESS})
    void thePapersStartswithCheckLetsASiblingDirectoryThrough(String mode) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (Sandbox sandbox = open(mode, out)) {
            sandbox.exec(
                    SETUP.replace(
                            "        if not (abs_path == restricted_dir or\n"
                                    + "                abs_path.startswith(restricted_dir + '/')):",
                            "        if not abs_path.startswith(restricted_dir):"),
                    "figure1.py");
            assertEquals(
                    List.of("opened", "/tmp/restricted_evil/x", "r"),
                    sandbox.eval("open_delegate('../restricted_evil/x')"));
        }
    }

    /** What makes it safe differs: the language on a patched CPython, the hook on a stock one. */
    @ParameterizedTest
    @ValueSource(strings = {Isolation.IN_PROCESS, Isolation.PROCESS})
    void closuresArePrivateOnlyOnAPatchedCPython(String mode) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (Sandbox sandbox = open(mode, out)) {
            sandbox.exec(SETUP, "figure1.py");
            sandbox.exec("import types\ncell = types.CellType('capability')\n");
            if (PatchedCPython.active()) {
                // No cell shows what it holds, and functions show no cells:
                // a plain missing attribute, which no audit hook had to refuse.
                PythonException e = assertRaises(sandbox, "AttributeError", "cell.cell_contents");
                assertEquals("'cell' object has no attribute 'cell_contents'", e.getPythonMessage());
                assertRaises(sandbox, "AttributeError", "cell.cell_contents = 'other'");
                e = assertRaises(sandbox, "AttributeError", "open_delegate.__closure__");
                assertEquals("'function' object has no attribute '__closure__'", e.getPythonMessage());
                assertEquals(false, sandbox.eval("'__closure__' in dir(open_delegate)"));
                assertEquals(0L, sandbox.denials().count(), sandbox.denials().toString());
            } else {
                // Documented unsafe: a cell in reach is read and rewritten...
                assertEquals("capability", sandbox.eval("cell.cell_contents"));
                sandbox.exec("cell.cell_contents = 'other'");
                assertEquals("other", sandbox.eval("cell.cell_contents"));
                // ...and only objcap's audit hook keeps the delegate's cells
                // out of reach, refusing the read as a denial.
                PythonException e = assertRaises(sandbox, "AttributeError", "open_delegate.__closure__");
                assertEquals("'__closure__' is not available in this sandbox", e.getPythonMessage());
                assertEquals(
                        List.of("object.__getattr__ __closure__"),
                        sandbox.denials().recent());
            }
        }
    }
}
