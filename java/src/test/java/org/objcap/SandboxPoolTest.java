package org.objcap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.OutputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class SandboxPoolTest {
    private static final Duration FILL_TIMEOUT = Duration.ofSeconds(60);

    /** Every sandbox the factory made, to check what the pool closed. */
    private final List<Sandbox> made = Collections.synchronizedList(new ArrayList<>());

    @AfterEach
    void closeAll() {
        new ArrayList<>(made).forEach(Sandbox::close);
    }

    private Supplier<Sandbox> inProcess() {
        return () -> {
            Sandbox s = Sandbox.builder()
                    .inProcess()
                    .stdout(OutputStream.nullOutputStream())
                    .build();
            made.add(s);
            return s;
        };
    }

    @Test
    void checkoutHandsOutAReadySandboxAndTheOneInItsPlaceIsNew() throws Exception {
        try (SandboxPool pool = new SandboxPool(2, inProcess())) {
            assertTrue(pool.awaitFull(FILL_TIMEOUT));
            assertEquals(2, pool.ready());
            Sandbox first = pool.checkout();
            assertEquals(42L, first.eval("6 * 7"));
            assertTrue(made.contains(first));
            assertTrue(pool.awaitFull(FILL_TIMEOUT));
            assertEquals(3, made.size(), "the pool made one replacement");
            first.close();
        }
    }

    @Test
    void aClosedSandboxIsNeverHandedOutAgainAndLeavesNothingBehind() throws Exception {
        Set<Sandbox> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        try (SandboxPool pool = new SandboxPool(1, inProcess())) {
            for (int i = 0; i < 6; i++) {
                try (Sandbox s = pool.checkout()) {
                    assertTrue(seen.add(s), "handed out twice: " + s);
                    PythonException e = assertThrows(PythonException.class, () -> s.eval("left_behind"));
                    assertEquals("NameError", e.getPythonType());
                    s.exec("left_behind = 1\nimport json\njson.dumps = None\n");
                }
            }
        }
    }

    @Test
    void anEmptyPoolBuildsOnTheCallersThread() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        Supplier<Sandbox> factory = inProcess();
        try (SandboxPool pool = new SandboxPool(1, () -> {
            if (Thread.currentThread().getName().equals("objcap-pool-refill")) {
                await(release); // the background thread delivers only after the checkout
            }
            return factory.get();
        })) {
            assertEquals(0, pool.ready());
            try (Sandbox s = pool.checkout()) {
                assertEquals(1L, s.eval("1"));
            }
            release.countDown();
            assertTrue(pool.awaitFull(FILL_TIMEOUT));
        }
    }

    @Test
    void factoryFailuresReachTheCallerAndThePoolRecovers() throws Exception {
        AtomicBoolean failing = new AtomicBoolean(true);
        Supplier<Sandbox> factory = inProcess();
        try (SandboxPool pool = new SandboxPool(1, () -> {
            if (failing.get()) {
                throw new SandboxException("no sandbox today");
            }
            return factory.get();
        })) {
            SandboxException e = assertThrows(SandboxException.class, pool::checkout);
            assertEquals("no sandbox today", e.getMessage());
            assertFalse(pool.awaitFull(Duration.ofMillis(200)));
            failing.set(false);
            assertTrue(pool.awaitFull(
                    Duration.ofMillis(SandboxPool.MAX_RETRY_PAUSE_MILLIS).plus(FILL_TIMEOUT)));
            try (Sandbox s = pool.checkout()) {
                assertEquals(1L, s.eval("1"));
            }
        }
    }

    @Test
    void aNullFromTheFactoryIsAnError() {
        try (SandboxPool pool = new SandboxPool(1, () -> null)) {
            assertThrows(NullPointerException.class, pool::checkout);
        }
    }

    @Test
    void aSandboxThatClosedWhileReadyIsDropped() throws Exception {
        try (SandboxPool pool = new SandboxPool(1, inProcess())) {
            assertTrue(pool.awaitFull(FILL_TIMEOUT));
            Sandbox waiting = made.get(0);
            waiting.close(); // as if its worker had died
            try (Sandbox s = pool.checkout()) {
                assertTrue(s != waiting && !s.isClosed());
                assertEquals(1L, s.eval("1"));
            }
        }
    }

    @Test
    void closeClosesTheReadySandboxesButNotTheCheckedOutOnes() throws Exception {
        Sandbox out;
        SandboxPool pool = new SandboxPool(2, inProcess());
        assertTrue(pool.awaitFull(FILL_TIMEOUT));
        out = pool.checkout();
        assertTrue(pool.awaitFull(FILL_TIMEOUT));
        pool.close();
        pool.close(); // twice is harmless
        assertThrows(IllegalStateException.class, pool::checkout);
        assertEquals(0, pool.ready());
        for (Sandbox s : made) {
            assertEquals(s != out, s.isClosed(), s.toString());
        }
        assertEquals(1L, out.eval("1"));
        out.close();
    }

    @Test
    void processModeSandboxesArePooledToo() throws Exception {
        try (SandboxPool pool = new SandboxPool(1, () -> {
            Sandbox s =
                    Sandbox.builder().stdout(OutputStream.nullOutputStream()).build();
            made.add(s);
            return s;
        })) {
            assertTrue(pool.awaitFull(FILL_TIMEOUT));
            try (Sandbox s = pool.checkout()) {
                assertTrue(s.isolation().processIsolated());
                assertEquals(3L, s.eval("len('abc')"));
            }
        }
    }

    @Test
    void manyThreadsGetDistinctSandboxes() throws Exception {
        int threads = 6;
        int each = 5;
        Set<Sandbox> seen = Collections.synchronizedSet(Collections.newSetFromMap(new IdentityHashMap<>()));
        ExecutorService executor = Executors.newFixedThreadPool(threads);
        try (SandboxPool pool = new SandboxPool(3, inProcess())) {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                long id = t;
                done.add(executor.submit(() -> {
                    for (int i = 0; i < each; i++) {
                        try (Sandbox s = pool.checkout()) {
                            assertTrue(seen.add(s), "handed out twice: " + s);
                            s.set("x", -id);
                            assertEquals(id, s.eval("abs(x)"));
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get(120, TimeUnit.SECONDS);
            }
        } finally {
            executor.shutdownNow();
        }
        assertEquals(threads * each, seen.size());
    }

    @Test
    void badArgumentsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new SandboxPool(0, inProcess()));
        assertThrows(IllegalArgumentException.class, () -> new SandboxPool(1025, inProcess()));
        assertThrows(NullPointerException.class, () -> new SandboxPool(1, null));
    }

    @Test
    void toStringSaysHowManyAreReady() throws Exception {
        SandboxPool pool = new SandboxPool(1, inProcess());
        assertTrue(pool.awaitFull(FILL_TIMEOUT));
        assertEquals("SandboxPool[1/1 ready]", pool.toString());
        pool.close();
        assertEquals("SandboxPool[0/1 ready, closed]", pool.toString());
        assertEquals(1, pool.size());
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
