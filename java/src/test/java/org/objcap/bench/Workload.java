package org.objcap.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * One pure-Python workload of {@code bench/workloads}: a module that
 * defines {@code run(n)}, a benchmark size {@code SIZE} and a tiny size
 * {@code SMOKE}, and whose {@code run} returns a value that must come out
 * the same wherever it runs.
 *
 * @param name the file name without {@code .py}
 * @param source the module's source
 */
public record Workload(String name, String source) {
    /** The workloads' directory, relative to the repository (Maven's working directory). */
    public static final Path DIRECTORY = Path.of(System.getProperty("objcap.bench.workloads", "bench/workloads"));

    /**
     * Reads every workload of {@link #DIRECTORY}, by name.
     *
     * @return the workloads, at least one
     * @throws UncheckedIOException if the directory cannot be read
     * @throws IllegalStateException if it holds no workload
     */
    public static List<Workload> all() {
        try (Stream<Path> files = Files.list(DIRECTORY)) {
            List<Workload> all = files.filter(f -> f.toString().endsWith(".py"))
                    .sorted()
                    .map(Workload::read)
                    .toList();
            if (all.isEmpty()) {
                throw new IllegalStateException("no workload in " + DIRECTORY.toAbsolutePath());
            }
            return all;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Workload read(Path file) {
        try {
            String name = file.getFileName().toString().replaceFirst("\\.py$", "");
            return new Workload(name, Files.readString(file, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The workload followed by code that times it inside the interpreter:
     * one untimed {@code run(SMOKE)} (imports, caches, specialization), then
     * {@code run(SIZE)} (or {@code run(SMOKE)}) between two reads of
     * {@code time.thread_time()}, the CPU time of the thread that runs it
     * (on a shared machine, wall-clock time mostly measures the neighbours).
     * It leaves {@code _bench_seconds} and {@code _bench_value} (the
     * result's repr) as globals.
     *
     * @param smoke time {@code run(SMOKE)} instead of {@code run(SIZE)}
     * @return the program
     */
    public String timed(boolean smoke) {
        return source + "\n\nimport time as _bench_time\n"
                + "run(SMOKE)\n"
                + "_bench_start = _bench_time.thread_time()\n"
                + "_bench_value = repr(run(" + (smoke ? "SMOKE" : "SIZE") + "))\n"
                + "_bench_seconds = _bench_time.thread_time() - _bench_start\n";
    }
}
