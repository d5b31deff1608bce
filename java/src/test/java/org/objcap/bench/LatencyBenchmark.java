package org.objcap.bench;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.objcap.Sandbox;
import org.objcap.internal.NativeEngine;

/**
 * Start-up and call latency of a sandbox, in process mode (a confined
 * worker) next to in-process mode, in the same run:
 * <ul>
 * <li>start-up: from {@code build()} to the result of the first
 *     {@code eval("1")} (median and p90 of many sandboxes; closing is timed
 *     apart);</li>
 * <li>the round trip of {@code call("f", 1)} to {@code def f(x): return x},
 *     and of {@code eval("1")} (median and p90 of many calls, after a
 *     warm-up);</li>
 * <li>for reference, starting a plain CPython process
 *     ({@code python3.11 -I -S -c "1"}) when one is installed.</li>
 * </ul>
 * Not a JUnit test ({@code LatencyBenchmarkSmokeTest} runs it with tiny
 * counts so that it cannot rot). Run it after {@code mvn -B package}:
 * <pre>
 * java -cp target/classes:target/test-classes:'target/lib/*' \
 *     org.objcap.bench.LatencyBenchmark [STARTUPS [CALLS]]
 * </pre>
 */
public final class LatencyBenchmark {
    /** Default number of sandboxes built per mode for the start-up figure. */
    public static final int STARTUPS = 50;
    /** Default number of timed calls per mode. */
    public static final int CALLS = 20_000;

    private static final String PROCESS = "process";
    private static final String IN_PROCESS = "in-process";
    private static final String PLAIN_PYTHON = "/usr/bin/python3.11";

    private LatencyBenchmark() {
    }

    /** Median and 90th percentile of one measurement, in microseconds. */
    public record Figure(double medianMicros, double p90Micros, int samples) {
        static Figure of(long[] nanos) {
            long[] sorted = nanos.clone();
            Arrays.sort(sorted);
            return new Figure(percentile(sorted, 50) / 1e3, percentile(sorted, 90) / 1e3,
                    sorted.length);
        }

        private static double percentile(long[] sorted, int p) {
            if (sorted.length == 0) {
                return Double.NaN;
            }
            // Nearest rank; the median of an even count is the mean of the middle two.
            if (p == 50 && sorted.length % 2 == 0) {
                return (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2.0;
            }
            int rank = (int) Math.ceil(p / 100.0 * sorted.length);
            return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
        }
    }

    /** The figures of one mode. */
    public record ModeResult(String mode, Figure startup, Figure close, Figure call, Figure eval) {
    }

    /** Everything one run measured. */
    public record Result(Map<String, ModeResult> modes, Figure plainPythonStart) {
    }

    /**
     * Runs the benchmark and prints its table.
     *
     * @param args optional: the number of start-ups per mode (default
     *     {@value #STARTUPS}), then of calls (default {@value #CALLS})
     * @throws Exception if a measurement fails
     */
    public static void main(String[] args) throws Exception {
        int startups = args.length > 0 ? Integer.parseInt(args[0]) : STARTUPS;
        int calls = args.length > 1 ? Integer.parseInt(args[1]) : CALLS;
        run(startups, calls, Math.max(100, calls / 10), System.out);
    }

    /**
     * Measures both modes and prints a table.
     *
     * @param startups sandboxes built per mode
     * @param calls timed calls per mode (of each kind)
     * @param warmUp untimed calls first
     * @param out where the table goes
     * @return the figures
     * @throws Exception if a measurement fails
     */
    public static Result run(int startups, int calls, int warmUp, PrintStream out)
            throws Exception {
        // Start CPython, extract the worker and load classes before timing.
        for (String mode : List.of(IN_PROCESS, PROCESS)) {
            for (int i = 0; i < 3; i++) {
                try (Sandbox s = builder(mode).build()) {
                    s.eval("1");
                }
            }
        }
        Map<String, ModeResult> modes = new LinkedHashMap<>();
        for (String mode : List.of(IN_PROCESS, PROCESS)) {
            modes.put(mode, measure(mode, startups, calls, warmUp));
        }
        Figure plain = plainPythonStart(Math.min(startups, 20));
        Result result = new Result(modes, plain);
        print(result, calls, out);
        return result;
    }

    private static Sandbox.Builder builder(String mode) {
        Sandbox.Builder b = Sandbox.builder().stdout(OutputStream.nullOutputStream())
                .stderr(OutputStream.nullOutputStream());
        return IN_PROCESS.equals(mode) ? b.inProcess() : b;
    }

