package org.objcap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The reachability audit: {@code reachability/walk.py} walks the object
 * graph from everything a script can name, from inside a sandbox (so it
 * sees what an attacker sees), and lists paths to forbidden objects (the
 * real sys or os, posix, importers, frames, ...).
 */
class ReachabilityTest {

    private static String walker() throws IOException {
        try (InputStream in = ReachabilityTest.class.getResourceAsStream("/reachability/walk.py")) {
            assertNotNull(in, "reachability/walk.py is not on the test class path");
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /** Runs the walker; returns RESULT as {"visited": long, "findings": [str]}. */
    private static Map<?, ?> walk(Sandbox sandbox, String prelude) throws IOException {
        sandbox.exec(prelude + walker(), "walk.py");
        Map<?, ?> result = assertInstanceOf(Map.class, sandbox.get("RESULT"));
        assertInstanceOf(Long.class, result.get("visited"), result.toString());
        assertInstanceOf(List.class, result.get("findings"), result.toString());
        return result;
    }

    @Test
    @Timeout(value = 300, unit = TimeUnit.SECONDS)
    void nothingForbiddenIsReachable() throws IOException {
        try (Sandbox sandbox = Sandbox.builder().timeout(Duration.ofSeconds(120))
                .cpuTime(Duration.ofSeconds(120)).build()) {
            Map<?, ?> result = walk(sandbox, "");
            long visited = (Long) result.get("visited");
            System.out.println("reachability: visited " + visited + " objects to depth 6");
            assertEquals(List.of(), result.get("findings"));
            assertTrue(visited > 100_000, "the walk visited only " + visited + " objects");
        }
    }

    @Test
    @Timeout(value = 300, unit = TimeUnit.SECONDS)
    void theWalkerFindsAGrantedDangerousModule() throws IOException {
        try (Sandbox sandbox = Sandbox.builder().timeout(Duration.ofSeconds(120))
                .cpuTime(Duration.ofSeconds(120))
                .allowBuiltinModule("posix").allowDangerousModule("posix").build()) {
            sandbox.set("WALK_DEPTH", 2);
            Map<?, ?> result = walk(sandbox, "import posix\n");
            List<?> findings = (List<?>) result.get("findings");
            assertTrue(findings.stream().anyMatch(f -> f.toString().contains("module posix")),
                    findings.toString());
        }
    }
}
