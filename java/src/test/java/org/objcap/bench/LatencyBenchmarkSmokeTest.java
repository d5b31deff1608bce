package org.objcap.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Runs the latency benchmark with tiny counts, so that it cannot rot; asserts no timing. */
class LatencyBenchmarkSmokeTest {
    @Test
    void runsAndPrintsItsTable() throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        LatencyBenchmark.Result result;
        try (PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
            result = LatencyBenchmark.run(3, 20, 5, out);
        }
        assertEquals(List.of("in-process", "process"), List.copyOf(result.modes().keySet()));
        for (LatencyBenchmark.ModeResult m : result.modes().values()) {
            for (LatencyBenchmark.Figure f : List.of(m.startup(), m.close(), m.call(), m.eval())) {
                assertTrue(f.medianMicros() > 0 && f.p90Micros() >= f.medianMicros(),
                        m.mode() + ": " + f);
            }
            assertEquals(3, m.startup().samples());
            assertEquals(20, m.call().samples());
        }
        String table = bytes.toString(StandardCharsets.UTF_8);
        for (String row : List.of("start-up: build() to eval(\"1\")", "call(\"f\", 1)",
                "eval(\"1\")", "in-process", "process", "ratio")) {
            assertTrue(table.contains(row), "no " + row + " in:\n" + table);
        }
    }
}
