package org.objcap.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.objcap.Sandbox;

/**
 * The short round trips' binding: JNA's direct mapping (with the engine's
 * {@code _into} calls) must bind, or every call silently takes the slower
 * interface mapping; and a thread's scratch is lent to one round trip at a
 * time.
 */
class CallScratchBindingTest {
    @Test
    void theDirectBindingBoundEveryCall() {
        try (Sandbox s = Sandbox.builder().inProcess().build()) {
            assertEquals(2L, s.eval("1 + 1"));
        }
        assertTrue(EngineLibrary.Direct.READY, "JNA's direct mapping did not bind the engine's calls");
    }

    @Test
    void aThreadsScratchIsLentOnceAtATime() {
        byte[] name = {'f'};
        CallScratch first = CallScratch.holding(name, new byte[] {1, 2});
        assertNotNull(first);
        try {
            assertNull(CallScratch.holding(name, null), "lent twice");
        } finally {
            first.release();
        }
        CallScratch again = CallScratch.holding(name, null);
        assertNotNull(again, "not lent again after release");
        again.release();
        assertNull(CallScratch.holding(new byte[CallScratch.SIZE], null), "inputs larger than the scratch");
        byte[][] seen = new byte[1][];
        // Another thread has a scratch of its own.
        Thread t = new Thread(() -> {
            CallScratch other = CallScratch.holding(name, null);
            seen[0] = other == null ? null : name;
            if (other != null) {
                other.release();
            }
        });
        CallScratch mine = CallScratch.holding(name, null);
        try {
            t.start();
            t.join();
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        } finally {
            mine.release();
        }
        assertArrayEquals(name, seen[0]);
    }
}
