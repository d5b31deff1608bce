package org.objcap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * The escape corpus ({@code src/test/resources/escapes/**}/*.py): known ways
 * out of a CPython sandbox, each run in a fresh sandbox that must block it.
 * An attack escaped if it printed a line starting with {@code ESCAPED},
 * showed the content of a canary file it was told the path of, or created
 * the marker file it was told the path of.
 *
 * <p>A file may name the modes it runs in on its second line, e.g.
 * {@code # modes: process} for a crasher that would take an in-process
 * host down; this runner (in-process) skips a file whose modes do not
 * include {@code in-process}.
 */
class EscapeCorpusTest {
    private static final String HEADER = "# expect: blocked";
    private static final String MODES = "# modes:";
    private static final String MODE = "in-process";
    private static final AtomicInteger ATTACKS = new AtomicInteger();
    private static final AtomicInteger BLOCKED = new AtomicInteger();
    private static final AtomicInteger ESCAPED = new AtomicInteger();
    private static final AtomicInteger SKIPPED = new AtomicInteger();

    @TempDir
    Path root;

    /** What one attack did. */
    record Outcome(String stdout, String stderr, String exception, String token,
            boolean markerExists) {

        /** Why the attack counts as escaped, or null if it was blocked. */
        String escape() {
            if (stdout.lines().anyMatch(l -> l.startsWith("ESCAPED"))) {
                return "printed ESCAPED";
            }
            if (stdout.contains(token) || stderr.contains(token) || exception.contains(token)) {
                return "showed the canary file's content";
            }
            if (markerExists) {
                return "created the marker file";
            }
            return null;
        }

        String describe() {
            return "stdout:\n" + stdout + "\nstderr:\n" + stderr + "\nexception:\n" + exception;
        }
    }

    /**
     * Runs an attack in a fresh sandbox with CANARY (an existing file holding
     * a random token) and MARKER (a path that must not come to exist).
     *
     * @param tokenToo also hand the script the token, as TOKEN (for checks
     *     of this runner only)
     */
    private Outcome attack(String source, String fileName, boolean tokenToo) throws IOException {
        String token = "CANARY-SECRET-" + UUID.randomUUID();
        Path canary = Files.createTempDirectory(root, "canary").resolve("secret.txt");
        Files.writeString(canary, token + "\n" + "x = '" + token + "'\n" + token + "\n");
        Path marker = Files.createTempDirectory(root, "marker").resolve("marker");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        String exception = "";
        try (Sandbox sandbox = Sandbox.builder().timeout(Duration.ofSeconds(10))
                .stdout(out).stderr(err).build()) {
            sandbox.set("CANARY", canary.toString());
            sandbox.set("MARKER", marker.toString());
            if (tokenToo) {
                sandbox.set("TOKEN", token);
            }
            try {
                sandbox.exec(source, fileName);
            } catch (PythonException e) {
                exception = e + "\n" + e.formatTraceback();
            } catch (LimitExceededException e) {
                exception = e.toString();
            }
        }
        return new Outcome(out.toString(StandardCharsets.UTF_8),
                err.toString(StandardCharsets.UTF_8), exception, token, Files.exists(marker));
    }

    private static Path corpus() throws URISyntaxException {
        URL url = EscapeCorpusTest.class.getResource("/escapes");
        assertNotNull(url, "escapes/ is not on the test class path");
        return Path.of(url.toURI());
    }

    @TestFactory
    Stream<DynamicTest> everyAttackIsBlocked() throws IOException, URISyntaxException {
        Path corpus = corpus();
        List<Path> files;
        try (Stream<Path> walk = Files.walk(corpus)) {
            files = walk.filter(p -> p.toString().endsWith(".py")).sorted()
                    .collect(Collectors.toList());
        }
        assertTrue(files.size() >= 100, "only " + files.size() + " attacks found");
        return files.stream().map(file -> {
            String name = corpus.relativize(file).toString();
            return dynamicTest(name, file.toUri(), () -> {
                String source = Files.readString(file);
                assertTrue(source.startsWith(HEADER + "\n"), name + " must start with " + HEADER);
                if (!runsInProcess(source)) {
                    SKIPPED.incrementAndGet();
                    Assumptions.abort(name + " runs only in: " + source.lines().skip(1)
                            .findFirst().orElse("").substring(MODES.length()).strip());
                }
                ATTACKS.incrementAndGet();
                Outcome outcome = attack(source, "escapes/" + name, false);
                String escape = outcome.escape();
                if (escape != null) {
                    ESCAPED.incrementAndGet();
                    fail(name + " ESCAPED (" + escape + ")\n" + outcome.describe());
                }
                BLOCKED.incrementAndGet();
            });
        });
    }

    /** Whether a file's optional second line, {@code # modes: a, b}, includes in-process. */
    static boolean runsInProcess(String source) {
        String second = source.lines().skip(1).findFirst().orElse("");
        if (!second.startsWith(MODES)) {
            return true;
        }
        return Arrays.stream(second.substring(MODES.length()).split(","))
                .map(String::strip).anyMatch(MODE::equals);
    }

    @AfterAll
    static void summary() {
        if (ATTACKS.get() > 0) {
            System.out.println("escape corpus: " + ATTACKS.get() + " attacks, " + BLOCKED.get()
                    + " blocked, " + ESCAPED.get() + " escaped"
                    + (SKIPPED.get() > 0 ? " (" + SKIPPED.get() + " for other modes skipped)" : ""));
        }
    }

    @Test
    void modesLineSelectsTheRunner() {
        assertTrue(runsInProcess(HEADER + "\nimport os\n"));
        assertTrue(runsInProcess(HEADER + "\n# modes: process, in-process\nx = 1\n"));
        assertFalse(runsInProcess(HEADER + "\n# modes: process\nx = 1\n"));
        assertFalse(runsInProcess(HEADER + "\n# modes:in-processes\n"));
    }

    // ---- the runner itself can tell an escape ----

    @Test
    void runnerFlagsAnEscapedLine() throws IOException {
        Outcome o = attack("print('warming up')\nprint('ESCAPED: pretend')\n", "sanity.py", false);
        assertEquals("printed ESCAPED", o.escape(), o.describe());
        // "ESCAPED" inside a line is not a claim of escape.
        o = attack("print('not ESCAPED')\n", "sanity.py", false);
        assertNull(o.escape(), o.describe());
    }

    @Test
    void runnerFlagsTheCanaryContent() throws IOException {
        Outcome o = attack("print('got', TOKEN)\n", "sanity.py", true);
        assertEquals("showed the canary file's content", o.escape(), o.describe());
        o = attack("import sys\nsys.stderr.write(TOKEN[::-1][::-1])\n", "sanity.py", true);
        assertEquals("showed the canary file's content", o.escape(), o.describe());
        o = attack("raise ValueError('leaked ' + TOKEN)\n", "sanity.py", true);
        assertEquals("showed the canary file's content", o.escape(), o.describe());
        // A script that only knows the canary's path shows nothing of it.
        o = attack("print(CANARY)\n", "sanity.py", false);
        assertNull(o.escape(), o.describe());
        assertTrue(Files.readString(Path.of(o.stdout().strip())).contains(o.token()));
    }

    @Test
    void runnerFlagsTheMarker() {
        assertEquals("created the marker file",
                new Outcome("", "", "", "token", true).escape());
        assertNull(new Outcome("", "", "PermissionError: no", "token", false).escape());
        assertFalse(new Outcome("ESCAPE", "", "", "token", false).escape() != null);
    }
}
