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
import org.junit.jupiter.api.io.TempDir;
import org.objcap.cli.ObjcapCommand;

/**
 * What the README promises about the examples: hello.py runs as its first
 * command says, and the example projects depend on objcap with exactly the
 * README's dependency line, for this version (ExamplesIT then checks that
 * they build and run with nothing else).
 */
class ExamplesTest {
    private static final Pattern OBJCAP_DEPENDENCY =
            Pattern.compile("<dependency>\\s*<groupId>org\\.objcap</groupId>.*?</dependency>", Pattern.DOTALL);

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
        assertTrue(
                readme.contains("<version>" + version.group(1) + "</version>"),
                "the README names another version than pom.xml: " + readme);
        for (String example : new String[] {"rule-app", "jsr223"}) {
            assertEquals(readme, objcapDependency(Path.of("examples", example, "pom.xml")), example);
        }
    }

    @Test
    void theDataProcessingExampleReadsOneGrantAndWritesAnother(@TempDir Path reports) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = ObjcapCommand.execute(
                new String[] {
                    "run",
                    "--read",
                    "orders=examples/data-processing/orders",
                    "--write",
                    "reports=" + reports,
                    "examples/data-processing/summarize.py"
                },
                new ByteArrayInputStream(new byte[0]),
                new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        assertEquals(0, status, err.toString(StandardCharsets.UTF_8));
        assertEquals(
                "ada        8 items    309.00\n" + "grace      4 items    201.60\n" + "linus      1 items     49.50\n",
                out.toString(StandardCharsets.UTF_8));
        assertEquals(
                "customer,items,total\r\nada,8,309.00\r\ngrace,4,201.60\r\n" + "linus,1,49.50\r\n",
                Files.readString(reports.resolve("summary.csv")));
        assertTrue(Files.readString(reports.resolve("summary.json")).contains("\"total\": 309.0"));
        // Nothing was written next to the orders: that grant is read-only.
        try (var files = Files.list(Path.of("examples/data-processing/orders"))) {
            assertEquals(2, files.count());
        }
    }

    @Test
    void helloRunsAsTheReadmesFirstCommandSays() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = ObjcapCommand.execute(
                new String[] {"run", "examples/hello.py"},
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
