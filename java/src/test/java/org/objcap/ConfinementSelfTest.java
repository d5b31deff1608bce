package org.objcap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.objcap.internal.CPythonInstall;
import org.objcap.internal.Interpreters;
import org.objcap.internal.JarBinary;

/**
 * The kernel, not only the interpreter, holds the worker in: the worker's
 * test-only entry point ({@code objcap-worker --self-test-confinement DIR},
 * which a sandbox cannot reach since it cannot exec anything) confines
 * itself as for a sandbox, then makes raw C attempts (open, create, socket,
 * execve, fork, kill) that must each be refused.
 */
class ConfinementSelfTest {
    private static final Pattern HEADER =
            Pattern.compile("seccomp=(\\d+) landlock=(\\d+) no_new_privs=(\\d+) rlimits=(\\d+)");
    private static final List<String> ATTEMPTS = List.of(
            "open a file outside the granted directories",
            "open /etc/passwd",
            "create a file",
            "create a directory",
            "create a socket",
            "create a Unix socket",
            "execve",
            "fork",
            "signal another process");

    @TempDir
    Path dir;

    @Test
    void everyRawAttemptIsRefusedByTheKernel() throws IOException, InterruptedException {
        Path canary = Files.writeString(dir.resolve("canary.txt"), "secret\n");
        assertTrue(Files.isReadable(canary)); // readable to the JVM, not to the worker
        CPythonInstall python = Interpreters.resolve(null);
        // With the paths the engine gives it: Landlock must allow exactly that stdlib.
        ProcessBuilder builder = new ProcessBuilder(
                        JarBinary.worker(python.abiTag()).verifiedPath(),
                        "--self-test-confinement",
                        dir.toString(),
                        "--stdlib",
                        python.stdlib().toString(),
                        "--dynload",
                        python.dynload().toString())
                .redirectErrorStream(true)
                // As the engine spawns it: in an empty directory of its own,
                // which becomes the root of its mount namespace.
                .directory(Files.createDirectory(dir.resolve("worker-root")).toFile());
        // As the engine spawns it: the jar's worker has no RUNPATH.
        builder.environment()
                .put("LD_LIBRARY_PATH", python.libpython().getParent().toString());
        Process p = builder.start();
        p.getOutputStream().close();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), "the self-test did not end");
        assertEquals(0, p.exitValue(), output);

        List<String> lines = output.lines().toList();
        Matcher header = HEADER.matcher(lines.get(0));
        assertTrue(header.matches(), output);
        assertEquals("1", header.group(1), "seccomp\n" + output);
        assertTrue(Integer.parseInt(header.group(2)) > 0, "Landlock\n" + output);
        assertEquals("1", header.group(3), "no_new_privs\n" + output);
        assertEquals("1", header.group(4), "rlimits\n" + output);
        assertEquals("0 allowed", lines.get(lines.size() - 1), output);

        List<String> attempts = lines.subList(1, lines.size() - 1);
        assertTrue(attempts.contains("allowed read its stdlib"), output);
        for (String line : attempts) {
            assertTrue(
                    line.startsWith("refused ") || line.equals("allowed read its stdlib"),
                    "not refused: " + line + "\n" + output);
        }
        assertTrue(attempts.stream().anyMatch(l -> l.startsWith("refused create a file in its stdlib: ")), output);
        for (String attempt : ATTEMPTS) {
            assertTrue(
                    attempts.stream().anyMatch(l -> l.startsWith("refused " + attempt + ": ")),
                    "no refusal of: " + attempt + "\n" + output);
        }
        assertFalse(Files.exists(dir.resolve("created-by-worker")), "the worker created a file");
        assertEquals("secret\n", Files.readString(canary));
    }
}
