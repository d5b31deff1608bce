package org.objcap;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Many Java threads call sandboxes at once. Native calls cannot be
 * interrupted, so timeouts are enforced with Future.get, not
 * assertTimeoutPreemptively.
 */
class ConcurrencyTest {
    private static final int THREADS = 8;
    private static final int CALLS = 200;
    private static final long TIMEOUT_SECONDS = 120;

    private final ExecutorService pool = Executors.newFixedThreadPool(2 * THREADS);

    @AfterEach
    void shutdown() throws InterruptedException {
        pool.shutdownNow();
        pool.awaitTermination(10, TimeUnit.SECONDS);
    }

    private static Sandbox quiet() {
        return Sandbox.builder().stdout(OutputStream.nullOutputStream()).build();
    }

    @Test
    void manyThreadsOneSandboxAndOneSandboxPerThreadAtOnce() throws Exception {
        Sandbox shared = quiet();
        List<Sandbox> own = new ArrayList<>();
        try {
            shared.exec("counts = {}\n"
                    + "def bump(key):\n"
                    + "    counts[key] = counts.get(key, 0) + 1\n"
                    + "    return counts[key]\n");
            for (int t = 0; t < THREADS; t++) {
                own.add(quiet());
            }
            CountDownLatch start = new CountDownLatch(1);
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                String key = "thread-" + t;
                futures.add(pool.submit(() -> {
                    start.await();
                    for (int i = 1; i <= CALLS; i++) {
                        assertEquals((long) i, shared.call("bump", key), key);
                    }
                    return null;
                }));
                Sandbox mine = own.get(t);
                long seed = t;
                futures.add(pool.submit(() -> {
                    start.await();
                    mine.exec("def f(n):\n    return sum(range(n)) + " + seed + "\n");
                    for (int i = 0; i < CALLS; i++) {
                        mine.set("g", i);
                        assertEquals((long) i, mine.get("g"));
                        assertEquals((long) i * (i - 1) / 2 + seed, mine.call("f", i));
                    }
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> f : futures) {
                f.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
            }
            Map<?, ?> counts = (Map<?, ?>) shared.get("counts");
            assertEquals(THREADS, counts.size());
            for (int t = 0; t < THREADS; t++) {
                assertEquals((long) CALLS, counts.get("thread-" + t));
            }
        } finally {
            shared.close();
            own.forEach(Sandbox::close);
        }
    }

    @Test
    void closeWhileOtherThreadsCallIsClean() throws Exception {
        Sandbox sandbox = quiet();
        sandbox.exec("def work():\n    return sum(range(10000))\n");
        CountDownLatch running = new CountDownLatch(THREADS);
        List<Future<Integer>> futures = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) {
            futures.add(pool.submit(() -> {
                int done = 0;
                running.countDown();
                try {
                    while (true) {
                        assertEquals(49995000L, sandbox.call("work"));
                        done++;
                    }
                } catch (IllegalStateException closed) {
                    assertEquals("sandbox is closed", closed.getMessage());
                }
                return done;
            }));
        }
        running.await(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        Thread.sleep(200);
        Future<?> closer = pool.submit(sandbox::close);
        closer.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        for (Future<Integer> f : futures) {
            f.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        }
        sandbox.close(); // idempotent
    }
}
