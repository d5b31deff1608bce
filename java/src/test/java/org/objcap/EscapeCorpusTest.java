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
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The escape corpus ({@code src/test/resources/escapes/**}/*.py): known ways
 * out of a CPython sandbox, each run in a fresh sandbox that must block it,
 * once in each mode (in-process, and in a worker process). An attack
 * escaped if it printed a line starting with {@code ESCAPED}, showed the
 * content of a canary file it was told the path of, or created the marker
 * file it was told the path of. In process mode an attack that crashed the
 * worker ({@link SandboxCrashedException}) counts as blocked: the host
 * survived it.
 *
 * <p>A file may name the modes it runs in on its second line, e.g.
 * {@code # modes: process} for a crasher that would take an in-process
 * host down; a file without that line runs in both modes.
 */
class EscapeCorpusTest {
    private static final String HEADER = "# expect: blocked";
    private static final String MODES = "# modes:";
    /**
     * In-process attacks run twice: from a test thread (1 MiB stack: on
     * 3.11 to 3.13 the call moves onto the thread's large stack, or is
     * handed to the sandbox's own thread in the build's hand-off-path run)
     * and from a thread with a big stack (the call runs on that stack).
     */
    private static final String CALLER_THREAD = "in-process-caller-thread";

    private static final List<String> ALL_MODES = List.of(Isolation.IN_PROCESS, CALLER_THREAD, Isolation.PROCESS);
    private static final Map<String, Tally> TALLIES = new ConcurrentHashMap<>();

    /** What happened to the attacks of one mode. */
    private static final class Tally {
        final AtomicInteger attacks = new AtomicInteger();
        final AtomicInteger blocked = new AtomicInteger();
        final AtomicInteger crashed = new AtomicInteger();
        final AtomicInteger escaped = new AtomicInteger();
        final AtomicInteger skipped = new AtomicInteger();
    }

    private static Tally tally(String mode) {
        return TALLIES.computeIfAbsent(mode, m -> new Tally());
    }

    @TempDir
    Path root;

    /** What one attack did. */
    record Outcome(
            String stdout, String stderr, String exception, String token, boolean markerExists, boolean crashed) {

        Outcome(String stdout, String stderr, String exception, String token, boolean markerExists) {
            this(stdout, stderr, exception, token, markerExists, false);
        }

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
     * Runs an attack in a fresh sandbox of the given mode with CANARY (an
     * existing file holding a random token) and MARKER (a path that must not
     * come to exist). Every attack also holds capabilities to abuse: DATA, a
     * read-write directory beside the canary's and the marker's (holding
     * {@code link_to_canary}, a symbolic link to the canary, and
     * {@code plain.txt}), READONLY, the same directory read-only, and ECHO,
     * a host function that returns its arguments.
     *
     * @param mode {@link Isolation#IN_PROCESS} or {@link Isolation#PROCESS}
     * @param tokenToo also hand the script the token, as TOKEN (for checks
     *     of this runner only)
     */
    private Outcome attack(String mode, String source, String fileName, boolean tokenToo) throws IOException {
        String token = "CANARY-SECRET-" + UUID.randomUUID();
        Path canary = Files.createTempDirectory(root, "canary").resolve("secret.txt");
        Files.writeString(canary, token + "\n" + "x = '" + token + "'\n" + token + "\n");
        Path marker = Files.createTempDirectory(root, "marker").resolve("marker");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        String exception = "";
        boolean crashed = false;
        Path data = Files.createTempDirectory(root, "data");
        Files.createSymbolicLink(data.resolve("link_to_canary"), canary);
        Files.writeString(data.resolve("plain.txt"), "plain\n");
        Sandbox.Builder builder = Sandbox.builder()
                .timeout(Duration.ofSeconds(10))
                .stdout(out)
                .stderr(err)
                .grant("DATA", Capabilities.directory(data, Access.READ_WRITE))
                .grant("READONLY", Capabilities.directory(data, Access.READ_ONLY))
                .grant("ECHO", Capabilities.function(args -> args));
        boolean inProcess = !Isolation.PROCESS.equals(mode);
        if (inProcess) {
            builder.inProcess();
        }
        try (Sandbox sandbox = builder.build()) {
            assertEquals(
                    inProcess ? Isolation.IN_PROCESS : Isolation.PROCESS,
                    sandbox.isolation().mode());
            sandbox.set("CANARY", canary.toString());
            sandbox.set("MARKER", marker.toString());
            if (tokenToo) {
                sandbox.set("TOKEN", token);
            }
            try {
                if (CALLER_THREAD.equals(mode)) {
                    execOnBigStack(sandbox, source, fileName);
                } else {
                    sandbox.exec(source, fileName);
                }
            } catch (PythonException e) {
                exception = e + "\n" + e.formatTraceback();
            } catch (LimitExceededException e) {
                exception = e.toString();
            } catch (SandboxCrashedException e) {
                // Only a worker can crash and leave the host standing.
                assertEquals(Isolation.PROCESS, mode, e::toString);
                assertTrue(sandbox.isClosed());
                exception = e.toString();
                crashed = true;
            }
        }
        return new Outcome(
                out.toString(StandardCharsets.UTF_8),
                err.toString(StandardCharsets.UTF_8),
                exception,
                token,
                Files.exists(marker),
                crashed);
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
            files = walk.filter(p -> p.toString().endsWith(".py")).sorted().collect(Collectors.toList());
        }
        assertTrue(files.size() >= 100, "only " + files.size() + " attacks found");
        return ALL_MODES.stream()
                .flatMap(mode -> files.stream().map(file -> {
                    String name = corpus.relativize(file).toString();
                    return dynamicTest(mode + ": " + name, file.toUri(), () -> {
                        String source = Files.readString(file);
                        assertTrue(source.startsWith(HEADER + "\n"), name + " must start with " + HEADER);
                        Tally tally = tally(mode);
                        if (!runsIn(source, mode)) {
                            tally.skipped.incrementAndGet();
                            Assumptions.abort(name + " runs only in: "
                                    + source.lines()
                                            .skip(1)
                                            .findFirst()
                                            .orElse("")
                                            .substring(MODES.length())
                                            .strip());
                        }
                        tally.attacks.incrementAndGet();
                        Outcome outcome = attack(mode, source, "escapes/" + name, false);
                        String escape = outcome.escape();
                        if (escape != null) {
                            tally.escaped.incrementAndGet();
                            fail(name + " ESCAPED in " + mode + " mode (" + escape + ")\n" + outcome.describe());
                        }
                        tally.blocked.incrementAndGet();
                        if (outcome.crashed()) {
                            tally.crashed.incrementAndGet();
                        }
                    });
                }));
    }

    /**
     * Whether a file runs in a mode: files without the optional second line
     * {@code # modes: a, b} run in every mode, others in those it names.
     */
    static boolean runsIn(String source, String mode) {
        String runner = CALLER_THREAD.equals(mode) ? Isolation.IN_PROCESS : mode;
        String second = source.lines().skip(1).findFirst().orElse("");
        if (!second.startsWith(MODES)) {
            return true;
        }
        return Arrays.stream(second.substring(MODES.length()).split(","))
                .map(String::strip)
                .anyMatch(runner::equals);
    }

    /** Runs exec on a thread whose stack lets the call run right there. */
    private static void execOnBigStack(Sandbox sandbox, String source, String fileName) {
        RuntimeException[] failure = new RuntimeException[1];
        Thread t = new Thread(
                null,
                () -> {
                    try {
                        sandbox.exec(source, fileName);
                    } catch (RuntimeException e) {
                        failure[0] = e;
                    }
                },
                "attack",
                64L << 20);
        t.start();
        try {
            t.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        if (failure[0] != null) {
            throw failure[0];
        }
    }

    @AfterAll
    static void summary() {
        for (String mode : ALL_MODES) {
            Tally t = TALLIES.get(mode);
            if (t == null || t.attacks.get() == 0) {
                continue;
            }
            System.out.println("escape corpus (" + mode + "): " + t.attacks.get() + " attacks, "
                    + t.blocked.get() + " blocked"
                    + (t.crashed.get() > 0 ? " (" + t.crashed.get() + " by the worker dying)" : "")
                    + ", " + t.escaped.get() + " escaped"
                    + (t.skipped.get() > 0 ? " (" + t.skipped.get() + " for other modes skipped)" : ""));
        }
    }

    @Test
    void modesLineSelectsTheRunner() {
        for (String mode : ALL_MODES) {
            assertTrue(runsIn(HEADER + "\nimport os\n", mode));
            assertTrue(runsIn(HEADER + "\n# modes: process, in-process\nx = 1\n", mode));
        }
        assertFalse(runsIn(HEADER + "\n# modes: process\nx = 1\n", Isolation.IN_PROCESS));
        assertTrue(runsIn(HEADER + "\n# modes: process\nx = 1\n", Isolation.PROCESS));
        assertFalse(runsIn(HEADER + "\n# modes:in-processes\n", Isolation.IN_PROCESS));
        assertFalse(runsIn(HEADER + "\n# modes: in-process\n", Isolation.PROCESS));
    }

    // ---- the runner itself can tell an escape, in both modes ----

    @ParameterizedTest
    @ValueSource(strings = {Isolation.IN_PROCESS, Isolation.PROCESS})
    void runnerFlagsAnEscapedLine(String mode) throws IOException {
        Outcome o = attack(mode, "print('warming up')\nprint('ESCAPED: pretend')\n", "sanity.py", false);
        assertEquals("printed ESCAPED", o.escape(), o.describe());
        // "ESCAPED" inside a line is not a claim of escape.
        o = attack(mode, "print('not ESCAPED')\n", "sanity.py", false);
        assertNull(o.escape(), o.describe());
    }

    @ParameterizedTest
    @ValueSource(strings = {Isolation.IN_PROCESS, Isolation.PROCESS})
    void runnerFlagsTheCanaryContent(String mode) throws IOException {
        Outcome o = attack(mode, "print('got', TOKEN)\n", "sanity.py", true);
        assertEquals("showed the canary file's content", o.escape(), o.describe());
        o = attack(mode, "import sys\nsys.stderr.write(TOKEN[::-1][::-1])\n", "sanity.py", true);
        assertEquals("showed the canary file's content", o.escape(), o.describe());
        o = attack(mode, "raise ValueError('leaked ' + TOKEN)\n", "sanity.py", true);
        assertEquals("showed the canary file's content", o.escape(), o.describe());
        // A script that only knows the canary's path shows nothing of it.
        o = attack(mode, "print(CANARY)\n", "sanity.py", false);
        assertNull(o.escape(), o.describe());
        assertTrue(Files.readString(Path.of(o.stdout().strip())).contains(o.token()));
    }

    @Test
    void aWorkerCrashCountsAsBlockedButOutputBeforeItStillCounts() throws IOException {
        String crash = "x = [1]\nfor i in range(1000000):\n    x = map(abs, x)\nnext(x)\n";
        Outcome o = attack(Isolation.PROCESS, crash, "sanity.py", false);
        assertTrue(o.crashed(), o.describe());
        assertTrue(o.exception().contains("SIGSEGV"), o.describe());
        assertNull(o.escape(), o.describe());
        // Output that reached the host before the crash is still judged.
        o = attack(Isolation.PROCESS, "print('ESCAPED: before', flush=True)\n" + crash, "sanity.py", false);
        assertTrue(o.crashed(), o.describe());
        assertEquals("printed ESCAPED", o.escape(), o.describe());
    }

    @Test
    void runnerFlagsTheMarker() {
        assertEquals("created the marker file", new Outcome("", "", "", "token", true).escape());
        assertNull(new Outcome("", "", "PermissionError: no", "token", false).escape());
        assertFalse(new Outcome("ESCAPE", "", "", "token", false).escape() != null);
    }
}
