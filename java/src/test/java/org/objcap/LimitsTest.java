package org.objcap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every limit, in both modes: each bomb returns promptly with the right limit
 * named and its configured value, the sandbox stays usable (or, for a worker
 * that had to be killed, is closed), and the JVM's own threads and heap are
 * unaffected.
 */
class LimitsTest {
    /** The two ways to run a sandbox. */
    enum Mode {
        IN_PROCESS,
        PROCESS
    }

    /** Generous bound on how long after its deadline a stopped call may return. */
    private static final long PROMPT_MS = 5_000;

    private static final String ENDLESS_LOOP = "while True:\n    pass\n";
    private static final String SWALLOWING_LOOP = "while True:\n"
            + "    try:\n"
            + "        while True:\n"
            + "            pass\n"
            + "    except BaseException:\n"
            + "        pass\n";
    /** Each RecursionError is caught by a finally that recurses again: 2**depth calls. */
    private static final String FINALLY_RECURSION =
            "def f():\n" + "    try:\n" + "        f()\n" + "    finally:\n" + "        f()\n" + "f()\n";

    private static final String MEMORY_BOMB = "x = []\nwhile True:\n    x.append(bytearray(10**6))\n";
    private static final String DOWN = "def down(n):\n    return 0 if n == 0 else 1 + down(n - 1)\n";

    private final List<Sandbox> opened = new ArrayList<>();
    private int threadsBefore;
    private long heapBefore;

    @BeforeAll
    static void warmUp() {
        // Loads the engine, starts CPython and the cleaner thread before any count.
        for (Mode mode : Mode.values()) {
            try (Sandbox s = builder(mode).build()) {
                s.exec("print('warm')");
            }
        }
    }

    @BeforeEach
    void recordJvm() {
        threadsBefore = threads();
        heapBefore = usedHeap();
    }

    /** The JVM's threads and heap are as they were once the sandboxes are closed. */
    @AfterEach
    void jvmUnaffected() throws InterruptedException {
        opened.forEach(Sandbox::close);
        long until = System.nanoTime() + 2_000_000_000L;
        while (threads() > threadsBefore + 1 && System.nanoTime() < until) {
            Thread.sleep(20);
        }
        int threads = threads();
        assertTrue(threads <= threadsBefore + 1, "JVM threads: " + threadsBefore + " before, " + threads + " after");
        long heap = usedHeap();
        assertTrue(
                heap < heapBefore + (64L << 20),
                "used heap: " + heapBefore / 1024 + " KiB before, " + heap / 1024 + " KiB after");
    }

    private static int threads() {
        return ManagementFactory.getThreadMXBean().getThreadCount();
    }

    private static long usedHeap() {
        Runtime rt = Runtime.getRuntime();
        for (int i = 0; i < 2; i++) {
            System.gc();
        }
        return rt.totalMemory() - rt.freeMemory();
    }

    private static Sandbox.Builder builder(Mode mode) {
        Sandbox.Builder b =
                Sandbox.builder().stdout(OutputStream.nullOutputStream()).stderr(OutputStream.nullOutputStream());
        return mode == Mode.IN_PROCESS ? b.inProcess() : b;
    }

    private Sandbox open(Sandbox.Builder builder) {
        Sandbox s = builder.build();
        opened.add(s);
        return s;
    }

    /** A call that must hit a limit, with how long it took. */
    private record Stopped(LimitExceededException exception, long millis) {}

    private static Stopped stop(Executable call) {
        long start = System.nanoTime();
        LimitExceededException e = assertThrows(LimitExceededException.class, call, LimitsTest::loadedLibraries);
        return new Stopped(e, (System.nanoTime() - start) / 1_000_000);
    }

    /**
     * The engines, CPythons and OpenSSLs this JVM has mapped, for a failure's
     * message: CI once saw every in-process memory limit fail at once, which
     * no run here reproduced.
     */
    private static String loadedLibraries() {
        try (Stream<String> maps = java.nio.file.Files.lines(java.nio.file.Path.of("/proc/self/maps"))) {
            return "mapped: "
                    + maps.map(line -> line.substring(line.lastIndexOf(' ') + 1))
                            .filter(path ->
                                    path.contains("objcap") || path.contains("libpython") || path.contains("libcrypto"))
                            .distinct()
                            .collect(Collectors.joining(", "));
        } catch (java.io.IOException | RuntimeException e) {
            return "mapped: unknown (" + e + ")";
        }
    }

