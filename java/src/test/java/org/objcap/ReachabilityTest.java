package org.objcap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The reachability audit: {@code reachability/walk.py} walks the object
 * graph from everything a script can name, from inside a sandbox (so it
 * sees what an attacker sees), and lists paths to forbidden objects (the
 * real sys or os, posix, importers, frames, ...).
 */
class ReachabilityTest {

    private static String walker() throws IOException {
        return resource("walk.py");
    }

    private static String resource(String name) throws IOException {
        try (InputStream in = ReachabilityTest.class.getResourceAsStream("/reachability/" + name)) {
            assertNotNull(in, "reachability/" + name + " is not on the test class path");
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
        try (Sandbox sandbox = Sandbox.builder()
                .timeout(Duration.ofSeconds(120))
                .cpuTime(Duration.ofSeconds(120))
                .build()) {
            Map<?, ?> result = walk(sandbox, "");
            long visited = (Long) result.get("visited");
            System.out.println("reachability: visited " + visited + " objects to depth 6");
            assertEquals(List.of(), result.get("findings"));
            assertTrue(visited > 100_000, "the walk visited only " + visited + " objects");
        }
    }

    /**
     * The same walk from inside each way Python code runs below objcap's own
     * C code (callback_routes.py): there it must see no more than at the top.
     */
    @ParameterizedTest
    @ValueSource(strings = {"codec search function", "incremental decoder", "finalizer", "weakref callback"})
    @Timeout(value = 300, unit = TimeUnit.SECONDS)
    void nothingForbiddenIsReachableFromACallbackRoute(String route, @TempDir Path data) throws IOException {
        Files.writeString(data.resolve("plain.txt"), "plain\n");
        try (Sandbox sandbox = Sandbox.builder()
                .inProcess()
                .timeout(Duration.ofSeconds(120))
                .grant("DATA", Capabilities.directory(data, Access.READ_ONLY))
                .build()) {
            sandbox.set("WALKER", walker());
            sandbox.set("ROUTE", route);
            sandbox.exec(
                    resource("callback_routes.py")
                            + "\nWALK = {}\n"
                            + "ROUTE_BODY = lambda: exec(WALKER, WALK)\n"
                            + "run_route(ROUTE)\n"
                            + "RESULT = WALK.get('RESULT')\n",
                    "callback_routes.py");
            assertEquals(Boolean.TRUE, sandbox.get("ROUTE_RAN_INSIDE"), "the route never ran");
            Map<?, ?> result = assertInstanceOf(Map.class, sandbox.get("RESULT"));
            assertEquals(List.of(), result.get("findings"), route);
            assertTrue(
                    (Long) result.get("visited") > 100_000,
                    result.get("visited").toString());
        }
    }

    @Test
    @Timeout(value = 300, unit = TimeUnit.SECONDS)
    void theWalkerFindsAGrantedDangerousModule() throws IOException {
        try (Sandbox sandbox = Sandbox.builder()
                .timeout(Duration.ofSeconds(120))
                .cpuTime(Duration.ofSeconds(120))
                .allowBuiltinModule("posix")
                .allowDangerousModule("posix")
                .build()) {
            sandbox.set("WALK_DEPTH", 2);
            Map<?, ?> result = walk(sandbox, "import posix\n");
            List<?> findings = (List<?>) result.get("findings");
            assertTrue(findings.stream().anyMatch(f -> f.toString().contains("module posix")), findings.toString());
        }
    }
}
