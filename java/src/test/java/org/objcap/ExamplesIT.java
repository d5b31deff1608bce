package org.objcap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The example projects in {@code examples/}, as maven-invoker-plugin built
 * and ran them ({@code mvn compile exec:java}) against the jar installed in
 * a repository of their own: what each printed.
 */
class ExamplesIT {
    private static final Path BUILDS = Path.of(System.getProperty("objcap.build.directory", "target"), "examples-it");

    /**
     * The lines the example's program printed: its build log without Maven's
     * own lines (which start with [INFO], [WARNING], ..., after any colour
     * code), so a warning, say about threads left behind, fails the test too.
     */
    private static List<String> printed(String example) throws IOException {
        Path log = BUILDS.resolve(example).resolve("build.log");
        assertTrue(Files.isRegularFile(log), "the example was not built: " + log);
        return Files.readAllLines(log).stream()
                .map(l -> l.replaceAll("\u001B\\[[0-9;]*m", ""))
                .filter(l -> !l.isBlank() && !l.matches("\\[(INFO|DEBUG)\\].*"))
                .collect(Collectors.toList());
    }

    @Test
    void theRuleAppChargesWhatTheUsersRuleSays() throws IOException {
        assertEquals(
                List.of(
                        "order 1 to DE, 30.00 EUR: shipping 4.90 EUR",
                        "order 2 to FR, 120.00 EUR: shipping 0.00 EUR",
                        "order 3 to US, 45.50 EUR: shipping 10.40 EUR"),
                printed("rule-app"));
    }

    @Test
    void theJsr223ExampleRunsThroughJavaxScriptOnly() throws IOException {
        assertEquals(
                List.of(
                        "total: 22.75",
                        "tax: 4.55",
                        "Hello, JSR-223!",
                        "refused: PermissionError: open() is not available in this sandbox; the host can"
                                + " grant a directory capability instead in <script> at line number 1"),
                printed("jsr223"));
    }

    /**
     * The Swing formula editor, run headless under xvfb-run: it typed three
     * formulas, pressed Run for each, and wrote down what its window showed,
     * with a screenshot of the window at the end.
     */
    @Test
    void theFormulaEditorShowsEachOutcomeInItsWindow() throws IOException {
        Path demo = BUILDS.resolve("formula-editor").resolve("target").resolve("demo");
        List<String> shown = Files.readAllLines(demo.resolve("window.txt"));
        assertEquals(
                "open('/etc/passwd').read() -> error: PermissionError: open() is not available in this"
                        + " sandbox; the host can grant a directory capability instead",
                shown.get(0));
        assertTrue(
                shown.get(1).startsWith("sum(range(10**12)) -> stopped: the call ran longer than its time limit"),
                shown.get(1));
        assertEquals("price * quantity * (1 - discount) -> = 45.0", shown.get(2));

        // The screenshot is the window, and the result label holds drawn text.
        java.awt.image.BufferedImage shot =
                javax.imageio.ImageIO.read(demo.resolve("window.png").toFile());
        String[] label = shown.get(3).replace("result label at ", "").split(" ");
        int x = Integer.parseInt(label[0]), y = Integer.parseInt(label[1]);
        int w = Integer.parseInt(label[2]), h = Integer.parseInt(label[3]);
        assertTrue(shot.getWidth() >= x + w && shot.getHeight() >= y + h, shown.toString());
        int dark = 0;
        for (int i = x; i < x + w; i++) {
            for (int j = y; j < y + h; j++) {
                int rgb = shot.getRGB(i, j);
                int luminance = ((rgb >> 16) & 0xff) + ((rgb >> 8) & 0xff) + (rgb & 0xff);
                dark += luminance < 3 * 96 ? 1 : 0;
            }
        }
        assertTrue(dark > 50, "no text in the result label of the screenshot: " + dark + " dark pixels");
    }
}
