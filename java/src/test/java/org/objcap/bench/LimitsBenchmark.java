package org.objcap.bench;

import java.io.OutputStream;
import java.io.PrintStream;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.objcap.Limit;
import org.objcap.LimitExceededException;
import org.objcap.Sandbox;
import org.objcap.internal.NativeEngine;

/**
 * What the limits cost, in process mode (a confined worker) next to
 * in-process mode, in the same run:
 * <ul>
 * <li>how long after the deadline control returns to Java: {@code while
 *     True: pass} under a {@value #DEADLINE_MS} ms time limit, and under a
 *     {@value #DEADLINE_MS} ms CPU limit, run many times in one sandbox
 *     (median and worst of the overshoot past the deadline); in process
 *     mode also {@code 9**9**9} (one long C call, which only killing the
 *     worker stops; a fresh sandbox each run, built before the clock
 *     starts);</li>
 * <li>the throughput cost of the memory limit: an allocation-heavy workload
 *     (lists, tuples and dicts of small strings, plus strings too big for
 *     the small-object allocator, built and dropped) timed in a sandbox with
 *     the default memory limit, in one with {@code unlimitedMemory()}, and
 *     in a second one with the limit (a control that shows the noise), fresh
 *     sandboxes each run, in rotating order. The engine counts every sandbox's allocations whether or
 *     not it has a limit (only the comparison with the limit is skipped), so
 *     this is the price of enforcing the limit, not of counting; what
 *     counting costs against a plain interpreter is measured on the C side
 *     ({@code native/bench}), since Java can only make sandboxes.</li>
 * </ul>
 * Not a JUnit test ({@code LimitsBenchmarkSmokeTest} runs it with tiny
 * counts so that it cannot rot). Run it after {@code mvn -B package}:
 * <pre>
 * java -cp target/classes:target/test-classes:'target/lib/*' \
 *     org.objcap.bench.LimitsBenchmark \
 *     [DEADLINE_RUNS [KILL_RUNS [WORKLOAD_SECONDS [WORKLOAD_RUNS]]]]
 * </pre>
 */
public final class LimitsBenchmark {
    /** Default number of stopped calls per mode and limit. */
    public static final int DEADLINE_RUNS = 30;
    /** Default number of killed workers. */
    public static final int KILL_RUNS = 5;
    /** Default length of one workload run, in seconds (calibrated without a limit). */
    public static final double WORKLOAD_SECONDS = 2.5;
    /** Default number of workload runs per mode and setting. */
    public static final int WORKLOAD_RUNS = 7;
    /** The time and CPU limit of the deadline runs, in milliseconds. */
    public static final long DEADLINE_MS = 200;

    private static final String PROCESS = "process";
    private static final String IN_PROCESS = "in-process";
    private static final String ENDLESS_LOOP = "while True:\n    pass\n";
    private static final String WORKLOAD = "def work(rounds):\n"
            + "    total = 0\n"
            + "    for r in range(rounds):\n"
            + "        names = [str(i) + 'abc' for i in range(5000)]\n"
            + "        rows = [(n, len(n), [n]) for n in names]\n"
            + "        index = {n: row for n, row in zip(names, rows)}\n"
            + "        big = ['x' * (600 + i % 400) for i in range(500)]\n"
            + "        total += len(index) + len(big)\n"
            + "    return total\n";

    private LimitsBenchmark() {}

    /** Median, best and worst of one measurement, in milliseconds. */
    public record Figure(double medianMillis, double bestMillis, double worstMillis, int samples) {
        static Figure of(double[] millis) {
            double[] sorted = millis.clone();
            Arrays.sort(sorted);
            int n = sorted.length;
            if (n == 0) {
                return new Figure(Double.NaN, Double.NaN, Double.NaN, 0);
            }
            double median = n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
            return new Figure(median, sorted[0], sorted[n - 1], n);
        }
    }

    /**
     * The figures of one mode.
     *
     * @param mode {@code in-process} or {@code process}
     * @param timeOvershoot past a time limit: return minus deadline
     * @param cpuOvershoot past a CPU limit: return minus deadline (wall clock)
     * @param killOvershoot past a time limit, for a worker that had to be
     *     killed; {@code null} in-process
     * @param withLimit workload run time with the default memory limit
     * @param withoutLimit workload run time with {@code unlimitedMemory()}
     * @param control workload run time with the default memory limit again,
     *     in other sandboxes: how far two identical settings differ
     */
    public record ModeResult(
            String mode,
            Figure timeOvershoot,
            Figure cpuOvershoot,
            Figure killOvershoot,
            Figure withLimit,
            Figure withoutLimit,
            Figure control) {
        /**
         * The throughput cost of the memory limit.
         *
         * @return median time with the limit / median time without it
         */
        public double accountingRatio() {
            return withLimit.medianMillis() / withoutLimit.medianMillis();
        }

        /**
         * The throughput cost of the memory limit, by the fastest runs (the
         * least disturbed by the machine's other work).
         *
         * @return best time with the limit / best time without it
         */
        public double bestAccountingRatio() {
            return withLimit.bestMillis() / withoutLimit.bestMillis();
        }

        /**
         * The noise: the same setting measured twice.
         *
         * @return median time with the limit / median time of the control
         */
        public double controlRatio() {
            return withLimit.medianMillis() / control.medianMillis();
        }
    }

