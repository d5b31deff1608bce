package org.objcap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Python code that a script controls and that runs while objcap's own C code
 * is below it on the stack (escapes/privileged-sections/): each attack must
 * both reach its route (the callback really ran there) and gain nothing by
 * it, in both modes. The escape corpus runs the same files for the second
 * half; these tests make sure the first half is not vacuous.
 */
class CallbackRoutesTest {

    @TempDir
    Path data;

    private String run(String mode, String attack) throws IOException {
        Files.writeString(data.resolve("plain.txt"), "plain\n");
        String source;
        try (InputStream in = getClass().getResourceAsStream("/escapes/privileged-sections/" + attack)) {
            assertNotNull(in, attack);
            source = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (Sandbox sandbox = Modes.builder(mode)
                .timeout(Duration.ofSeconds(60))
                .stdout(out)
                .grant("DATA", Capabilities.directory(data, Access.READ_WRITE))
                .build()) {
            sandbox.exec(source, attack);
        }
        String printed = out.toString(StandardCharsets.UTF_8);
        assertFalse(printed.contains("ESCAPED"), printed);
        return printed;
    }

    @ParameterizedTest
    @ValueSource(strings = {Isolation.IN_PROCESS, Isolation.PROCESS})
    void everyCallbackInsideAnOpenRunsWithTheScriptsAuthority(String mode) throws IOException {
        String printed = run(mode, "callbacks_during_open.py");
        // The search function ran (it refused the name), and the error is CPython's.
        assertTrue(printed.contains("refused: unknown encoding: unknown_codec\n"), printed);
        assertTrue(
                printed.contains("callbacks ran: ['__del__', '_is_text_encoding', "
                        + "'incrementaldecoder', 'incrementalencoder', 'search function', "
                        + "'weakref callback']\n"),
                printed);
        // The collector really ran them inside objcap's C code.
        assertTrue(printed.contains("ran inside open: ['__del__', 'weakref callback']"), printed);
    }

    @ParameterizedTest
    @ValueSource(strings = {Isolation.IN_PROCESS, Isolation.PROCESS})
    void stdlibGlobalsDoNotMakeTheScriptAStdlibModule(String mode) throws IOException {
        String printed = run(mode, "support_import_with_stdlib_globals.py");
        assertEquals(6, printed.lines().filter(l -> l.startsWith("refused: ")).count(), printed);
    }
}
