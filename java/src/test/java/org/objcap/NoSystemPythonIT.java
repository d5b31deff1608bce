package org.objcap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The jar just built, with the class path its Maven dependency line brings
 * (target/lib: JNA, msgpack, picocli, org.bytedeco:cpython), runs a sandbox
 * on a machine without a system Python: Debian's python3.11, its standard
 * library and libpython are hidden in a mount namespace of their own, and
 * the private cache starts empty, so the CPython comes out of the jar.
 */
class NoSystemPythonIT {
    private static final List<String> HIDDEN_DIRS = List.of("/usr/lib/python3.11", "/usr/lib/python3");
    private static final List<String> HIDDEN_FILES =
            List.of("/usr/bin/python3.11", "/usr/lib/x86_64-linux-gnu/libpython3.11.so.1.0", "/usr/bin/python3.14");

    @TempDir
    Path cache;

    @Test
    void theExampleRunsWithTheBundledCPythonAlone() throws IOException, InterruptedException {
        assumeTrue(
                "root".equals(System.getProperty("user.name")) && Files.isExecutable(Path.of("/usr/bin/unshare")),
                "hiding the system Python needs root and unshare (CI has both)");
        Path build = Path.of(System.getProperty("objcap.build.directory", "target"));
        String jar = System.getProperty("objcap.jar", "");
        assertTrue(Files.isRegularFile(Path.of(jar)), "no jar: " + jar);
        StringBuilder hide = new StringBuilder();
        for (String dir : HIDDEN_DIRS) {
            if (Files.isDirectory(Path.of(dir))) {
                hide.append("mount -t tmpfs none ").append(dir).append(" && ");
            }
        }
        for (String file : HIDDEN_FILES) {
            if (Files.exists(Path.of(file))) {
                hide.append("mount --bind /dev/null ").append(file).append(" && ");
            }
        }
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String script = hide + "! python3 -c 1 2>/dev/null && exec " + java + " -Djna.nosys=true -cp '" + jar + ":"
                + build.resolve("lib") + "/*' org.objcap.cli.ObjcapCommand run examples/hello.py";
        ProcessBuilder pb = new ProcessBuilder("unshare", "--mount", "--propagation", "private", "sh", "-c", script)
                .redirectErrorStream(true);
        pb.environment().put("XDG_CACHE_HOME", cache.toString());
        pb.environment().put("PATH", "/usr/bin:/bin");
        Process p = pb.start();
        p.getOutputStream().close();
        String printed = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), printed);
        assertEquals(0, p.exitValue(), printed);
        assertTrue(printed.startsWith("Hello from inside an objcap sandbox!\n"), printed);
        assertTrue(printed.contains("2 ** 100 = 1267650600228229401496703205376\n"), printed);
        try (var extracted = Files.list(cache.resolve("objcap"))) {
            assertTrue(
                    extracted.anyMatch(d -> d.getFileName().toString().startsWith("cpython-3.14.")),
                    "the CPython was not extracted from the jar");
        }
    }
}