    /**
     * Everything one run measured.
     *
     * @param modes by mode, in-process first
     * @param workloadRounds rounds of the workload per run
     */
    public record Result(Map<String, ModeResult> modes, int workloadRounds) {}

    /**
     * Runs the benchmark and prints its table.
     *
     * @param args optional: stopped calls per mode and limit (default
     *     {@value #DEADLINE_RUNS}), killed workers (default
     *     {@value #KILL_RUNS}), seconds per workload run (default
     *     {@value #WORKLOAD_SECONDS}), workload runs per setting (default
     *     {@value #WORKLOAD_RUNS})
     * @throws Exception if a measurement fails
     */
    public static void main(String[] args) throws Exception {
        int deadlineRuns = args.length > 0 ? Integer.parseInt(args[0]) : DEADLINE_RUNS;
        int killRuns = args.length > 1 ? Integer.parseInt(args[1]) : KILL_RUNS;
        double seconds = args.length > 2 ? Double.parseDouble(args[2]) : WORKLOAD_SECONDS;
        int workloadRuns = args.length > 3 ? Integer.parseInt(args[3]) : WORKLOAD_RUNS;
        run(deadlineRuns, killRuns, seconds, workloadRuns, System.out);
    }

    /**
     * Measures both modes and prints a table.
     *
     * @param deadlineRuns stopped calls per mode and limit
     * @param killRuns killed workers (process mode)
     * @param workloadSeconds about how long one workload run takes
     * @param workloadRuns workload runs per mode and setting
     * @param out where the table goes
     * @return the figures
     */
    public static Result run(
            int deadlineRuns, int killRuns, double workloadSeconds, int workloadRuns, PrintStream out) {
        // Start CPython, extract the worker and load classes before timing.
        for (String mode : List.of(IN_PROCESS, PROCESS)) {
            try (Sandbox s = builder(mode).build()) {
                s.eval("1");
            }
        }
        int rounds = calibrate(workloadSeconds);
        Map<String, ModeResult> modes = new LinkedHashMap<>();
        for (String mode : List.of(IN_PROCESS, PROCESS)) {
            Figure time = overshoot(mode, Limit.TIME, deadlineRuns);
            Figure cpu = overshoot(mode, Limit.CPU, deadlineRuns);
            Figure kill = PROCESS.equals(mode) ? killOvershoot(killRuns) : null;
            Figure[] workload = workload(mode, rounds, workloadRuns);
            modes.put(mode, new ModeResult(mode, time, cpu, kill, workload[0], workload[1], workload[2]));
        }
        Result result = new Result(modes, rounds);
        print(result, out);
        return result;
    }

    private static Sandbox.Builder builder(String mode) {
        Sandbox.Builder b =
                Sandbox.builder().stdout(OutputStream.nullOutputStream()).stderr(OutputStream.nullOutputStream());
        return IN_PROCESS.equals(mode) ? b.inProcess() : b;
    }

    /** How long past the deadline each stopped endless loop returned. */
    private static Figure overshoot(String mode, Limit limit, int runs) {
        Duration deadline = Duration.ofMillis(DEADLINE_MS);
        Sandbox.Builder b = builder(mode);
        if (limit == Limit.TIME) {
            b.timeout(deadline);
        } else {
            b.cpuTime(deadline);
        }
        double[] millis = new double[runs];
        try (Sandbox s = b.build()) {
            s.eval("1");
            for (int i = 0; i < runs; i++) {
                millis[i] = stoppedAfter(s, ENDLESS_LOOP, limit) - DEADLINE_MS;
            }
        }
        return Figure.of(millis);
    }

    /** How long past the deadline a worker stuck in C came back, killed. */
    private static Figure killOvershoot(int runs) {
        double[] millis = new double[runs];
        for (int i = 0; i < runs; i++) {
            try (Sandbox s =
                    builder(PROCESS).timeout(Duration.ofMillis(DEADLINE_MS)).build()) {
                s.eval("1");
                millis[i] = stoppedAfter(s, "9**9**9", Limit.TIME) - DEADLINE_MS;
                if (!s.isClosed()) {
                    throw new IllegalStateException("the worker was not killed");
                }
            }
        }
        return Figure.of(millis);
    }

    /** Milliseconds from the call to the exception, which must name the limit. */
    private static double stoppedAfter(Sandbox s, String source, Limit limit) {
        long start = System.nanoTime();
        try {
            s.exec(source);
        } catch (LimitExceededException e) {
            double millis = (System.nanoTime() - start) / 1e6;
            if (e.getLimit() != limit) {
                throw new IllegalStateException("expected " + limit + ", got " + e);
            }
            return millis;
        }
        throw new IllegalStateException(source + " returned");
    }

