package org.objcap.bench;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The floor of every figure: the CPython that the sandboxes run on, run
 * directly as {@code python3.X -I -S} (isolated mode, no site packages):
 * the system property {@code objcap.bench.python}, else the interpreter
 * under test ({@code objcap.python}, or the bundled one's own binary, {@code
 * objcap.bundled.python}). On Debian that
 * binary is linked statically, not with the libpython3.11.so that objcap
 * (and every other embedder) loads, so for the interpreter's speed there is
 * a second floor: {@code bench_plain_embed}, that same libpython in a host
 * that does nothing else (property {@code objcap.bench.embed}).
 */
public final class PlainPython {
    /** The fallback when no property names one. */
    public static final Path DEFAULT = Path.of("/usr/bin/python3.11");
    /** The plain libpython host, as CMake builds it under Maven's target directory. */
    public static final Path DEFAULT_EMBED = Path.of("target/native/bench_plain_embed");

    private static final long TIMEOUT_SECONDS = 300;

    private PlainPython() {}

    /**
     * The interpreter to compare with.
     *
     * @return its path
     */
    public static Path path() {
        String named = System.getProperty("objcap.bench.python", "");
        if (named.isBlank()) {
            // The interpreter under test (Maven names it), as PlainCPython.
            named = System.getProperty("objcap.python", "");
        }
        if (named.isBlank()) {
            named = System.getProperty("objcap.bundled.python", DEFAULT.toString());
        }
        return Path.of(named);
    }

    /**
     * The interpreter every CPython is also compared with: Debian's {@code
     * python3.11} (property {@code objcap.bench.reference}, default {@link
     * #DEFAULT}), the one objcap ran on before it shipped CPython 3.14.
     * Absent when it is not installed or is the interpreter under test.
     *
     * @return its path, or empty
     */
    public static Optional<Path> reference() {
        Path named = Path.of(System.getProperty("objcap.bench.reference", DEFAULT.toString()));
        if (!Files.isExecutable(named)) {
            return Optional.empty();
        }
        try {
            boolean same = Files.isExecutable(path()) && Files.isSameFile(named, path());
            return same ? Optional.empty() : Optional.of(named);
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /**
     * The host that runs a program on objcap's libpython, and nothing else.
     *
     * @return its path
     */
    public static Path embedPath() {
        String named = System.getProperty("objcap.bench.embed", "");
        if (!named.isBlank()) {
            return Path.of(named);
        }
        // The installed CPython's engine is built in native-system.
        return System.getProperty("objcap.python", "").isBlank()
                ? DEFAULT_EMBED
                : Path.of("target/native-system/bench_plain_embed");
    }

    /**
     * Tells whether the interpreter is installed; figures that need it are
     * left out otherwise.
     *
     * @return {@code true} if it can be run
     */
    public static boolean available() {
        return Files.isExecutable(path());
    }

    /**
     * The command line of a plain interpreter with these arguments.
     *
     * @param args what follows {@code -I -S}
     * @return the whole command
     */
    public static List<String> command(String... args) {
        List<String> command = new ArrayList<>(List.of(path().toString(), "-I", "-S"));
        command.addAll(List.of(args));
        return command;
    }

    /**
     * Runs a program given on standard input ({@code python3.11 -I -S -}),
     * so that it runs as {@code __main__}, like code a sandbox executes.
     *
     * @param program Python source
     * @return what it printed, one element per line
     * @throws IOException if it cannot be run or fails
     * @throws InterruptedException if interrupted while waiting
     */
    public static List<String> run(String program) throws IOException, InterruptedException {
        return run(command("-"), program);
    }

    /**
     * Runs a program given on standard input in the {@link #reference()}
     * interpreter, as {@link #run(String)} does in the one under test.
     *
     * @param program Python source
     * @return what it printed, one element per line
     * @throws IOException if there is no reference, or it cannot be run or fails
     * @throws InterruptedException if interrupted while waiting
     */
    public static List<String> runReference(String program) throws IOException, InterruptedException {
        Path reference = reference().orElseThrow(() -> new IOException("no reference interpreter"));
        return run(List.of(reference.toString(), "-I", "-S", "-"), program);
    }

    /**
     * Runs a program on objcap's libpython in a host that does nothing else
     * ({@link #embedPath()}), which reads it from standard input.
     *
     * @param program Python source
     * @return what it printed, one element per line
     * @throws IOException if it cannot be run or fails
     * @throws InterruptedException if interrupted while waiting
     */
    public static List<String> runEmbedded(String program) throws IOException, InterruptedException {
        if (!Files.isExecutable(embedPath())) {
            throw new IOException("no " + embedPath().toAbsolutePath()
                    + ": build it with mvn package (CMake target bench_plain_embed)");
        }
        return run(List.of(embedPath().toString()), program);
    }

    private static List<String> run(List<String> command, String program) throws IOException, InterruptedException {
        // stderr joins stdout: a program that succeeds writes nothing there.
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        try (OutputStream in = p.getOutputStream()) {
            in.write(program.getBytes(StandardCharsets.UTF_8));
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        waitFor(p);
        if (p.exitValue() != 0) {
            throw new IOException(command.get(0) + " failed (" + p.exitValue() + "): " + out);
        }
        return out.lines().toList();
    }

    /**
     * Waits for a process, killing it past a generous timeout.
     *
     * @param p the process
     * @throws IOException if it had to be killed
     * @throws InterruptedException if interrupted while waiting
     */
    public static void waitFor(Process p) throws IOException, InterruptedException {
        if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException(path() + " did not finish in " + TIMEOUT_SECONDS + " s");
        }
    }
}
