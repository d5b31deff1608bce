package org.objcap.bench;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.objcap.Sandbox;

/**
 * Interpreter overhead: each workload timed inside the interpreter (see
 * {@link Workload#timed}) in an in-process sandbox, in a process-mode
 * sandbox, and in plain CPython ({@link PlainPython}), a fresh interpreter
 * each run, the three in an order that rotates from run to run, median of
 * the runs. Sandboxes have the default limits (the memory limit counts every
 * allocation). Every run must return the same value, or the benchmark
 * fails: all three did the same work.
 */
public final class OverheadBenchmark {
    /** The target: a sandboxed workload at most this many times slower. */
    public static final double TARGET_RATIO = 1.05;

    private OverheadBenchmark() {
    }

    /**
     * One workload's figures, in seconds.
     *
     * @param workload its name
     * @param inProcess run time in an in-process sandbox
     * @param process run time in a process-mode sandbox
     * @param plain run time in plain CPython
     * @param value what {@code run} returned (its repr), the same everywhere
     */
    public record Result(String workload, Sample inProcess, Sample process, Sample plain,
            String value) {
        /**
         * The overhead of a mode.
         *
         * @param mode in-process or process
         * @return median run time there / median run time in plain CPython
         */
        public double ratio(Mode mode) {
            return (mode == Mode.IN_PROCESS ? inProcess : process).median() / plain.median();
        }
    }

    /**
     * Measures every workload.
     *
     * @param workloads what to run
     * @param runs runs per workload and interpreter
     * @param smoke time {@code run(SMOKE)} instead of {@code run(SIZE)}
     * @return one result per workload
     * @throws IOException if plain CPython cannot be run
     * @throws InterruptedException if interrupted
     * @throws IllegalStateException if a run returned another value
     */
    public static List<Result> run(List<Workload> workloads, int runs, boolean smoke)
            throws IOException, InterruptedException {
        List<Result> results = new ArrayList<>();
        for (Workload w : workloads) {
            results.add(measure(w, runs, smoke));
        }
        return results;
    }

    private static Result measure(Workload w, int runs, boolean smoke)
            throws IOException, InterruptedException {
        String program = w.timed(smoke);
        double[][] seconds = new double[3][runs]; // in-process, process, plain
        String value = null;
        for (int i = 0; i < runs; i++) {
            for (int k = 0; k < 3; k++) {
                int which = (i + k) % 3;
                Timed t = which == 2 ? plain(program)
                        : sandboxed(which == 0 ? Mode.IN_PROCESS : Mode.PROCESS, program, w);
                if (value != null && !value.equals(t.value())) {
                    throw new IllegalStateException(w.name() + " returned " + t.value()
                            + " in " + label(which) + " but " + value + " before");
                }
                value = t.value();
                seconds[which][i] = t.seconds();
            }
        }
        return new Result(w.name(), Sample.of(seconds[0]), Sample.of(seconds[1]),
                Sample.of(seconds[2]), value);
    }

    private static String label(int which) {
        return which == 2 ? "plain CPython" : (which == 0 ? Mode.IN_PROCESS : Mode.PROCESS)
                + " sandbox";
    }

    private record Timed(double seconds, String value) {
    }

    private static Timed sandboxed(Mode mode, String program, Workload w) {
        try (Sandbox s = mode.build()) {
            s.exec(program, w.name() + ".py");
            return new Timed((Double) s.get("_bench_seconds"), (String) s.get("_bench_value"));
        }
    }

    private static Timed plain(String program) throws IOException, InterruptedException {
        List<String> lines = PlainPython.run(program
                + "print(repr(_bench_seconds))\nprint(_bench_value)\n");
        if (lines.size() != 2) {
            throw new IOException("plain CPython printed " + lines);
        }
        return new Timed(Double.parseDouble(lines.get(0)), lines.get(1));
    }
}
