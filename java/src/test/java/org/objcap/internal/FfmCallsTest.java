package org.objcap.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.junit.jupiter.api.Test;
import org.objcap.Sandbox;

/**
 * On Java 22 and later, from the multi-release jar, {@code call} and
 * {@code eval} are downcalls of the FFM API (FfmCalls). The build runs the
 * unit tests a second time that way (objcap.expectFfm), so that every
 * other test of calls (CallScratchTest's nesting among them) runs on it; on
 * Java 17 the class binds nothing.
 */
class FfmCallsTest {
    private static boolean expected() {
        return Boolean.getBoolean("objcap.expectFfm");
    }

    @Test
    void theBindingServesExactlyWhereItShould() {
        try (Sandbox s = Sandbox.builder().inProcess().build()) {
            assertEquals(2L, s.eval("1 + 1"));
            if (expected()) {
                assertTrue(FfmCalls.ready(), "Java " + Runtime.version() + " from the jar: the FFM binding must serve");
            } else if (Runtime.version().feature() < 22) {
                assertFalse(FfmCalls.ready(), "no FFM binding before Java 22");
            }
        }
    }

    @Test
    void itGivesTheSameBytesAroundItsScratch() {
        assumeTrue(expected(), "the FFM binding runs in the build's Java 22 run");
        try (Sandbox s = Sandbox.builder().inProcess().build()) {
            JniCallsTest.roundTripsAroundTheEdge(s);
        }
    }
}