    private static void assertLimit(Limit limit, long configured, LimitExceededException e) {
        assertEquals(limit, e.getLimit(), () -> e + "; " + loadedLibraries());
        assertEquals(configured, e.getConfiguredValue(), e::toString);
        String value = LimitExceededException.describeValue(limit, configured);
        assertTrue(e.getMessage().contains("(" + value + ")"), e.getMessage());
    }

    private static void assertUsable(Sandbox s) {
        assertFalse(s.isClosed());
        assertEquals(42L, s.eval("6 * 7"));
    }

    // ---- time and CPU ----

    /** A bomb that only a time or CPU limit stops. */
    private static final Map<String, String> RUNAWAYS = new LinkedHashMap<>();

    static {
        RUNAWAYS.put("endless loop", ENDLESS_LOOP);
        RUNAWAYS.put("loop that catches BaseException", SWALLOWING_LOOP);
        RUNAWAYS.put("recursion in finally", FINALLY_RECURSION);
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void runawayCodeIsStoppedAtTheTimeLimit(Mode mode) {
        Sandbox s = open(builder(mode).timeout(Duration.ofMillis(300)));
        for (Map.Entry<String, String> bomb : RUNAWAYS.entrySet()) {
            Stopped stopped = stop(() -> s.exec(bomb.getValue()));
            assertLimit(Limit.TIME, 300, stopped.exception());
            assertFalse(stopped.exception().isSandboxClosed());
            assertTrue(
                    stopped.millis() >= 250 && stopped.millis() < 300 + PROMPT_MS,
                    bomb.getKey() + " stopped after " + stopped.millis() + " ms");
            assertUsable(s);
        }
        assertEquals(
                "the call ran longer than its time limit (300 ms)",
                stop(() -> s.exec(ENDLESS_LOOP)).exception().getMessage());
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void runawayCodeIsStoppedAtTheCpuLimit(Mode mode) {
        Sandbox s = open(builder(mode).cpuTime(Duration.ofMillis(300)));
        for (Map.Entry<String, String> bomb : RUNAWAYS.entrySet()) {
            Stopped stopped = stop(() -> s.exec(bomb.getValue()));
            assertLimit(Limit.CPU, 300, stopped.exception());
            assertTrue(
                    stopped.millis() >= 250 && stopped.millis() < 300 + PROMPT_MS,
                    bomb.getKey() + " stopped after " + stopped.millis() + " ms");
            assertUsable(s);
        }
        assertEquals(
                "the call used more CPU time than its limit (300 ms)",
                stop(() -> s.exec(ENDLESS_LOOP)).exception().getMessage());
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void sleepCountsAgainstTheTimeLimitButNotTheCpuLimit(Mode mode) {
        // Sleeping 0.3 s is thrice the CPU limit; the time limit leaves the
        // call 0.7 s more, for a loaded machine (0.15 s was too tight).
        Sandbox s = open(builder(mode).timeout(Duration.ofMillis(1000)).cpuTime(Duration.ofMillis(100)));
        s.exec("import time\ntime.sleep(0.3)\n");
        Stopped stopped = stop(() -> s.exec("time.sleep(1000)"));
        assertLimit(Limit.TIME, 1000, stopped.exception());
        assertTrue(stopped.millis() < 1000 + PROMPT_MS, stopped.millis() + " ms");
        assertUsable(s);
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void limitsArePerCall(Mode mode) {
        Sandbox s = open(builder(mode)
                .timeout(Duration.ofMillis(500))
                .cpuTime(Duration.ofMillis(500))
                .maxOutput(100));
        s.exec("def spin(n):\n    for i in range(n):\n        pass\n    print('x' * 50)\n" + "    return n\n");
        for (int i = 0; i < 5; i++) {
            assertEquals(100_000L, s.call("spin", 100_000));
        }
    }

    // ---- memory ----

    @ParameterizedTest
    @EnumSource(Mode.class)
    void memoryBombHitsTheMemoryLimit(Mode mode) {
        long limit = 64L << 20;
        Sandbox s = open(builder(mode).memoryLimit(limit));
        Stopped stopped = stop(() -> s.exec(MEMORY_BOMB));
        assertLimit(Limit.MEMORY, limit, stopped.exception());
        assertEquals(
                "the sandbox needed more memory than its limit (64 MiB)",
                stopped.exception().getMessage());
        assertFalse(stopped.exception().isSandboxClosed());
        assertTrue(stopped.millis() < PROMPT_MS, stopped.millis() + " ms");
        // What the globals still hold still counts; dropping it frees the room.
        assertEquals(
                Limit.MEMORY,
                assertThrows(LimitExceededException.class, () -> s.eval("len(bytearray(10**7))"))
                        .getLimit());
        // Known gap, every version: a sandbox filled to within a call's needs
        // (about 17 KB) of its limit cannot run another call, not even this
        // one; the bomb stops 1 MB or less short of the limit, and on 3.12
        // in-process in this JVM it stops 12 KB short.
        assumeTrue(
                mode == Mode.PROCESS
                        || !org.objcap.internal.NativeEngine.python().version().startsWith("3.12."),
                "known gap: a sandbox left within a call's needs of its memory limit cannot free it");
        s.exec("x = None");
        assertEquals(10_000_000L, s.eval("len(bytearray(10**7))"));
        // Catching the MemoryError inside does not hide the limit.
        assertEquals(
                Limit.MEMORY,
                assertThrows(
                                LimitExceededException.class,
                                () -> s.exec(
                                        "try:\n    y = b'a' * (100 * 2**20)\nexcept MemoryError:\n" + "    y = None\n"))
                        .getLimit());
        assertUsable(s);
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void hugeStringHitsTheMemoryLimit(Mode mode) {
        long limit = 100L << 20;
        Sandbox s = open(builder(mode).memoryLimit(limit));
        Stopped stopped = stop(() -> s.exec("y = 'a' * 10**10"));
        assertLimit(Limit.MEMORY, limit, stopped.exception());
        assertTrue(stopped.millis() < PROMPT_MS, stopped.millis() + " ms");
        assertUsable(s);
    }

    /**
     * OpenSSL allocates outside CPython's allocators: hashlib.scrypt alone
     * can take up to 2 GiB (maxmem). Its memory counts against the limit
     * too (memory.c routes CRYPTO_malloc), in both modes.
     */
    @ParameterizedTest
    @EnumSource(Mode.class)
    void memoryThatOpenSslAllocatesCountsToo(Mode mode) throws Exception {
        long limit = 32L << 20;
        Sandbox s = open(builder(mode).memoryLimit(limit));
        if (!hashlibSharesTheSystemOpenSsl()) {
            // Known gap: a CPython whose _hashlib carries OpenSSL inside (the one
            // from Maven) allocates outside the accounting. The worker's
            // address-space limit still ends it: OpenSSL reports that its malloc
            // failed (hashlib raises ValueError for it).
            assumeTrue(mode == Mode.PROCESS, "known gap: OpenSSL inside _hashlib is not counted in-process");
            PythonException e = assertThrows(
                    PythonException.class,
                    () -> s.exec("import hashlib\n"
                            + "k = hashlib.scrypt(b'pw', salt=b'salt', n=2**20, r=8, p=1,\n"
                            + "                   maxmem=2**31 - 1, dklen=16)\n"));
            assertTrue(
                    e.getPythonType().equals("MemoryError")
                            || e.getPythonMessage().contains("malloc failure"),
                    e::toString);
            return;
        }
        // n=2**20, r=8 needs 1 GiB of scratch memory.
        Stopped stopped = stop(() -> s.exec("import hashlib\n"
                + "k = hashlib.scrypt(b'pw', salt=b'salt', n=2**20, r=8, p=1,\n"
                + "                   maxmem=2**31 - 1, dklen=16)\n"));
        assertLimit(Limit.MEMORY, limit, stopped.exception());
        // Within the limit, OpenSSL works as usual.
        assertEquals(32L, s.eval("len(hashlib.scrypt(b'pw', salt=b'salt', n=2**10, r=8, " + "p=1, dklen=32))"));
        assertEquals(64L, s.eval("len(hashlib.sha256(b'x' * 10**6).hexdigest())"));
        assertUsable(s);
    }

    /**
     * Reaching the output cap installs the limit's trace from the script's
     * own thread. On 3.14 a trace CPython could not set (its memory taken by
     * the script) was reported on sys.stderr, past the cap, which installed
     * it again, once per thread at every level: a storm in C that never let
     * the time limit in (found by review). The trace is set up when the
     * sandbox is built, and the stop does not come back into itself.
     */
    @ParameterizedTest
    @EnumSource(Mode.class)
    void theOutputCapStopCannotBeTurnedIntoAStorm(Mode mode) {
        Sandbox s = open(builder(mode).maxOutput(2048).memoryLimit(64L << 20).timeout(Duration.ofSeconds(2)));
        long start = System.nanoTime();
        // What ends the call depends on where memory ran out (the limit, or the
        // list's end); that it ends, promptly, is the point.
        SandboxException e = assertThrows(SandboxException.class, () -> s.exec("""
                import typing
                w = typing.sys.stdout.write
                w('p' * 2048)                 # the cap reached, not passed
                keep = []
                for size in range(1, 480, 8):  # holes in most small size classes
                    keep.append([bytes(size) for _ in range(250)])
                for row in keep:
                    for j in range(0, 250, 2):
                        row[j] = None
                store = [None] * 3_000_000
                k = 0
                held = None
                try:
                    while True:               # memory full, and kept full
                        store[k] = k * 0.5
                        k += 1
                except MemoryError as e:
                    held = e
                w('x')                        # allocates nothing before the stop
                """));
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertTrue(millis < 10_000, "took " + millis + " ms: " + e);
    }

    /** Whether _hashlib links the system's libcrypto, whose allocator objcap routes. */
    private static boolean hashlibSharesTheSystemOpenSsl() throws Exception {
        String file = PlainCPython.repr("import _hashlib", "_hashlib.__file__");
        byte[] image = java.nio.file.Files.readAllBytes(java.nio.file.Path.of(file.substring(1, file.length() - 1)));
        return new String(image, java.nio.charset.StandardCharsets.ISO_8859_1).contains("libcrypto.so");
    }

    // ---- output ----

    /** Counts what it is given, from any thread. */
    private static final class CountingStream extends OutputStream {
        final AtomicLong bytes = new AtomicLong();

        @Override
        public void write(int b) {
            bytes.incrementAndGet();
        }

        @Override
        public void write(byte[] b, int off, int len) {
            bytes.addAndGet(len);
        }
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void outputFloodIsCutExactlyAtTheCap(Mode mode) {
        CountingStream out = new CountingStream();
        Sandbox.Builder b = Sandbox.builder().stdout(out).stderr(out).maxOutput(1000);
        Sandbox s = open(mode == Mode.IN_PROCESS ? b.inProcess() : b);
        Stopped stopped = stop(() -> s.exec("while True:\n    print('x' * 99)\n"));
        assertLimit(Limit.OUTPUT, 1000, stopped.exception());
        assertEquals(
                "the call wrote more output than its limit (1000 bytes);" + " the output was cut there",
                stopped.exception().getMessage());
        assertTrue(stopped.millis() < PROMPT_MS, stopped.millis() + " ms");
        assertEquals(1000, out.bytes.get());
        // stdout and stderr share the cap, and catching what the cap raises does not help.
        out.bytes.set(0);
        stop(() -> s.exec("import sys\nwhile True:\n    try:\n        print('o' * 99)\n"
                + "        print('e' * 99, file=sys.stderr)\n"
                + "    except BaseException:\n        pass\n"));
        assertEquals(1000, out.bytes.get());
        // The next call may write again.
        out.bytes.set(0);
        s.exec("print('fine')");
        assertEquals(5, out.bytes.get());
        assertUsable(s);
    }

    // ---- recursion ----

    @ParameterizedTest
    @EnumSource(Mode.class)
    void recursionToTheLimitWorksAndPastItIsTheRecursionLimit(Mode mode) {
        Sandbox s = open(builder(mode).recursionLimit(200));
        s.exec(DOWN, "down.py");
        // 200 frames of down(): the most the limit allows.
        assertEquals(199L, s.call("down", 199));
        LimitExceededException e = assertThrows(LimitExceededException.class, () -> s.call("down", 200));
        assertLimit(Limit.RECURSION, 200, e);
        assertFalse(e.isSandboxClosed());
        PythonException python = e.getPythonException();
        assertNotNull(python);
        assertSame(python, e.getCause());
        assertEquals("RecursionError", python.getPythonType());
        assertTrue(python.getPythonMessage().startsWith("maximum recursion depth exceeded"), python.getPythonMessage());
        List<PythonFrame> frames = python.getPythonTraceback();
        assertEquals("down", frames.get(frames.size() - 1).function());
        assertEquals("down.py", frames.get(frames.size() - 1).file());
        assertTrue(
                e.getMessage()
                        .startsWith("the call recursed deeper than its recursion limit (200 frames): RecursionError"),
                e.getMessage());
        Stopped far = stop(() -> s.exec("down(100000)"));
        assertEquals(Limit.RECURSION, far.exception().getLimit());
        assertTrue(far.millis() < PROMPT_MS, far.millis() + " ms");
        // Caught inside, a RecursionError is the script's business.
        s.exec("try:\n    down(100000)\nexcept RecursionError:\n    caught = True\n");
        assertEquals(true, s.get("caught"));
        assertEquals(199L, s.call("down", 199));
        assertUsable(s);
    }

    @Test
    void aHighRecursionLimitIsUsable() {
        Sandbox s = open(builder(Mode.IN_PROCESS).recursionLimit(20_000));
        s.exec(DOWN);
        assertEquals(15_000L, s.call("down", 15_000));
    }

    // ---- one long C call: only a worker can be stopped ----

    @ParameterizedTest
    @ValueSource(strings = {"9**9**9", "import re\nre.match(r'(a+)+$', 'a' * 40 + 'b')\n"})
    void aLongCCallHasItsWorkerKilled(String bomb) {
        Sandbox other = open(builder(Mode.PROCESS));
        Sandbox s = open(builder(Mode.PROCESS).timeout(Duration.ofMillis(500)));
        long pid = s.isolation().pid();
        Stopped stopped = stop(() -> s.exec(bomb));
        LimitExceededException e = stopped.exception();
        assertLimit(Limit.TIME, 500, e);
        assertTrue(e.isSandboxClosed());
        assertTrue(e.getMessage().endsWith("the sandbox is closed"), e.getMessage());
        // The worker is killed half a second after the deadline.
        assertTrue(
                stopped.millis() >= 450 && stopped.millis() < 500 + 500 + PROMPT_MS,
                "returned after " + stopped.millis() + " ms");
        assertTrue(s.isClosed());
        assertThrows(IllegalStateException.class, () -> s.eval("1"));
        assertFalse(WorkerProcesses.isWorker(pid), "the killed worker was not reaped");
        assertUsable(other);
    }

    // ---- defaults and the builder ----

    @ParameterizedTest
    @EnumSource(Mode.class)
    void theDefaultsStopFloods(Mode mode) {
        CountingStream out = new CountingStream();
        Sandbox.Builder b = Sandbox.builder().stdout(out).stderr(out);
        Sandbox s = open(mode == Mode.IN_PROCESS ? b.inProcess() : b);
        LimitExceededException memory = assertThrows(LimitExceededException.class, () -> s.exec("y = 'a' * 10**10"));
        assertLimit(Limit.MEMORY, Sandbox.DEFAULT_MEMORY_LIMIT, memory);
        assertEquals("the sandbox needed more memory than its limit (512 MiB)", memory.getMessage());
        LimitExceededException output = assertThrows(
                LimitExceededException.class, () -> s.exec("line = 'x' * 1023\nwhile True:\n    print(line)\n"));
        assertLimit(Limit.OUTPUT, Sandbox.DEFAULT_MAX_OUTPUT, output);
        assertEquals(10L << 20, out.bytes.get());
        LimitExceededException recursion =
                assertThrows(LimitExceededException.class, () -> s.exec(DOWN + "down(5000)"));
        assertLimit(Limit.RECURSION, Sandbox.DEFAULT_RECURSION_LIMIT, recursion);
        assertUsable(s);
    }

    @Test
    void everyLimitHasASafeDefaultThatReachesTheEngine() {
        Map<String, Object> expected = new LinkedHashMap<>();
        expected.put("timeout_ms", 30_000L);
        expected.put("cpu_ms", 30_000L);
        expected.put("memory_limit", 512L << 20);
        expected.put("max_output", 10L << 20);
        expected.put("max_result", 64L << 20);
        expected.put("recursion_limit", 1000);
        assertEquals(expected, Sandbox.builder().limitOptions());
        Sandbox.Limits limits = Sandbox.builder().limits();
        assertEquals(30_000L, limits.of(Limit.TIME));
        assertEquals(30_000L, limits.of(Limit.CPU));
        assertEquals(512L << 20, limits.of(Limit.MEMORY));
        assertEquals(10L << 20, limits.of(Limit.OUTPUT));
        assertEquals(1000L, limits.of(Limit.RECURSION));
    }

    @Test
    void noLimitOnlyWhenAskedForByName() {
        Map<String, Object> unlimited = Sandbox.builder()
                .unlimitedTime()
                .unlimitedCpuTime()
                .unlimitedMemory()
                .unlimitedOutput()
                .limitOptions();
        for (String key : List.of("timeout_ms", "cpu_ms", "memory_limit", "max_output")) {
            assertEquals(0L, unlimited.get(key), key);
        }
        // The setters undo the unlimited ones, and values round up to milliseconds.
        Map<String, Object> set = Sandbox.builder()
                .unlimitedTime()
                .timeout(Duration.ofNanos(1))
                .unlimitedCpuTime()
                .cpuTime(Duration.ofMillis(1500))
                .unlimitedMemory()
                .memoryLimit(5L << 20)
                .unlimitedOutput()
                .maxOutput(7)
                .recursionLimit(50)
                .limitOptions();
        assertEquals(1L, set.get("timeout_ms"));
        assertEquals(1500L, set.get("cpu_ms"));
        assertEquals(5L << 20, set.get("memory_limit"));
        assertEquals(7L, set.get("max_output"));
        assertEquals(50, set.get("recursion_limit"));
        // Huge values are capped to what the engine takes.
        Map<String, Object> huge = Sandbox.builder()
                .timeout(Duration.ofSeconds(Long.MAX_VALUE))
                .memoryLimit(Long.MAX_VALUE)
                .limitOptions();
        assertEquals(Long.MAX_VALUE / 4, huge.get("timeout_ms"));
        assertEquals(Long.MAX_VALUE / 4, huge.get("memory_limit"));
        // Zero is not a way to say "none".
        Sandbox.Builder b = Sandbox.builder();
        assertTrue(assertThrows(IllegalArgumentException.class, () -> b.timeout(Duration.ZERO))
                .getMessage()
                .contains("unlimitedTime()"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> b.cpuTime(Duration.ZERO))
                .getMessage()
                .contains("unlimitedCpuTime()"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> b.memoryLimit(0))
                .getMessage()
                .contains("unlimitedMemory()"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> b.maxOutput(0))
                .getMessage()
                .contains("unlimitedOutput()"));
        assertThrows(IllegalArgumentException.class, () -> b.timeout(Duration.ofMillis(-1)));
        assertThrows(IllegalArgumentException.class, () -> b.cpuTime(Duration.ofMillis(-1)));
        assertThrows(IllegalArgumentException.class, () -> b.memoryLimit(-1));
        assertThrows(IllegalArgumentException.class, () -> b.maxOutput(-1));
        // Below 1 MiB the interpreter's own start-up state does not fit.
        assertThrows(IllegalArgumentException.class, () -> b.memoryLimit((1 << 20) - 1));
        assertThrows(NullPointerException.class, () -> b.cpuTime(null));
        assertEquals(Sandbox.builder().limitOptions(), b.limitOptions(), "a refusal changed it");
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void unlimitedOutputIsNotCut(Mode mode) {
        CountingStream out = new CountingStream();
        Sandbox.Builder b = Sandbox.builder().stdout(out).unlimitedOutput();
        Sandbox s = open(mode == Mode.IN_PROCESS ? b.inProcess() : b);
        s.exec("line = 'x' * 1023\nfor i in range(11 * 1024):\n    print(line)\n");
        assertEquals(11L << 20, out.bytes.get());
    }

    @Test
    void messagesDescribeValuesInTheirUnits() {
        assertEquals("200 ms", LimitExceededException.describeValue(Limit.TIME, 200));
        assertEquals("2 s", LimitExceededException.describeValue(Limit.CPU, 2000));
        assertEquals("1.5 s", LimitExceededException.describeValue(Limit.TIME, 1500));
        assertEquals("512 MiB", LimitExceededException.describeValue(Limit.MEMORY, 512L << 20));
        assertEquals("2 GiB", LimitExceededException.describeValue(Limit.MEMORY, 2L << 30));
        assertEquals("64 KiB", LimitExceededException.describeValue(Limit.OUTPUT, 64 << 10));
        assertEquals("1000 bytes", LimitExceededException.describeValue(Limit.OUTPUT, 1000));
        assertEquals("1000 frames", LimitExceededException.describeValue(Limit.RECURSION, 1000));
        LimitExceededException cpu = new LimitExceededException(Limit.CPU, 2000, false, "engine text", null);
        assertEquals("the call used more CPU time than its limit (2 s)", cpu.getMessage());
        assertNull(cpu.getPythonException());
        assertFalse(cpu.isSandboxClosed());
    }
}