    private static ModeResult measure(String mode, int startups, int calls, int warmUp) {
        long[] start = new long[startups];
        long[] close = new long[startups];
        for (int i = 0; i < startups; i++) {
            long t0 = System.nanoTime();
            Sandbox s = builder(mode).build();
            Object one = s.eval("1");
            long t1 = System.nanoTime();
            s.close();
            long t2 = System.nanoTime();
            check(one);
            start[i] = t1 - t0;
            close[i] = t2 - t1;
        }
        long[] call = new long[calls];
        long[] eval = new long[calls];
        try (Sandbox s = builder(mode).build()) {
            s.exec("def f(x):\n    return x\n");
            for (int i = 0; i < warmUp; i++) {
                check(s.call("f", 1));
                check(s.eval("1"));
            }
            for (int i = 0; i < calls; i++) {
                long t0 = System.nanoTime();
                Object r = s.call("f", 1);
                long t1 = System.nanoTime();
                check(r);
                call[i] = t1 - t0;
            }
            for (int i = 0; i < calls; i++) {
                long t0 = System.nanoTime();
                Object r = s.eval("1");
                long t1 = System.nanoTime();
                check(r);
                eval[i] = t1 - t0;
            }
        }
        return new ModeResult(mode, Figure.of(start), Figure.of(close), Figure.of(call),
                Figure.of(eval));
    }

    private static void check(Object one) {
        if (!Long.valueOf(1).equals(one)) {
            throw new IllegalStateException("expected 1, got " + one);
        }
    }

    /** Spawning plain CPython to evaluate nothing, or null if it is not installed. */
    private static Figure plainPythonStart(int runs) throws IOException, InterruptedException {
        if (runs <= 0 || !Files.isExecutable(Path.of(PLAIN_PYTHON))) {
            return null;
        }
        long[] nanos = new long[runs];
        for (int i = -2; i < runs; i++) { // two untimed runs warm the page cache
            long t0 = System.nanoTime();
            Process p = new ProcessBuilder(PLAIN_PYTHON, "-I", "-S", "-c", "1")
                    .redirectErrorStream(true).start();
            p.getOutputStream().close();
            p.getInputStream().readAllBytes();
            if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
                p.destroyForcibly();
                return null;
            }
            if (i >= 0) {
                nanos[i] = System.nanoTime() - t0;
            }
        }
        return Figure.of(nanos);
    }

    private static void print(Result r, int calls, PrintStream out) {
        ModeResult in = r.modes().get(IN_PROCESS);
        ModeResult proc = r.modes().get(PROCESS);
        out.printf(Locale.ROOT, "objcap latency, %s, objcap %s, %d cores, Java %s%n",
                LocalDate.now(ZoneOffset.UTC), NativeEngine.version(),
                Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"));
        out.printf(Locale.ROOT, "%-38s %21s %21s %8s%n", "(microseconds: median / p90)",
                IN_PROCESS, PROCESS, "ratio");
        List<String[]> rows = new ArrayList<>();
        rows.add(row("start-up: build() to eval(\"1\") (n=" + in.startup().samples() + ")",
                in.startup(), proc.startup()));
        rows.add(row("close() (n=" + in.close().samples() + ")", in.close(), proc.close()));
        rows.add(row("call(\"f\", 1) (n=" + calls + ")", in.call(), proc.call()));
        rows.add(row("eval(\"1\") (n=" + calls + ")", in.eval(), proc.eval()));
        for (String[] row : rows) {
            out.printf(Locale.ROOT, "%-38s %21s %21s %8s%n", (Object[]) row);
        }
        if (r.plainPythonStart() != null) {
            out.printf(Locale.ROOT, "%-38s %21s %21s %8s%n",
                    "plain CPython start (n=" + r.plainPythonStart().samples() + ")", "",
                    cell(r.plainPythonStart()),
                    ratio(proc.startup(), r.plainPythonStart()));
        }
        out.println("ratio: process median / in-process median"
                + (r.plainPythonStart() != null
                        ? "; plain CPython start: " + PLAIN_PYTHON
                        + " -I -S -c 1 spawned and waited for, its ratio is process start-up"
                        + " / that" : ""));
    }

    private static String[] row(String label, Figure in, Figure proc) {
        return new String[] {label, cell(in), cell(proc), ratio(proc, in)};
    }

    private static String cell(Figure f) {
        return String.format(Locale.ROOT, "%9.1f / %9.1f", f.medianMicros(), f.p90Micros());
    }

    private static String ratio(Figure a, Figure b) {
        return String.format(Locale.ROOT, "%.2fx", a.medianMicros() / b.medianMicros());
    }
}
