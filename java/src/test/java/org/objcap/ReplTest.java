package org.objcap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.objcap.cli.ObjcapCommand;

/**
 * {@code objcap repl} as a new user meets it: typed lines on standard input
 * (and once through a pseudo-terminal), results printed as Python's console
 * prints them, and errors, limits and Ctrl-D.
 */
class ReplTest {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int repl(String input, String... options) {
        List<String> args = new ArrayList<>(List.of("repl", "--quiet"));
        args.addAll(List.of(options));
        return ObjcapCommand.execute(
                args.toArray(new String[0]),
                new ByteArrayInputStream(input.getBytes(StandardCharsets.UTF_8)),
                new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    private String out() {
        return out.toString(StandardCharsets.UTF_8);
    }

    /** What the user saw on stderr, without the prompts. */
    private String errWithoutPrompts() {
        return err.toString(StandardCharsets.UTF_8).replace(">>> ", "").replace("... ", "");
    }

    @Test
    void expressionsPrintTheirReprAndStateCarriesOver() {
        assertEquals(0, repl("x = 6\nx * 7\n'a' + 'b'\nNone\n(1, 'é')\n_\n{1: [2.5]}\n"));
        assertEquals("42\n'ab'\n(1, 'é')\n(1, 'é')\n{1: [2.5]}\n", out());
        assertTrue(err.toString(StandardCharsets.UTF_8).startsWith(">>> >>> "), "prompts");
    }

    @Test
    void blocksContinueUntilABlankLine() {
        assertEquals(
                0,
                repl("def f(n):\n    return n + 1\n\nf(1)\nfor i in range(3):\n    i\n\n"
                        + "if True:\n    print('in')\nelse:\n    print('out')\n\n"));
        assertEquals("2\n0\n1\n2\nin\n", out());
        String prompts = err.toString(StandardCharsets.UTF_8);
        assertEquals(">>> ... ... >>> >>> ... ... >>> ... ... ... ... >>> \n", prompts);
    }

    @Test
    void exceptionsAndSyntaxErrorsAreReportedAndTheConsoleGoesOn() {
        assertEquals(0, repl("def f():\n    return 1 / 0\n\nf()\nx = )\nprint('still here')\n"));
        assertEquals("still here\n", out());
        assertEquals(
                "Traceback (most recent call last):\n"
                        + "  File \"<stdin>\", line 1, in <module>\n"
                        + "  File \"<stdin>\", line 2, in f\n"
                        + "ZeroDivisionError: division by zero\n"
                        + "  File \"<stdin>\", line 1\n"
                        + "    x = )\n"
                        + "        ^\n"
                        + "SyntaxError: unmatched ')'\n\n",
                errWithoutPrompts());
    }

    @Test
    void limitsAreReportedAndAKilledSandboxIsReplaced() {
        assertEquals(0, repl("x = 1\nwhile True: pass\n\nx\n9**9**9\nx\n1 + 1\n", "--timeout", "0.5"));
        assertEquals("1\n2\n", out(), "x survived the loop, not the killed worker");
        String e = errWithoutPrompts();
        assertTrue(
                e.startsWith("objcap: time limit exceeded: the call ran longer than its time"
                        + " limit (500 ms) [--timeout]\n"),
                e);
        assertTrue(
                e.contains("the worker was killed, so the sandbox is closed [--timeout]\n"
                        + "objcap: starting a new sandbox; what was defined before is gone\n"
                        + "Traceback (most recent call last):\n"),
                e);
        assertTrue(e.contains("NameError: name 'x' is not defined\n"), e);
    }

    @Test
    void endOfInputExitsZeroAndSysExitWithItsStatus() {
        assertEquals(0, repl(""));
        assertEquals(3, repl("import sys\nsys.exit(3)\nprint('not reached')\n"));
        assertEquals("", out());
    }

    @Test
    void thePolicyOptionsApply() {
        assertEquals(
                0,
                repl(
                        "import shlex\nshlex.quote('a b')\nimport os\nlen('a' * 10**8)\n",
                        "--in-process",
                        "--allow-module",
                        "shlex",
                        "--memory",
                        "50"));
        assertEquals("\"'a b'\"\n", out());
        String e = errWithoutPrompts();
        assertTrue(
                e.contains("ModuleNotFoundError: import of 'os' is not allowed in this sandbox\n"
                        + "objcap: --allow-module NAME"),
                e);
        assertTrue(e.contains("objcap: memory limit exceeded"), e);
        assertEquals(2, repl("", "--allow-module", "os"));
        assertTrue(
                errWithoutPrompts().contains("--allow-module os: that module gives authority" + " away"),
                errWithoutPrompts());
    }

    /**
     * Ctrl-D on a real terminal: the console runs under script(1), which
     * gives it a pty. A JVM of its own also shows CPython's start-up in the
     * verbose log.
     */
    @Test
    void ctrlDOnATerminalEndsTheConsole() throws Exception {
        String java = ProcessHandle.current().info().command().orElseThrow();
        String command = "'" + java + "' -cp '" + System.getProperty("java.class.path")
                + "' org.objcap.cli.ObjcapCommand repl --in-process --verbose";
        Process process = new ProcessBuilder("script", "-qfec", command, "/dev/null")
                .redirectErrorStream(true)
                .start();
        ByteArrayOutputStream screen = new ByteArrayOutputStream();
        Thread reader = copy(process.getInputStream(), screen);
        try (OutputStream keys = process.getOutputStream()) {
            // Whole lines only: the verbose log shows numbers too (a handle
            // #4294967297 holds "42"), and keys typed early echo before the prompt.
            await(screen, "Ctrl-D exits.\n>>> ");
            keys.write("6 * 7\n".getBytes(StandardCharsets.UTF_8));
            keys.flush();
            await(screen, ">>> 6 * 7\n42\n>>> ");
            keys.write(4); // Ctrl-D
            keys.flush();
            assertTrue(process.waitFor(60, TimeUnit.SECONDS), "still running: " + screen);
        } finally {
            process.destroyForcibly();
        }
        reader.join(5_000);
        assertEquals(0, process.exitValue(), screen.toString(StandardCharsets.UTF_8));
        String shown = screen.toString(StandardCharsets.UTF_8).replace("\r", "");
        assertTrue(shown.contains(">>> 6 * 7\n42\n>>> "), shown);
        assertFalse(shown.contains("Traceback"), shown);
        assertTrue(shown.contains("objcap: embedded CPython started: objcap "), shown);
    }

    private static Thread copy(InputStream from, ByteArrayOutputStream to) {
        Thread t = new Thread(() -> {
            byte[] buffer = new byte[4096];
            try {
                for (int n; (n = from.read(buffer)) != -1; ) {
                    synchronized (to) {
                        to.write(buffer, 0, n);
                    }
                }
            } catch (IOException e) {
                // the pty closed
            }
        });
        t.setDaemon(true);
        t.start();
        return t;
    }

    private static void await(ByteArrayOutputStream screen, String text) throws InterruptedException {
        long until = System.nanoTime() + 60_000_000_000L;
        while (System.nanoTime() < until) {
            synchronized (screen) {
                if (screen.toString(StandardCharsets.UTF_8).replace("\r", "").contains(text)) {
                    return;
                }
            }
            Thread.sleep(20);
        }
        throw new AssertionError("never shown: " + text + "\nscreen: " + screen);
    }
}
