package org.objcap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The builder's limits reach the engine and stop code that exceeds them. */
class LimitsTest {

    @Test
    void timeoutStopsAnEndlessLoop() {
        try (Sandbox s = Sandbox.builder().timeout(Duration.ofMillis(300)).build()) {
            long start = System.nanoTime();
            LimitExceededException e = assertThrows(LimitExceededException.class,
                    () -> s.exec("while True:\n    pass\n"));
            long millis = (System.nanoTime() - start) / 1_000_000;
            assertEquals(Limit.TIME, e.getLimit());
            assertTrue(millis >= 250 && millis < 10_000, "stopped after " + millis + " ms");
            assertFalse(s.isClosed());
            assertEquals(2L, s.eval("1 + 1"));
        }
    }

    @Test
    void timeoutIsPerCall() {
        try (Sandbox s = Sandbox.builder().timeout(Duration.ofMillis(500)).build()) {
            s.exec("def spin(n):\n    for i in range(n):\n        pass\n    return n\n");
            for (int i = 0; i < 5; i++) {
                assertEquals(100_000L, s.call("spin", 100_000));
            }
        }
    }

    @Test
    void exceptBlocksDoNotSwallowTheTimeout() {
        try (Sandbox s = Sandbox.builder().timeout(Duration.ofMillis(300)).build()) {
            assertThrows(LimitExceededException.class, () -> s.exec(
                    "while True:\n    try:\n        while True:\n            pass\n"
                    + "    except Exception:\n        pass\n"));
            assertEquals(3L, s.eval("1 + 2"));
        }
    }

    @Test
    void recursionLimitApplies() {
        try (Sandbox s = Sandbox.builder().recursionLimit(100).build()) {
            s.exec("def down(n):\n    return 0 if n == 0 else 1 + down(n - 1)\n");
            assertEquals(50L, s.call("down", 50));
            try {
                s.call("down", 500);
                fail("recursion past the limit was allowed");
            } catch (PythonException e) {
                assertEquals("RecursionError", e.getPythonType());
            } catch (LimitExceededException e) {
                assertEquals(Limit.RECURSION, e.getLimit());
            }
            assertEquals(50L, s.call("down", 50));
        }
    }

    @Test
    void highRecursionLimitIsUsable() {
        try (Sandbox s = Sandbox.builder().recursionLimit(20_000).build()) {
            s.exec("def down(n):\n    return 0 if n == 0 else 1 + down(n - 1)\n");
            assertEquals(15_000L, s.call("down", 15_000));
        }
    }
}
