package org.objcap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * The CPython the sandboxes of this test run use, run as a program ({@code
 * -I -S}, no sandbox): the oracle for what a whitelisted module should
 * answer on this version. Maven passes {@code objcap.python}, the
 * interpreter under test, empty for the bundled CPython, whose own {@code
 * python3.14} it passes as {@code objcap.bundled.python}.
 */
final class PlainCPython {

    private PlainCPython() {}

    static String path() {
        String python = System.getProperty("objcap.python", "");
        if (python.isBlank()) {
            python = System.getProperty("objcap.bundled.python", "");
        }
        Assumptions.assumeFalse(python.isBlank(), "no plain CPython named (Maven names one)");
        return python;
    }

    /** {@code repr(expression)} after {@code program}, as that CPython prints it. */
    static String repr(String program, String expression) {
        return run(program + "\nimport sys as _s\n_s.stdout.write(repr(" + expression + "))\n");
    }

    /** The message of the exception that {@code statement} raises on that CPython. */
    static String message(String statement) {
        return run("import sys as _s\ntry:\n    " + statement + "\nexcept Exception as _e:\n"
                + "    _s.stdout.write(str(_e))\nelse:\n    raise SystemExit('no exception')\n");
    }

    private static String run(String code) {
        try {
            Process p = new ProcessBuilder(path(), "-I", "-S", "-c", code)
                    .redirectError(ProcessBuilder.Redirect.DISCARD)
                    .start();
            p.getOutputStream().close();
            String printed = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), printed);
            assertEquals(0, p.exitValue(), "plain CPython failed on: " + code);
            return printed;
        } catch (IOException e) {
            throw new AssertionError("cannot run " + path(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
