package org.objcap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.objcap.ValueAssert.assertValueEquals;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The default sandbox runs its interpreter in a confined worker process, and
 * every way a worker can fail (crash, kill from outside, silence, C-level
 * endless computation) ends in a Java exception and a closed sandbox, with
 * the JVM and the other sandboxes unharmed and no process left behind.
 */
class ProcessIsolationTest {
    private static final String MAP_CHAIN = "x=[1]\nfor i in range(1000000):\n    x=map(abs,x)\nnext(x)";

    /**
     * Generous bound on how long past its time limit a call whose worker
     * must be killed returns: the engine waits 500 ms before the kill, the
     * rest is room for a loaded machine.
     */
    private static final long KILLED_WITHIN_MS = 5_000;

    private final List<Sandbox> opened = new ArrayList<>();

    @TempDir
    Path dir;

    @AfterEach
    void closeAll() {
        opened.forEach(Sandbox::close);
    }

    private Sandbox open(Sandbox.Builder builder) {
        Sandbox s = builder.build();
        opened.add(s);
        return s;
    }

    private Sandbox open() {
        return open(Sandbox.builder().stdout(OutputStream.nullOutputStream()));
    }

    private static void signal(long pid, String signal) throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(pid))
                .redirectErrorStream(true)
                .start();
        assertEquals(0, kill.waitFor(), () -> "kill -" + signal + " " + pid);
    }

    private static long millisSince(long start) {
        return (System.nanoTime() - start) / 1_000_000;
    }

    /** The JVM and a sandbox made before the failure still work. */
    private static void assertOthersUnharmed(Sandbox other) {
        assertFalse(other.isClosed());
        assertEquals(42L, other.eval("6 * 7"));
        assertTrue(Runtime.getRuntime().availableProcessors() > 0); // the JVM answers
        try (Sandbox fresh = Sandbox.builder().build()) {
            assertEquals("ok", fresh.eval("'o' + 'k'"));
        }
    }

    private static void assertClosedForGood(Sandbox s) {
        assertTrue(s.isClosed());
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> s.eval("1"));
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
        assertThrows(IllegalStateException.class, () -> s.exec("x = 1"));
        assertThrows(IllegalStateException.class, s::denials);
        s.close(); // closing again is harmless
    }

    // ---- the default mode ----

    @Test
    void defaultIsAConfinedWorkerProcess() {
        Sandbox s = open();
        Isolation isolation = s.isolation();
        assertEquals("process", isolation.mode());
        assertTrue(isolation.processIsolated());
        assertTrue(isolation.seccomp(), isolation::toString);
        assertTrue(isolation.landlockAbi() > 0, isolation::toString);
        assertTrue(isolation.noNewPrivileges(), isolation::toString);
        assertTrue(isolation.rlimits(), isolation::toString);
        assertTrue(isolation.capabilitiesDropped(), isolation::toString);
        // A root host's worker can always make its namespaces (an
        // unprivileged one where the kernel allows: ctest covers that).
        if ("root".equals(System.getProperty("user.name"))) {
            assertTrue(isolation.namespaces(), isolation::toString);
        }
        assertEquals(List.of(), isolation.missingConfinements());
        assertNotEquals(ProcessHandle.current().pid(), isolation.pid());
        assertTrue(WorkerProcesses.isWorker(isolation.pid()), "pid " + isolation.pid());
        // The interpreter really runs there (a child of the JVM, or of the
        // zygote the JVM started).
        assertEquals(
                isolation.pid(),
                ProcessHandle.current()
                        .descendants()
                        .filter(p -> p.pid() == isolation.pid())
                        .findFirst()
                        .orElseThrow()
                        .pid());
        assertTrue(s.toString().contains("process " + isolation.pid()), s.toString());
    }

    /** The parent of a process, or -1 if it is gone. */
    private static long parentOf(long pid) {
        return ProcessHandle.of(pid)
                .flatMap(ProcessHandle::parent)
                .map(ProcessHandle::pid)
                .orElse(-1L);
    }

    @Test
    void workersAreForkedFromTheZygoteUnlessFresh() {
        long forked = open().isolation().pid();
        long zygote = parentOf(forked);
        // One zygote per CPython: other tests of this JVM may have others.
        assertTrue(WorkerProcesses.zygotes().contains(zygote), () -> WorkerProcesses.zygotes() + " " + zygote);
        assertEquals(ProcessHandle.current().pid(), parentOf(zygote));
        assertEquals(zygote, parentOf(open().isolation().pid()), "one zygote for all");
        Sandbox fresh = open(Sandbox.builder().freshWorker());
        assertEquals(ProcessHandle.current().pid(), parentOf(fresh.isolation().pid()));
        assertEquals(42L, fresh.eval("6 * 7"));
        // A fresh worker is confined as much as a forked one.
        assertEquals(List.of(), fresh.isolation().missingConfinements());
    }

    @Test
    void forkedWorkersDrawTheirOwnRandomNumbers() {
        Sandbox a = open();
        Sandbox b = open();
        a.exec("import random");
        b.exec("import random");
        assertNotEquals(a.eval("random.getrandbits(128)"), b.eval("random.getrandbits(128)"));
    }

    /**
     * What forked workers share, and the reason for freshWorker(): the
     * string-hash secret CPython drew at the zygote's start (as their
     * memory layout and stack canary), which a fresh worker draws anew.
     */
    @Test
    void onlyAFreshWorkerHasAHashSecretOfItsOwn() {
        Object forked = open().eval("hash('objcap')");
        assertEquals(forked, open().eval("hash('objcap')"));
        assertNotEquals(forked, open(Sandbox.builder().freshWorker()).eval("hash('objcap')"));
    }

    @Test
    void inProcessOptsOut() {
        Sandbox s = open(Sandbox.builder().inProcess());
        assertEquals(new Isolation("in-process", -1, false, 0, false, false, false, false), s.isolation());
        assertFalse(s.isolation().processIsolated());
        assertEquals(3L, s.eval("1 + 2"));
        // processIsolated() undoes inProcess().
        assertTrue(open(Sandbox.builder().inProcess().processIsolated())
                .isolation()
                .processIsolated());
    }

    @Test
    void execEvalCallSetGetWork() {
        Sandbox s = open();
        s.exec("def area(w, h):\n    return w * h\ncount = 0\n");
        assertEquals(12L, s.call("area", 3, 4));
        assertEquals("abab", s.call("area", "ab", 2));
        s.set("count", 41);
        s.exec("count += 1");
        assertEquals(42L, s.get("count"));
        assertEquals(List.of(0L, 1L, 4L), s.eval("[i * i for i in range(3)]"));
        PythonException e = assertThrows(PythonException.class, () -> s.get("missing"));
        assertEquals("NameError", e.getPythonType());
        assertFalse(s.isClosed());
    }

    @Test
    void valuesRoundTrip() {
        Sandbox s = open();
        s.exec("def ident(x):\n    return x\n");
        BigInteger big = BigInteger.TWO.pow(100).negate().add(BigInteger.valueOf(7));
        Map<Object, Object> nested = new LinkedHashMap<>();
        nested.put("name", "é😀");
        nested.put("list", List.of(1L, 2.5, true));
        Map<Object, Object> inner = new LinkedHashMap<>();
        inner.put(1L, new byte[] {0, (byte) 0xFF});
        inner.put("none", null);
        nested.put("inner", inner);
        byte[] bytes = new byte[70_000];
        for (int i = 0; i < bytes.length; i++) {
            bytes[i] = (byte) (i * 31);
        }
        for (Object value :
                Arrays.asList(null, true, Long.MIN_VALUE, big, 0.1, "", "x".repeat(100_000), bytes, nested)) {
            assertValueEquals(value, s.call("ident", value));
            s.set("v", value);
            assertValueEquals(value, s.get("v"));
        }
        s.set("big", big);
        assertEquals(big.multiply(BigInteger.TWO), s.eval("big * 2"));
        assertEquals(List.of("bytes", "dict"), s.eval("[type(b'').__name__, type({}).__name__]"));
        // An object that is not a value comes back as a reference usable there.
        PythonReference ref = (PythonReference) s.eval("object()");
        assertEquals("object", ref.typeName());
        s.exec("def plain_object(o):\n    return type(o) is object\n");
        assertEquals(true, s.call("plain_object", ref));
    }

    /** Records when each write arrived. */
    private static final class TimedStream extends OutputStream {
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        private final List<Long> arrivals = new ArrayList<>();
        private final List<String> chunks = new ArrayList<>();

        @Override
        public synchronized void write(int b) {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public synchronized void write(byte[] b, int off, int len) {
            bytes.write(b, off, len);
            arrivals.add(System.nanoTime());
            chunks.add(new String(b, off, len, StandardCharsets.UTF_8));
        }

        /** When the first chunk holding {@code text} arrived. */
        synchronized long arrivalOf(String text) {
            for (int i = 0; i < chunks.size(); i++) {
                if (chunks.get(i).contains(text)) {
                    return arrivals.get(i);
                }
            }
            throw new AssertionError(text + " never arrived; got " + chunks);
        }

        synchronized String text() {
            return bytes.toString(StandardCharsets.UTF_8);
        }
    }

    @Test
    void outputStreamsWhileTheScriptRuns() {
        TimedStream out = new TimedStream();
        TimedStream err = new TimedStream();
        Sandbox s = open(Sandbox.builder().stdout(out).stderr(err));
        s.exec("import time, sys\nprint('first line')\nsys.stderr.write('to stderr\\n')\n"
                + "time.sleep(1.0)\nprint('second line')\n");
        long returned = System.nanoTime();
        long first = out.arrivalOf("first line");
        long second = out.arrivalOf("second line");
        // The script sleeps a second between the lines; 400 ms leaves room
        // for a loaded machine to deliver the first line late.
        assertTrue(
                (returned - first) / 1_000_000 >= 400,
                "the first line arrived only " + (returned - first) / 1_000_000 + " ms before the call returned");
        assertTrue((second - first) / 1_000_000 >= 400, "the lines arrived together");
        assertEquals("first line\nsecond line\n", out.text());
        assertEquals("to stderr\n", err.text());
        assertTrue((returned - err.arrivalOf("to stderr")) / 1_000_000 >= 400);
    }

    @Test
    void pythonExceptionsKeepTheirTraceback() {
        Sandbox s = open();
        s.exec("def inner():\n    raise ValueError('bad value')\n\ndef outer():\n    inner()\n", "tool.py");
        PythonException e = assertThrows(PythonException.class, () -> s.call("outer"));
        assertEquals("ValueError", e.getPythonType());
        assertEquals("bad value", e.getPythonMessage());
        List<PythonFrame> frames = e.getPythonTraceback();
        assertEquals("inner", frames.get(frames.size() - 1).function());
        assertEquals(2, frames.get(frames.size() - 1).line());
        assertEquals("tool.py", frames.get(frames.size() - 1).file());
        assertTrue(e.formatTraceback().contains("raise ValueError('bad value')"), e.formatTraceback());
        PythonSyntaxException syntax = assertThrows(PythonSyntaxException.class, () -> s.exec("def f(:\n"));
        assertEquals(1, syntax.getLine());
        assertFalse(s.isClosed());
        assertEquals(2L, s.eval("1 + 1"));
    }

    @Test
    void builderLimitsApplyInTheWorker() {
        Sandbox s = open(Sandbox.builder().recursionLimit(100).timeout(Duration.ofMillis(300)));
        s.exec("def down(n):\n    return 0 if n == 0 else 1 + down(n - 1)\n");
        assertEquals(50L, s.call("down", 50));
        RuntimeException deep = assertThrows(RuntimeException.class, () -> s.call("down", 500));
        assertTrue(
                deep instanceof PythonException p && p.getPythonType().equals("RecursionError")
                        || deep instanceof LimitExceededException l && l.getLimit() == Limit.RECURSION,
                deep::toString);
        // A Python-level endless loop is stopped in the worker; the sandbox stays.
        LimitExceededException time =
                assertThrows(LimitExceededException.class, () -> s.exec("while True:\n    pass\n"));
        assertEquals(Limit.TIME, time.getLimit());
        assertFalse(s.isClosed());
        assertEquals(50L, s.call("down", 50));
    }

    // ---- faults ----

    @Test
    void cStackOverflowKillsOnlyTheWorker() {
        Sandbox other = open();
        other.exec("kept = 'still here'");
        Sandbox victim = open();
        long pid = victim.isolation().pid();
        SandboxCrashedException e = assertThrows(SandboxCrashedException.class, () -> victim.exec(MAP_CHAIN));
        assertTrue(e.getMessage().contains("SIGSEGV"), e.getMessage());
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
        assertTrue(e.getDetail().contains("killed by signal 11 (SIGSEGV)"), e.getDetail());
        assertEquals(OptionalInt.of(11), e.getSignal());
        assertEquals(Optional.of("SIGSEGV"), e.getSignalName());
        assertEquals(OptionalInt.empty(), e.getExitStatus());
        assertClosedForGood(victim);
        assertFalse(WorkerProcesses.isWorker(pid), "the crashed worker was not reaped");
        assertEquals("still here", other.get("kept"));
        assertOthersUnharmed(other);
    }

    @Test
    void aWorkerKilledFromOutsideIsReported() throws Exception {
        Sandbox other = open();
        Sandbox victim = open();
        victim.exec("x = 1");
        long pid = victim.isolation().pid();
        assertTrue(ProcessHandle.of(pid).orElseThrow().destroyForcibly());
        SandboxCrashedException e = assertThrows(SandboxCrashedException.class, () -> victim.eval("x"));
        assertTrue(e.getMessage().contains("SIGKILL"), e.getMessage());
        assertEquals(OptionalInt.of(9), e.getSignal());
        assertClosedForGood(victim);
        assertFalse(WorkerProcesses.isWorker(pid), "the killed worker was not reaped");
        assertOthersUnharmed(other);
    }

    @Test
    void aWorkerThatStopsAnsweringIsKilledAtTheTimeLimit() throws Exception {
        Sandbox other = open();
        Sandbox victim = open(Sandbox.builder().timeout(Duration.ofSeconds(1)));
        assertEquals(1L, victim.eval("1"));
        long pid = victim.isolation().pid();
        signal(pid, "STOP");
        long start = System.nanoTime();
        LimitExceededException e = assertThrows(LimitExceededException.class, () -> victim.eval("2"));
        long millis = millisSince(start);
        assertEquals(Limit.TIME, e.getLimit());
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
        assertTrue(millis >= 900 && millis < 1_000 + KILLED_WITHIN_MS, "gave up after " + millis + " ms");
        assertClosedForGood(victim);
        assertFalse(WorkerProcesses.isWorker(pid), "the stopped worker was not reaped");
        assertOthersUnharmed(other);
    }

    @Test
    void aCLevelEndlessComputationHitsTheTimeLimit() {
        Sandbox other = open();
        Sandbox victim = open(Sandbox.builder().timeout(Duration.ofSeconds(1)));
        long pid = victim.isolation().pid();
        long start = System.nanoTime();
        // One C call that never checks for interrupts: only a kill stops it.
        LimitExceededException e = assertThrows(LimitExceededException.class, () -> victim.exec("9**9**9"));
        long millis = millisSince(start);
        assertEquals(Limit.TIME, e.getLimit());
        assertTrue(millis >= 900 && millis < 1_000 + KILLED_WITHIN_MS, "gave up after " + millis + " ms");
        assertClosedForGood(victim);
        assertFalse(WorkerProcesses.isWorker(pid), "the killed worker was not reaped");
        assertOthersUnharmed(other);
    }

    @Test
    void callsRacingTheDeathOfTheWorkerAllEnd() throws Exception {
        Sandbox victim = open();
        victim.exec("def f(x):\n    return x\n");
        int threads = 4;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            CountDownLatch running = new CountDownLatch(threads);
            List<Future<RuntimeException>> ends = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                ends.add(pool.submit(() -> {
                    running.countDown();
                    try {
                        for (long n = 0; ; n++) {
                            assertEquals(n, victim.call("f", n));
                        }
                    } catch (SandboxCrashedException | IllegalStateException e) {
                        return e;
                    }
                }));
            }
            running.await();
            Thread.sleep(50);
            ProcessHandle.of(victim.isolation().pid()).orElseThrow().destroyForcibly();
            int crashes = 0;
            for (Future<RuntimeException> end : ends) {
                RuntimeException e = end.get(5, TimeUnit.SECONDS);
                assertTrue(e.getMessage().contains("closed"), e.toString());
                crashes += e instanceof SandboxCrashedException ? 1 : 0;
            }
            assertEquals(1, crashes, "one call sees the crash, the others a closed sandbox");
            assertClosedForGood(victim);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void noWorkerOrZombieIsLeftBehind() throws Exception {
        List<Long> pids = new ArrayList<>();
        Sandbox crashed = open();
        Sandbox killed = open();
        Sandbox stopped = open();
        Sandbox plain = open();
        for (Sandbox s : List.of(crashed, killed, stopped, plain)) {
            pids.add(s.isolation().pid());
        }
        assertTrue(
                WorkerProcesses.pids().containsAll(pids), WorkerProcesses.pids().toString());
        assertThrows(SandboxCrashedException.class, () -> crashed.exec(MAP_CHAIN));
        // Killed and stopped workers that are never called again: close() reaps them.
        ProcessHandle.of(killed.isolation().pid()).orElseThrow().destroyForcibly();
        signal(stopped.isolation().pid(), "STOP");
        plain.exec("print('hello')");
        // An unclosed, unreachable sandbox is destroyed by its cleaner.
        pids.add(Sandbox.builder().build().isolation().pid());
        closeAll();
        opened.clear();
        List<Long> left = WorkerProcesses.awaitNone(20_000);
        assertEquals(
                0,
                left.size(),
                () -> "workers left: " + left + " (states "
                        + left.stream().map(WorkerProcesses::state).toList() + ")");
        for (long pid : pids) {
            assertFalse(WorkerProcesses.isWorker(pid), "worker " + pid + " is still there");
        }
    }

    // ---- escapes, with the kernel behind the interpreter ----

    private static String corpusFile(String name) throws IOException {
        try (var in = ProcessIsolationTest.class.getResourceAsStream("/escapes/" + name)) {
            assertTrue(in != null, name);
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void osLevelEscapesAreBlocked() throws IOException {
        String token = "CANARY-" + UUID.randomUUID();
        Path canary = Files.writeString(dir.resolve("canary.txt"), token + "\n");
        Path marker = dir.resolve("marker");
        Map<String, String> expected = new LinkedHashMap<>();
        expected.put("site-builtins/open_builtin.py", "PermissionError");
        expected.put("io-file-objects/fileio_direct.py", "TypeError");
        expected.put("io-file-objects/create_marker.py", "TypeError");
        expected.put("unaudited-natives/socket.py", null);
        expected.put("unaudited-natives/posixsubprocess.py", null);
        for (Map.Entry<String, String> attack : expected.entrySet()) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            Sandbox s = open(Sandbox.builder().stdout(out).stderr(out));
            assertTrue(s.isolation().processIsolated());
            s.set("CANARY", canary.toString());
            s.set("MARKER", marker.toString());
            PythonException e = assertThrows(
                    PythonException.class, () -> s.exec(corpusFile(attack.getKey()), attack.getKey()), attack::getKey);
            if (attack.getValue() != null) {
                assertEquals(attack.getValue(), e.getPythonType(), attack.getKey() + ": " + e);
            }
            String printed = out.toString(StandardCharsets.UTF_8);
            String shown = printed + e + e.formatTraceback();
            assertFalse(printed.lines().anyMatch(l -> l.startsWith("ESCAPED")), attack.getKey() + ": " + shown);
            assertFalse(shown.contains(token), attack.getKey() + ": " + shown);
            assertFalse(Files.exists(marker), attack.getKey() + " created the marker");
            assertFalse(s.isClosed());
        }
    }

    // ---- weaker isolation ----

    @Test
    void missingConfinementsAreNamed() {
        assertEquals(
                List.of("seccomp", "Landlock"),
                new Isolation("process", 1, false, 0, true, true, false, false).missingConfinements());
        assertEquals(
                List.of("Landlock"),
                new Isolation("process", 1, true, 0, true, true, false, false).missingConfinements());
        assertEquals(List.of(), new Isolation("process", 1, true, 3, true, true, false, false).missingConfinements());
        assertEquals(
                List.of(), new Isolation("in-process", -1, false, 0, false, false, false, false).missingConfinements());
        // On a kernel with both, allowWeakerIsolation() changes nothing.
        Sandbox s = open(Sandbox.builder().allowWeakerIsolation());
        assertEquals(List.of(), s.isolation().missingConfinements());
    }
}
