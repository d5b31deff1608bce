package org.objcap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.objcap.cli.ObjcapCommand;

/**
 * What the README promises about the examples: hello.py runs as its first
 * command says, and the example projects depend on objcap with exactly the
 * README's dependency line, for this version (ExamplesIT then checks that
 * they build and run with nothing else).
 */
class ExamplesTest {
    private static final Pattern OBJCAP_DEPENDENCY = Pattern.compile(
            "<dependency>\\s*<groupId>org\\.objcap</groupId>.*?</dependency>", Pattern.DOTALL);

    private static String objcapDependency(Path file) throws IOException {
        Matcher m = OBJCAP_DEPENDENCY.matcher(Files.readString(file));
        assertTrue(m.find(), "no objcap dependency in " + file);
        return m.group().replaceAll("\\s+", "");
    }

    @Test
    void theExampleProjectsUseTheReadmesDependencyLine() throws IOException {
        String readme = objcapDependency(Path.of("README.md"));
        Matcher version = Pattern.compile("<artifactId>objcap</artifactId>\\s*<version>([^<]+)")
                .matcher(Files.readString(Path.of("pom.xml")));
        assertTrue(version.find());
        assertTrue(readme.contains("<version>" + version.group(1) + "</version>"),
                "the README names another version than pom.xml: " + readme);
        for (String example : new String[] {"rule-app", "jsr223"}) {
            assertEquals(readme, objcapDependency(Path.of("examples", example, "pom.xml")),
                    example);
        }
    }

    @Test
    void helloRunsAsTheReadmesFirstCommandSays() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = ObjcapCommand.execute(new String[] {"run", "examples/hello.py"},
                new ByteArrayInputStream(new byte[0]),
                new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        assertEquals(0, status, err.toString(StandardCharsets.UTF_8));
        String printed = out.toString(StandardCharsets.UTF_8);
        assertTrue(printed.startsWith("Hello from inside an objcap sandbox!\n"), printed);
        assertTrue(printed.contains("2 ** 100 = 1267650600228229401496703205376\n"), printed);
        assertTrue(printed.endsWith("Unicode is fine too: héllo, wörld, 😀\n"), printed);
    }
}
