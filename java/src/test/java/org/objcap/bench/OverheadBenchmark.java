package org.objcap.bench;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.objcap.Sandbox;

/**
 * Interpreter overhead: each workload timed inside the interpreter (see
 * {@link Workload#timed}) in four interpreters: an in-process sandbox, a
 * process-mode sandbox, plain CPython ({@code python3.11 -I -S}) and plain
 * libpython ({@link PlainPython#runEmbedded}, the library objcap loads,
 * with nothing else); a fresh interpreter each run, the four in an order
 * that rotates from run to run, median of the runs. Sandboxes have the
 * default limits (the memory limit counts every allocation). Every run
 * must return the same value, or the benchmark fails: all did the same work.
 */
public final class OverheadBenchmark {
    /** The target: a sandboxed workload at most this many times slower. */
    public static final double TARGET_RATIO = 1.05;

    private OverheadBenchmark() {
    }

    /** The interpreters, in the order of a first run. */
    private enum Interpreter {
        IN_PROCESS_SANDBOX, PROCESS_SANDBOX, PLAIN_PYTHON, PLAIN_LIBPYTHON
    }

    /**
     * One workload's figures, in seconds of CPU time.
     *
     * @param workload its name
     * @param inProcess in an in-process sandbox
     * @param process in a process-mode sandbox
     * @param plain in plain CPython ({@code python3.11 -I -S})
     * @param libpython in plain libpython (objcap's library, no objcap)
     * @param value what {@code run} returned (its repr), the same everywhere
     */
    public record Result(String workload, Sample inProcess, Sample process, Sample plain,
            Sample libpython, String value) {
        /**
         * The overhead of a mode against plain CPython, the target's measure.
         *
         * @param mode in-process or process
         * @return median time there / median time in plain CPython
         */
        public double ratio(Mode mode) {
            return of(mode).median() / plain.median();
        }

        /**
         * The overhead of a mode against plain libpython: objcap's own cost.
         *
         * @param mode in-process or process
         * @return median time there / median time in plain libpython
         */
        public double libpythonRatio(Mode mode) {
            return of(mode).median() / libpython.median();
        }

        private Sample of(Mode mode) {
            return mode == Mode.IN_PROCESS ? inProcess : process;
        }
    }

    /**
     * Measures every workload.
     *
     * @param workloads what to run
     * @param runs runs per workload and interpreter
     * @param smoke time {@code run(SMOKE)} instead of {@code run(SIZE)}
     * @return one result per workload
     * @throws IOException if plain CPython or plain libpython cannot be run
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
        Interpreter[] all = Interpreter.values();
        double[][] seconds = new double[all.length][runs];
        String value = null;
        for (int i = 0; i < runs; i++) {
            for (int k = 0; k < all.length; k++) {
                Interpreter where = all[(i + k) % all.length];
                Timed t = time(where, program, w);
                if (value != null && !value.equals(t.value())) {
                    throw new IllegalStateException(w.name() + " returned " + t.value()
                            + " in " + where + " but " + value + " before");
                }
                value = t.value();
                seconds[where.ordinal()][i] = t.seconds();
            }
        }
        return new Result(w.name(), Sample.of(seconds[0]), Sample.of(seconds[1]),
                Sample.of(seconds[2]), Sample.of(seconds[3]), value);
    }

    private record Timed(double seconds, String value) {
    }

    private static Timed time(Interpreter where, String program, Workload w)
            throws IOException, InterruptedException {
        switch (where) {
            case IN_PROCESS_SANDBOX:
                return sandboxed(Mode.IN_PROCESS, program, w);
            case PROCESS_SANDBOX:
                return sandboxed(Mode.PROCESS, program, w);
            default:
                String report = program + "print(repr(_bench_seconds))\nprint(_bench_value)\n";
                List<String> lines = where == Interpreter.PLAIN_PYTHON
                        ? PlainPython.run(report) : PlainPython.runEmbedded(report);
                if (lines.size() != 2) {
                    throw new IOException(where + " printed " + lines);
                }
                return new Timed(Double.parseDouble(lines.get(0)), lines.get(1));
        }
    }

    private static Timed sandboxed(Mode mode, String program, Workload w) {
        try (Sandbox s = mode.build()) {
            s.exec(program, w.name() + ".py");
            return new Timed((Double) s.get("_bench_seconds"), (String) s.get("_bench_value"));
        }
    }
}
