package org.objcap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.objcap.internal.CPythonInstall;
import org.objcap.internal.Interpreters;
import org.objcap.internal.JarBinary;
import org.objcap.internal.NativeEngine;

/**
 * Which CPython a sandbox runs on: the bundled one by default, the one the
 * system property {@code objcap.python} names, or the one its builder
 * names; one CPython per process, so another one only in a worker.
 */
class InterpretersTest {
    @TempDir
    Path dir;

    private static String named() {
        return System.getProperty("objcap.python", "");
    }

    /** An installed CPython other than the one this JVM runs, or null. */
    private static Path otherPython() {
        Path other = named().isBlank()
                ? Path.of("/usr/bin/python3.11")
                : Path.of(System.getProperty("objcap.bundled.python", ""));
        return Files.isExecutable(other) ? other : null;
    }

    private static List<?> versionIn(Sandbox s) {
        return (List<?>) s.eval("list(__import__('sys').version_info[:2])");
    }

    @Test
    void theDefaultIsTheBundledCPythonUnlessOneIsNamed() {
        String origin = NativeEngine.python().origin();
        if (named().isBlank()) {
            assertTrue(origin.startsWith("org.bytedeco:cpython:3.14."), origin);
        } else {
            assertEquals(Path.of(named()).toAbsolutePath().normalize().toString(), origin);
        }
        try (Sandbox s = Sandbox.builder().inProcess().build()) {
            String version = NativeEngine.python().version();
            assertEquals(List.of(3L, Long.parseLong(version.split("\\.")[1])), versionIn(s));
        }
    }

    @Test
    void aWorkerRunsAnotherCPython() {
        Path other = otherPython();
        assumeTrue(other != null, "no second CPython here");
        try (Sandbox s = Sandbox.builder().python(other).build()) {
            assertTrue(s.isolation().processIsolated());
            List<?> version = versionIn(s);
            assertTrue(!version.equals(versionInProcess()), "the worker ran this JVM's CPython: " + version);
            // The worker's confinement holds with the other stdlib as with its own.
            s.exec("try:\n    import os\n    r = 'imported'\nexcept ImportError:\n    r = 'refused'\n");
            assertEquals("refused", s.get("r"));
            assertEquals(List.of("a", 2L), s.eval("['a', 1 + 1]"));
        }
    }

    private static List<?> versionInProcess() {
        try (Sandbox s = Sandbox.builder().inProcess().build()) {
            return versionIn(s);
        }
    }

    @Test
    void oneProcessHoldsOneCPython() {
        Path other = otherPython();
        assumeTrue(other != null, "no second CPython here");
        versionInProcess(); // this JVM's CPython is loaded
        SandboxException e = assertThrows(
                SandboxException.class,
                () -> Sandbox.builder().python(other).inProcess().build());
        assertTrue(e.getMessage().contains("one process holds one CPython"), e.getMessage());
        assertTrue(e.getMessage().contains("process-isolated"), e.getMessage());
    }

    @Test
    void notAnInterpreterIsRefusedAtOnce() throws IOException {
        assertThrows(NullPointerException.class, () -> Sandbox.builder().python(null));
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class, () -> Sandbox.builder().python(dir.resolve("missing")));
        assertTrue(e.getMessage().contains("not an executable file"), e.getMessage());
        Path notExecutable = Files.writeString(dir.resolve("python3"), "");
        assertThrows(IllegalArgumentException.class, () -> Sandbox.builder().python(notExecutable));
        assertThrows(IllegalArgumentException.class, () -> Sandbox.builder().python(dir));
    }

    /** A fake interpreter that answers the probe with these lines (or fails). */
    private Path fake(String name, String script) throws IOException {
        Path p = Files.writeString(dir.resolve(name), "#!/bin/sh\n" + script + "\n");
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwx------"));
        return p;
    }

    private String refusal(Path python) {
        Sandbox.Builder builder = Sandbox.builder().python(python);
        return assertThrows(SandboxException.class, builder::build).getMessage();
    }

    @Test
    void unsupportedOrUnusableInterpretersAreRefusedWithTheReason() throws IOException {
        String stdlib = dir.toString();
        String m = refusal(fake("old", "printf '3.9.2\\n/x.so\\n/y\\n/z\\n'"));
        assertTrue(m.contains("is CPython 3.9.2; objcap supports CPython 3.11 to 3.14"), m);
        m = refusal(fake("newer", "printf '3.15.0\\n/x.so\\n/y\\n/z\\n'"));
        assertTrue(m.contains("supports CPython 3.11 to 3.14"), m);
        m = refusal(fake("static", "printf '3.11.2\\nlibpython3.11.a\\n" + stdlib + "\\n" + stdlib + "\\n'"));
        assertTrue(m.contains("has no shared libpython"), m);
        m = refusal(fake("failing", "echo broken >&2; exit 3"));
        assertTrue(m.contains("failed (exit 3): broken"), m);
        m = refusal(fake("chatty", "printf 'a\\nb\\n'"));
        assertTrue(m.contains("did not answer as a CPython 3 does"), m);
        m = refusal(fake("flood", "head -c 200000 /dev/zero | tr '\\\\0' x"));
        assertTrue(m.contains("more than 64 KiB"), m);
        m = refusal(fake(
                "nostdlib",
                "printf '3.11.2\\n/usr/lib/x86_64-linux-gnu/libc.so.6\\n" + stdlib + "\\n" + stdlib + "\\n'"));
        assertTrue(m.contains("has no standard library"), m);
    }

    /**
     * A libpython of another version than its interpreter says is refused
     * before the engine is loaded on it, and stays the JVM's only one: the
     * engine of the claimed version crashed the JVM (found by review), and
     * so did the next in-process sandbox on another CPython after any
     * failed load.
     */
    @Test
    void aLibpythonOfAnotherVersionIsRefused() throws Exception {
        CPythonInstall real = Interpreters.resolve(null);
        String claimed = real.abiTag().equals("cp311") ? "3.14.0" : "3.11.2";
        assumeTrue(JarBinary.hasEngine(real.abiTag().equals("cp311") ? "cp314" : "cp311"), "one engine only");
        Path liar = fake(
                "liar",
                "printf '" + claimed + "\\n" + real.libpython() + "\\n" + real.stdlib() + "\\n" + real.dynload()
                        + "\\n'");
        Path other = otherPython();
        List<String> pythons = new ArrayList<>(List.of(liar.toString()));
        if (other != null) {
            pythons.add(other.toString());
        }
        pythons.add("default");
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Djna.nosys=true",
                "-D" + Interpreters.PROPERTY + "=" + named(),
                "-cp",
                System.getProperty("java.class.path"),
                LoadChild.class.getName()));
        command.addAll(pythons);
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), out);
        assertEquals(0, p.exitValue(), out);
        List<String> lines = out.lines()
                .filter(l -> l.startsWith("ok") || l.startsWith("refused"))
                .toList();
        assertEquals(pythons.size(), lines.size(), out);
        assertTrue(lines.get(0).startsWith("refused: ") && lines.get(0).contains("not the " + claimed), out);
        if (other != null) {
            assertTrue(lines.get(1).contains("one process holds one CPython"), out);
        }
        assertEquals("ok 2", lines.get(lines.size() - 1), out);
    }
}
