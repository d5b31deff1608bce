package org.objcap.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.objcap.PythonException;
import org.objcap.Sandbox;

/**
 * {@code call} and {@code eval} go through the engine's own JNI methods
 * (JniCalls) once the engine is loaded, where Java 22's FFM binding
 * (FfmCalls) does not serve; JNA's path (CallScratch) stays for an engine
 * without them. All must give the same bytes, around the sizes where each
 * switches from its fixed scratch to allocated memory (4 KiB).
 */
class JniCallsTest {
    private static final int EDGE = 4096;

    static void roundTripsAroundTheEdge(Sandbox s) {
        s.exec("def same(x):\n    return x\n");
        for (int n = EDGE - 40; n <= EDGE + 8; n++) {
            byte[] bytes = new byte[n];
            Arrays.fill(bytes, (byte) (n & 0x7f));
            assertArrayEquals(bytes, (byte[]) s.call("same", bytes), "size " + n);
            String expression = "b'" + "x".repeat(n) + "'";
            assertEquals(n, ((byte[]) s.eval(expression)).length, "size " + n);
        }
        // A long name, and a result far past the scratch.
        String name = "f".repeat(EDGE + 1);
        s.exec(name + " = lambda n: 'y' * n\n");
        assertEquals(1 << 20, ((String) s.call(name, 1 << 20)).length());
        PythonException e = assertThrows(PythonException.class, () -> s.eval("1/0"));
        assertEquals("ZeroDivisionError", e.getPythonType());
    }

    @Test
    void theEngineBindsItsJniMethods() {
        try (Sandbox s = Sandbox.builder().inProcess().build()) {
            assertEquals(2L, s.eval("1 + 1"));
            assertTrue(JniCalls.ready(), "the engine's JNI methods are not bound: JNA's slower path serves");
            FfmCalls.useOther(true);
            try {
                roundTripsAroundTheEdge(s);
            } finally {
                FfmCalls.useOther(false);
            }
        }
    }

    @Test
    void jnasPathGivesTheSameResults() {
        try (Sandbox s = Sandbox.builder().inProcess().build()) {
            FfmCalls.useOther(true);
            JniCalls.useJna(true);
            try {
                roundTripsAroundTheEdge(s);
            } finally {
                JniCalls.useJna(false);
                FfmCalls.useOther(false);
            }
        }
    }
}
