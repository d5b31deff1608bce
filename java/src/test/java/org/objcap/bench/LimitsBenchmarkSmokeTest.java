package org.objcap.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Runs the limits benchmark with tiny counts, so that it cannot rot; asserts no timing. */
class LimitsBenchmarkSmokeTest {
    @Test
    void runsAndPrintsItsTable() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        LimitsBenchmark.Result result;
        try (PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
            result = LimitsBenchmark.run(2, 1, 0.02, 1, out);
        }
        assertEquals(
                List.of("in-process", "process"), List.copyOf(result.modes().keySet()));
        assertTrue(result.workloadRounds() >= 1);
        for (LimitsBenchmark.ModeResult m : result.modes().values()) {
            for (LimitsBenchmark.Figure f :
                    List.of(m.timeOvershoot(), m.cpuOvershoot(), m.withLimit(), m.withoutLimit(), m.control())) {
                assertTrue(
                        f.worstMillis() >= f.medianMillis() && f.medianMillis() >= f.bestMillis(), m.mode() + ": " + f);
            }
            assertEquals(2, m.timeOvershoot().samples());
            assertEquals(1, m.withLimit().samples());
            assertTrue(m.accountingRatio() > 0 && m.bestAccountingRatio() > 0 && m.controlRatio() > 0, m.toString());
        }
        assertNull(result.modes().get("in-process").killOvershoot());
        assertNotNull(result.modes().get("process").killOvershoot());
        assertEquals(1, result.modes().get("process").killOvershoot().samples());
        String table = bytes.toString(StandardCharsets.UTF_8);
        for (String row : List.of(
                "while True: pass, timeout 200 ms",
                "cpuTime 200 ms",
                "9**9**9",
                "memoryLimit 512 MiB",
                "unlimitedMemory()",
                "control",
                "ratio",
                "noise")) {
            assertTrue(table.contains(row), "no " + row + " in:\n" + table);
        }
    }
}
