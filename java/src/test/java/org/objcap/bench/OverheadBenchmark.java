package org.objcap.bench;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.objcap.Sandbox;

/**
 * Interpreter overhead: each workload timed inside the interpreter (see
 * {@link Workload#timed}) in four interpreters: an in-process sandbox, a
 * process-mode sandbox, plain CPython ({@code python3.11 -I -S}) and plain
 * libpython ({@link PlainPython#runEmbedded}, the library objcap loads,
 * with nothing else), and a fifth where installed: Debian's {@code
 * python3.11} ({@link PlainPython#reference()}), so that each CPython is
 * also set against the one objcap used to require. A run times the workload once in each, in a fresh
 * interpreter, back to back, in an order that rotates from run to run. A
 * ratio is the median over the runs of the ratio within each run: the
 * neighbours' load on a shared machine drifts over seconds, and the two
 * times of one run share it. Sandboxes have the default limits (the
 * memory limit counts every allocation). Every run must return the same
 * value, or the benchmark fails: all did the same work.
 */
public final class OverheadBenchmark {
    /** The target: a sandboxed workload at most this many times slower. */
    public static final double TARGET_RATIO = 1.05;

    private OverheadBenchmark() {}

    /** The interpreters, in the order of a first run. */
    private enum Interpreter {
        IN_PROCESS_SANDBOX,
        PROCESS_SANDBOX,
        PLAIN_PYTHON,
        PLAIN_LIBPYTHON,
        REFERENCE_PYTHON
    }

    /**
     * One workload's figures, in seconds of CPU time, one element per run.
     *
     * @param workload its name
     * @param inProcess in an in-process sandbox
     * @param process in a process-mode sandbox
     * @param plain in plain CPython ({@code python3.11 -I -S})
     * @param libpython in plain libpython (objcap's library, no objcap)
     * @param reference in Debian's {@code python3.11}; empty when not measured
     * @param value what {@code run} returned (its repr), the same everywhere
     */
    public record Result(
            String workload,
            double[] inProcess,
            double[] process,
            double[] plain,
            double[] libpython,
            double[] reference,
            String value) {
        /**
         * The overhead of a mode against plain CPython, the target's measure.
         *
         * @param mode in-process or process
         * @return the median of the runs' time there / time in plain CPython
         */
        public double ratio(Mode mode) {
            return pairedRatio(of(mode), plain);
        }

        /**
         * The overhead of a mode against plain libpython: objcap's own cost.
         *
         * @param mode in-process or process
         * @return the median of the runs' time there / time in plain libpython
         */
        public double libpythonRatio(Mode mode) {
            return pairedRatio(of(mode), libpython);
        }

        /**
         * How much slower objcap's library is than the python3.11 binary.
         *
         * @return the median of the runs' libpython time / python3.11 time
         */
        public double libraryRatio() {
            return pairedRatio(libpython, plain);
        }

        /**
         * Tells whether Debian's {@code python3.11} was measured too.
         *
         * @return {@code true} if the reference ratios exist
         */
        public boolean hasReference() {
            return reference.length > 0;
        }

        /**
         * A mode against Debian's {@code python3.11}: what a user who moves
         * from it to this CPython sees.
         *
         * @param mode in-process or process
         * @return the median of the runs' time there / time in python3.11
         */
        public double referenceRatio(Mode mode) {
            return pairedRatio(of(mode), reference);
        }

        /**
         * This CPython, run plainly, against Debian's {@code python3.11}.
         *
         * @param library the libpython host instead of the binary
         * @return the median of the runs' ratios
         */
        public double plainReferenceRatio(boolean library) {
            return pairedRatio(library ? libpython : plain, reference);
        }

        private double[] of(Mode mode) {
            return mode == Mode.IN_PROCESS ? inProcess : process;
        }

        private static double pairedRatio(double[] a, double[] b) {
            double[] ratios = new double[a.length];
            for (int i = 0; i < a.length; i++) {
                ratios[i] = a[i] / b[i];
            }
            return Sample.of(ratios).median();
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

    private static Result measure(Workload w, int runs, boolean smoke) throws IOException, InterruptedException {
        String program = w.timed(smoke);
        // Debian's python3.11 joins the rotation where it is installed.
        Interpreter[] all = PlainPython.reference().isPresent()
                ? Interpreter.values()
                : Arrays.copyOf(Interpreter.values(), Interpreter.REFERENCE_PYTHON.ordinal());
        double[][] seconds = new double[Interpreter.values().length][0];
        for (Interpreter where : all) {
            seconds[where.ordinal()] = new double[runs];
        }
        String value = null;
        for (int i = 0; i < runs; i++) {
            for (int k = 0; k < all.length; k++) {
                Interpreter where = all[(i + k) % all.length];
                Timed t = time(where, program, w);
                if (value != null && !value.equals(t.value())) {
                    throw new IllegalStateException(
                            w.name() + " returned " + t.value() + " in " + where + " but " + value + " before");
                }
                value = t.value();
                seconds[where.ordinal()][i] = t.seconds();
            }
        }
        return new Result(w.name(), seconds[0], seconds[1], seconds[2], seconds[3], seconds[4], value);
    }

    private record Timed(double seconds, String value) {}

    private static Timed time(Interpreter where, String program, Workload w) throws IOException, InterruptedException {
        switch (where) {
            case IN_PROCESS_SANDBOX:
                return sandboxed(Mode.IN_PROCESS, program, w);
            case PROCESS_SANDBOX:
                return sandboxed(Mode.PROCESS, program, w);
            default:
                String report = program + "print(repr(_bench_seconds))\nprint(_bench_value)\n";
                List<String> lines = switch (where) {
                    case PLAIN_PYTHON -> PlainPython.run(report);
                    case PLAIN_LIBPYTHON -> PlainPython.runEmbedded(report);
                    default -> PlainPython.runReference(report);
                };
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
