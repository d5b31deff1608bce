package org.objcap;

import java.nio.file.Path;

/**
 * A JVM of its own for tests of what one JVM loads: builds an in-process
 * sandbox on each interpreter named ({@code default} for the default) and
 * prints {@code ok} or {@code refused: <message>} for each.
 */
public final class LoadChild {
    private LoadChild() {}

    public static void main(String[] args) {
        for (String python : args) {
            Sandbox.Builder builder = Sandbox.builder().inProcess();
            if (!python.equals("default")) {
                builder.python(Path.of(python));
            }
            try (Sandbox s = builder.build()) {
                System.out.println("ok " + s.eval("1 + 1"));
            } catch (SandboxException e) {
                System.out.println("refused: " + e.getMessage());
            }
        }
    }
}