    /** Rounds of the workload that take about {@code seconds} in-process, at least 1. */
    private static int calibrate(double seconds) {
        try (Sandbox s = builder(IN_PROCESS).unlimitedMemory().build()) {
            s.exec(WORKLOAD);
            s.call("work", 1); // warm
            int rounds = 2;
            long start = System.nanoTime();
            s.call("work", rounds);
            double perRound = (System.nanoTime() - start) / 1e9 / rounds;
            return (int) Math.max(1, Math.round(seconds / perRound));
        }
    }

    /**
     * The workload's run times with the default memory limit [0], without a
     * memory limit [1], and with the limit again [2] (the control: its ratio
     * to [0] shows the noise). Each run gets fresh sandboxes, built in an
     * order that rotates from run to run, so that neither the order nor an
     * interpreter's history favours one setting.
     */
    private static Figure[] workload(String mode, int rounds, int runs) {
        double[][] millis = new double[3][runs];
        for (int i = 0; i < runs; i++) {
            for (int k = 0; k < 3; k++) {
                int which = (i + k) % 3;
                Sandbox.Builder b = builder(mode).unlimitedTime().unlimitedCpuTime();
                if (which == 1) {
                    b.unlimitedMemory();
                }
                try (Sandbox s = b.build()) {
                    s.exec(WORKLOAD);
                    s.call("work", 2); // warm
                    long start = System.nanoTime();
                    Object total = s.call("work", rounds);
                    millis[which][i] = (System.nanoTime() - start) / 1e6;
                    if (!Long.valueOf(5500L * rounds).equals(total)) {
                        throw new IllegalStateException("the workload returned " + total);
                    }
                }
            }
        }
        return new Figure[] {Figure.of(millis[0]), Figure.of(millis[1]), Figure.of(millis[2])};
    }

    private static void print(Result r, PrintStream out) {
        ModeResult in = r.modes().get(IN_PROCESS);
        ModeResult proc = r.modes().get(PROCESS);
        out.printf(
                Locale.ROOT,
                "objcap limits, %s, objcap %s, %d cores, Java %s%n",
                LocalDate.now(ZoneOffset.UTC),
                NativeEngine.version(),
                Runtime.getRuntime().availableProcessors(),
                System.getProperty("java.version"));
        String format = "%-52s %19s %19s%n";
        out.printf(Locale.ROOT, format, "past the deadline (ms: median / worst)", IN_PROCESS, PROCESS);
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {
            "while True: pass, timeout " + DEADLINE_MS + " ms (n="
                    + in.timeOvershoot().samples() + ")",
            cell(in.timeOvershoot()),
            cell(proc.timeOvershoot())
        });
        rows.add(new String[] {
            "while True: pass, cpuTime " + DEADLINE_MS + " ms (n="
                    + in.cpuOvershoot().samples() + ")",
            cell(in.cpuOvershoot()),
            cell(proc.cpuOvershoot())
        });
        rows.add(new String[] {
            "9**9**9, timeout " + DEADLINE_MS + " ms, worker killed (n="
                    + proc.killOvershoot().samples() + ")",
            "not stoppable",
            cell(proc.killOvershoot())
        });
        for (String[] row : rows) {
            out.printf(Locale.ROOT, format, (Object[]) row);
        }
        out.printf(Locale.ROOT, format, "allocation-heavy workload (ms: median / best)", "", "");
        out.printf(
                Locale.ROOT,
                format,
                "memoryLimit 512 MiB (default) (n=" + in.withLimit().samples() + ", " + r.workloadRounds() + " rounds)",
                best(in.withLimit()),
                best(proc.withLimit()));
        out.printf(
                Locale.ROOT,
                format,
                "unlimitedMemory() (n=" + in.withoutLimit().samples() + ")",
                best(in.withoutLimit()),
                best(proc.withoutLimit()));
        out.printf(
                Locale.ROOT, format, "memoryLimit 512 MiB again (control)", best(in.control()), best(proc.control()));
        out.printf(
                Locale.ROOT,
                format,
                "ratio: with limit / without (median / best)",
                String.format(Locale.ROOT, "%.3fx / %.3fx", in.accountingRatio(), in.bestAccountingRatio()),
                String.format(Locale.ROOT, "%.3fx / %.3fx", proc.accountingRatio(), proc.bestAccountingRatio()));
        out.printf(
                Locale.ROOT,
                format,
                "noise: with limit / control (median)",
                String.format(Locale.ROOT, "%.3fx", in.controlRatio()),
                String.format(Locale.ROOT, "%.3fx", proc.controlRatio()));
        out.println("past the deadline: from the call to its LimitExceededException, minus "
                + DEADLINE_MS + " ms; a stuck worker is killed 0.5 s after the deadline."
                + " Workload: fresh sandboxes each run, in rotating order. The engine counts"
                + " allocations with or without a limit; the ratio is the cost of enforcing"
                + " one, to be read against the noise row.");
    }

    private static String cell(Figure f) {
        return String.format(Locale.ROOT, "%8.1f / %8.1f", f.medianMillis(), f.worstMillis());
    }

    private static String best(Figure f) {
        return String.format(Locale.ROOT, "%8.1f / %8.1f", f.medianMillis(), f.bestMillis());
    }
}
