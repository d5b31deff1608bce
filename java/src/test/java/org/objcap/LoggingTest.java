package org.objcap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.text.MessageFormat;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What sandboxes log on the {@code org.objcap} System.Logger (here backed by
 * java.util.logging, the JDK's default): each new sandbox at DEBUG, limits
 * and crashes at WARNING.
 */
class LoggingTest {
    private final Logger logger = Logger.getLogger("org.objcap");
    private final List<LogRecord> records = new CopyOnWriteArrayList<>();
    private final Handler handler = new Handler() {
        @Override
        public void publish(LogRecord r) {
            records.add(r);
        }

        @Override
        public void flush() {}

        @Override
        public void close() {}
    };
    private Level level;

    @BeforeEach
    void listen() {
        level = logger.getLevel();
        handler.setLevel(Level.ALL);
        logger.addHandler(handler);
        logger.setLevel(Level.FINE);
    }

    @AfterEach
    void stopListening() {
        logger.removeHandler(handler);
        logger.setLevel(level);
    }

    /** The messages logged at exactly this level. */
    private List<String> at(Level wanted) {
        return records.stream()
                .filter(r -> r.getLevel() == wanted)
                .map(r -> MessageFormat.format(r.getMessage(), r.getParameters()))
                .collect(Collectors.toList());
    }

    @Test
    void aNewSandboxIsLoggedAtDebugAndALimitAtWarning() {
        try (Sandbox sandbox =
                Sandbox.builder().inProcess().timeout(Duration.ofMillis(200)).build()) {
            // (The JVM's first sandbox also logs CPython's start-up; ReplTest checks that.)
            List<String> created = at(Level.FINE).stream()
                    .filter(m -> m.contains(" created: "))
                    .collect(Collectors.toList());
            assertEquals(1, created.size(), at(Level.FINE).toString());
            assertTrue(created.get(0).matches("Sandbox\\[in-process .*\\] created: Isolation.*"), created.toString());
            sandbox.exec("x = 1");
            assertEquals(List.of(), at(Level.WARNING), "an ordinary call logs nothing");
            assertThrows(LimitExceededException.class, () -> sandbox.exec("while True:\n pass\n"));
            assertEquals(List.of(sandbox + ": the call ran longer than its time limit (200 ms)"), at(Level.WARNING));
            assertThrows(PythonException.class, () -> sandbox.exec("1 / 0"));
            assertEquals(1, at(Level.WARNING).size(), "a Python exception is not a warning");
        }
    }

    @Test
    void aCrashIsLoggedAtWarning() {
        Sandbox sandbox = Sandbox.builder().build();
        String name = sandbox.toString().replace("]", ""); // it says "closed" later
        assertThrows(
                SandboxCrashedException.class,
                () -> sandbox.exec("x = [1]\nfor i in range(1000000):\n    x = map(abs, x)\nnext(x)\n"));
        List<String> warnings = at(Level.WARNING);
        assertEquals(1, warnings.size(), warnings.toString());
        assertTrue(warnings.get(0).startsWith(name), warnings.toString());
        assertTrue(warnings.get(0).contains("SIGSEGV"), warnings.toString());
    }
}
