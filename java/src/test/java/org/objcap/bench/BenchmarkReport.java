package org.objcap.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.objcap.internal.NativeEngine;

/**
 * Runs every benchmark (overhead, call latency, start-up, memory,
 * throughput) and writes one table: as text on standard output, and as
 * {@code results.md} and {@code results.svg} in the output directory.
 * {@code scripts/bench} runs it; {@code BenchmarkSmokeTest} runs it with
 * {@code --quick} so that it cannot rot.
 * <pre>
 * BenchmarkReport [--quick] [--out DIR]     (DIR defaults to bench)
 * </pre>
 */
public final class BenchmarkReport {
    private static final String OVERHEAD =
            "Interpreter overhead (CPU time ÷ plain CPython; " + "÷ plain libpython in brackets)";
    private static final String AGAINST_REFERENCE =
            "Against Debian's python3.11 (CPU time ÷ python3.11's): what moving from it costs or gains";
    private static final String LATENCY = "Call latency (JMH, median round trip)";
    private static final String STARTUP = "Start-up (median)";
    private static final String MEMORY = "Memory added per live sandbox (RSS; PSS)";
    private static final String THROUGHPUT = "Throughput: short scripts per second, all threads";
    private static final String PARALLEL = "Parallel in-process sandboxes: CPU-bound calls per second";

    private BenchmarkReport() {}

    /**
     * How much to measure.
     *
     * @param overheadRuns runs per workload and interpreter
     * @param smokeWorkloads time {@code run(SMOKE)} instead of {@code run(SIZE)}
     * @param quickLatency JMH in this JVM, one short iteration
     * @param startups start-ups per mode
     * @param memoryCounts counts of live sandboxes
     * @param threads thread counts for throughput, starting with 1
     * @param throughputSeconds how long each thread count runs
     * @param parallelSeconds how long each count of the parallel benchmark runs per round
     */
    public record Plan(
            int overheadRuns,
            boolean smokeWorkloads,
            boolean quickLatency,
            int startups,
            int[] memoryCounts,
            int[] threads,
            double throughputSeconds,
            double parallelSeconds) {
        /** What {@code scripts/bench} measures. */
        public static final Plan FULL =
                new Plan(11, false, false, 30, new int[] {1, 10, 100}, new int[] {1, 2, 4}, 2, 3);
        /** The smoke test: every benchmark body once, in seconds. */
        public static final Plan QUICK = new Plan(1, true, true, 3, new int[] {1, 2}, new int[] {1, 2}, 0.2, 0.2);
    }

    /**
     * Everything one run measured.
     *
     * @param overhead by workload
     * @param latency by benchmark and mode
     * @param startup start-up and checkout
     * @param memory memory per sandbox
     * @param throughput scripts per second
     * @param parallel CPU-bound calls per second, 1 and 2 in-process sandboxes
     * @param report the table made from them
     */
    public record Results(
            List<OverheadBenchmark.Result> overhead,
            List<CallLatencyBenchmark.Result> latency,
            StartupBenchmark.Result startup,
            MemoryBenchmark.Result memory,
            ThroughputBenchmark.Result throughput,
            ParallelBenchmark.Result parallel,
            Report report) {}

    /**
     * Runs the benchmarks and writes the table.
     *
     * @param args {@code --quick}, {@code --out DIR}
     * @throws Exception if a benchmark fails
     */
    public static void main(String[] args) throws Exception {
        Plan plan = Plan.FULL;
        Path out = Path.of("bench");
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--quick" -> plan = Plan.QUICK;
                case "--out" -> out = Path.of(args[++i]);
                default -> throw new IllegalArgumentException("usage: BenchmarkReport " + "[--quick] [--out DIR]");
            }
        }
        Results r = run(plan, out);
        System.out.print(r.report().text());
        System.out.println("written: " + out.resolve("results.md") + ", " + out.resolve("results.svg"));
    }

    /**
     * Runs the benchmarks and writes {@code results.md} and {@code results.svg}.
     *
     * @param plan how much to measure
     * @param out the directory to write to
     * @return what was measured
     * @throws Exception if a benchmark fails
     */
    public static Results run(Plan plan, Path out) throws Exception {
        String loadBefore = loadAverage();
        progress("interpreter overhead");
        var overhead = OverheadBenchmark.run(Workload.all(), plan.overheadRuns(), plan.smokeWorkloads());
        progress("call latency (JMH)");
        var latency = CallLatencyBenchmark.run(plan.quickLatency());
        progress("start-up");
        var startup = StartupBenchmark.run(plan.startups());
        progress("memory");
        var memory = MemoryBenchmark.run(plan.memoryCounts());
        progress("throughput");
        var throughput = ThroughputBenchmark.run(plan.threads(), plan.throughputSeconds());
        progress("parallel in-process sandboxes");
        var parallel = ParallelBenchmark.run(plan.parallelSeconds());
        List<Report.Row> rows = new ArrayList<>();
        overheadRows(overhead, rows);
        referenceRows(overhead, rows);
        latencyRows(latency, rows);
        defaultStackRow(latency, rows);
        java22Rows(latency, rows);
        startupRows(startup, rows);
        memoryRows(memory, rows);
        throughputRows(throughput, rows);
        parallelRows(parallel, rows);
        Report report = new Report(title(plan), rows, notes(plan, loadBefore, loadAverage()));
        Files.createDirectories(out);
        Files.writeString(out.resolve("results.md"), report.markdown(), StandardCharsets.UTF_8);
        Files.writeString(out.resolve("results.tsv"), report.tsv(), StandardCharsets.UTF_8);
        Files.writeString(
                out.resolve("results.svg"),
                SvgChart.render(report).replace(Path.of("").toAbsolutePath() + "/", ""),
                StandardCharsets.UTF_8);
        return new Results(overhead, latency, startup, memory, throughput, parallel, report);
    }

    private static void overheadRows(List<OverheadBenchmark.Result> results, List<Report.Row> rows) {
        String target = "≤ " + OverheadBenchmark.TARGET_RATIO + "×";
        for (OverheadBenchmark.Result r : results) {
            rows.add(Report.Row.of(
                    OVERHEAD,
                    "overhead: " + r.workload(),
                    ratio(r, Mode.IN_PROCESS),
                    ratio(r, Mode.PROCESS),
                    format("%.3f s (libpython %.3f×)", Sample.of(r.plain()).median(), r.libraryRatio()),
                    target,
                    r.ratio(Mode.IN_PROCESS) / OverheadBenchmark.TARGET_RATIO,
                    r.ratio(Mode.PROCESS) / OverheadBenchmark.TARGET_RATIO));
        }
    }

    private static void referenceRows(List<OverheadBenchmark.Result> results, List<Report.Row> rows) {
        for (OverheadBenchmark.Result r : results) {
            if (!r.hasReference()) {
                continue;
            }
            rows.add(Report.Row.of(
                    AGAINST_REFERENCE,
                    "against python3.11: " + r.workload(),
                    format("%.3f×", r.referenceRatio(Mode.IN_PROCESS)),
                    format("%.3f×", r.referenceRatio(Mode.PROCESS)),
                    format(
                            "%s %.3f× (libpython %.3f×)",
                            PlainPython.path().getFileName(),
                            r.plainReferenceRatio(false),
                            r.plainReferenceRatio(true)),
                    Report.NONE,
                    Double.NaN,
                    Double.NaN));
        }
    }

    private static String ratio(OverheadBenchmark.Result r, Mode m) {
        return format("%.3f× (%.3f×)", r.ratio(m), r.libpythonRatio(m));
    }

    private static void latencyRows(List<CallLatencyBenchmark.Result> results, List<Report.Row> rows) {
        String target = format(
                "≤ %s µs / ≤ %s µs",
                number(CallLatencyBenchmark.IN_PROCESS_TARGET_MICROS),
                number(CallLatencyBenchmark.PROCESS_TARGET_MICROS));
        for (String benchmark : List.of("call", "eval", "hostFunction")) {
            Sample in = latency(results, benchmark, Mode.IN_PROCESS);
            Sample proc = latency(results, benchmark, Mode.PROCESS);
            String figure = benchmark.equals("call")
                    ? "call(\"f\", 1)"
                    : benchmark.equals("eval") ? "eval(\"1\")" : "host-function round trip (Python calls Java)";
            rows.add(Report.Row.of(
                    LATENCY,
                    figure,
                    micros(in),
                    micros(proc),
                    Report.NONE,
                    target,
                    in.median() / CallLatencyBenchmark.IN_PROCESS_TARGET_MICROS,
                    proc.median() / CallLatencyBenchmark.PROCESS_TARGET_MICROS));
        }
    }

    private static void defaultStackRow(List<CallLatencyBenchmark.Result> results, List<Report.Row> rows) {
        Sample in = latency(results, CallLatencyBenchmark.DEFAULT_STACK, Mode.IN_PROCESS);
        rows.add(Report.Row.of(
                LATENCY,
                "call(\"f\", 1) from a thread with Java's default stack",
                micros(in),
                Report.NONE,
                Report.NONE,
                format("≤ %s µs", number(CallLatencyBenchmark.IN_PROCESS_TARGET_MICROS)),
                in.median() / CallLatencyBenchmark.IN_PROCESS_TARGET_MICROS,
                Double.NaN));
    }

    /** The FFM binding's figures, where the run measured them on a JDK 22+. */
    private static void java22Rows(List<CallLatencyBenchmark.Result> results, List<Report.Row> rows) {
        for (String benchmark : List.of("call", "eval")) {
            String name = CallLatencyBenchmark.JAVA22 + benchmark;
            if (results.stream().noneMatch(r -> r.benchmark().equals(name))) {
                return;
            }
            Sample in = latency(results, name, Mode.IN_PROCESS);
            double target = benchmark.equals("call") ? JAVA22_CALL_TARGET_MICROS : JAVA22_EVAL_TARGET_MICROS;
            rows.add(Report.Row.of(
                    LATENCY,
                    (benchmark.equals("call") ? "call(\"f\", 1)" : "eval(\"1\")")
                            + " on Java 22+ (FFM binding), Java's default stack",
                    micros(in),
                    Report.NONE,
                    Report.NONE,
                    format("≤ %s µs", number(target)),
                    in.median() / target,
                    Double.NaN));
        }
    }

    /** Issue 17's figures for the FFM binding. */
    private static final double JAVA22_CALL_TARGET_MICROS = 0.6;

    private static final double JAVA22_EVAL_TARGET_MICROS = 1;

    private static Sample latency(List<CallLatencyBenchmark.Result> results, String benchmark, Mode m) {
        return results.stream()
                .filter(r -> r.benchmark().equals(benchmark) && r.mode() == m)
                .findFirst()
                .orElseThrow(() -> new IllegalStateException("JMH did not report " + benchmark + " " + m))
                .micros();
    }

    private static String micros(Sample s) {
        return format("%.1f µs (p90 %.1f)", s.median(), s.p90());
    }

    private static void startupRows(StartupBenchmark.Result r, List<Report.Row> rows) {
        Sample in = r.build().get(Mode.IN_PROCESS);
        Sample proc = r.build().get(Mode.PROCESS);
        rows.add(Report.Row.of(
                STARTUP,
                "build() to first eval(\"1\")",
                millis(in),
                millis(proc),
                r.plain() == null
                        ? Report.NONE
                        : millis(r.plain()) + " (" + PlainPython.path().getFileName() + " -I -S -c pass, a process)",
                format(
                        "≤ %s ms / ≤ %s ms",
                        number(StartupBenchmark.IN_PROCESS_TARGET_MILLIS),
                        number(StartupBenchmark.PROCESS_TARGET_MILLIS)),
                in.median() / StartupBenchmark.IN_PROCESS_TARGET_MILLIS,
                proc.median() / StartupBenchmark.PROCESS_TARGET_MILLIS));
        Sample inCheckout = r.checkout().get(Mode.IN_PROCESS);
        Sample procCheckout = r.checkout().get(Mode.PROCESS);
        rows.add(Report.Row.of(
                STARTUP,
                "SandboxPool checkout() (pre-warmed)",
                millis(inCheckout),
                millis(procCheckout),
                Report.NONE,
                format("≤ %s ms", number(StartupBenchmark.CHECKOUT_TARGET_MILLIS)),
                inCheckout.median() / StartupBenchmark.CHECKOUT_TARGET_MILLIS,
                procCheckout.median() / StartupBenchmark.CHECKOUT_TARGET_MILLIS));
        rows.add(Report.Row.of(
                STARTUP,
                "SandboxPool checkout() to first eval(\"1\")",
                millis(r.checkoutToResult().get(Mode.IN_PROCESS)),
                millis(r.checkoutToResult().get(Mode.PROCESS)),
                Report.NONE,
                Report.NONE,
                Double.NaN,
                Double.NaN));
        rows.add(Report.Row.of(
                STARTUP,
                "then the first import json",
                millis(r.importJson().get(Mode.IN_PROCESS)),
                millis(r.importJson().get(Mode.PROCESS)),
                r.plainImportJson() == null ? Report.NONE : millis(r.plainImportJson()) + " (in a fresh process)",
                Report.NONE,
                Double.NaN,
                Double.NaN));
        rows.add(Report.Row.of(
                STARTUP,
                "close()",
                millis(r.close().get(Mode.IN_PROCESS)),
                millis(r.close().get(Mode.PROCESS)),
                Report.NONE,
                Report.NONE,
                Double.NaN,
                Double.NaN));
    }

    private static String millis(Sample s) {
        return s.median() < 1
                ? format("%.3f ms (p90 %.3f)", s.median(), s.p90())
                : format("%.1f ms (p90 %.1f)", s.median(), s.p90());
    }

    private static void memoryRows(MemoryBenchmark.Result r, List<Report.Row> rows) {
        Map<Integer, MemoryBenchmark.Footprint> in = r.perSandbox().get(Mode.IN_PROCESS);
        Map<Integer, MemoryBenchmark.Footprint> proc = r.perSandbox().get(Mode.PROCESS);
        for (int n : in.keySet()) {
            rows.add(Report.Row.of(
                    MEMORY,
                    n + " live",
                    mib(in.get(n)),
                    mib(proc.get(n)),
                    r.plain() == null ? Report.NONE : mib(r.plain()) + " (idle process)",
                    Report.NONE,
                    Double.NaN,
                    Double.NaN));
        }
    }

    private static String mib(MemoryBenchmark.Footprint f) {
        return format("%.1f MiB; %.1f", f.rss(), f.pss());
    }

    private static void throughputRows(ThroughputBenchmark.Result r, List<Report.Row> rows) {
        Map<Integer, Double> in = r.perSecond().get(Mode.IN_PROCESS);
        Map<Integer, Double> proc = r.perSecond().get(Mode.PROCESS);
        Map<Integer, Double> plain = r.plain();
        for (int n : in.keySet()) {
            rows.add(Report.Row.of(
                    THROUGHPUT,
                    n + (n == 1 ? " thread" : " threads"),
                    format("%.0f /s", in.get(n)),
                    format("%.0f /s", proc.get(n)),
                    plain.isEmpty()
                            ? Report.NONE
                            : format("%.0f /s (%d process%s)", plain.get(n), n, n == 1 ? "" : "es"),
                    Report.NONE,
                    Double.NaN,
                    Double.NaN));
        }
        for (int n : in.keySet()) {
            if (n == 1) {
                continue;
            }
            double inUp = ThroughputBenchmark.Result.speedup(in, n);
            double procUp = ThroughputBenchmark.Result.speedup(proc, n);
            double plainUp = plain.isEmpty() ? Double.NaN : ThroughputBenchmark.Result.speedup(plain, n);
            rows.add(Report.Row.of(
                    THROUGHPUT,
                    "speed-up, " + n + " threads ÷ 1",
                    format(
                            "%.2f×%s",
                            inUp, ParallelBenchmark.ownGil() ? " (a GIL per sandbox)" : " (one GIL: none expected)"),
                    format("%.2f×", procUp),
                    plain.isEmpty() ? Report.NONE : format("%.2f×", plainUp),
                    format("process ≥ %s × plain's", number(ThroughputBenchmark.SCALING_TARGET)),
                    Double.NaN,
                    ThroughputBenchmark.SCALING_TARGET * plainUp / procUp));
        }
    }

    private static void parallelRows(ParallelBenchmark.Result r, List<Report.Row> rows) {
        rows.add(Report.Row.of(
                PARALLEL,
                "1 sandbox on 1 thread",
                format("%.1f /s", r.one()),
                Report.NONE,
                Report.NONE,
                Report.NONE,
                Double.NaN,
                Double.NaN));
        rows.add(Report.Row.of(
                PARALLEL,
                "2 sandboxes on 2 threads",
                format("%.1f /s", r.two()),
                Report.NONE,
                Report.NONE,
                Report.NONE,
                Double.NaN,
                Double.NaN));
        boolean ownGil = ParallelBenchmark.ownGil();
        rows.add(Report.Row.of(
                PARALLEL,
                "speed-up, 2 threads ÷ 1",
                format("%.2f×%s", r.speedup(), ownGil ? " (a GIL per sandbox)" : " (one GIL: none expected)"),
                Report.NONE,
                Report.NONE,
                ownGil ? format("in-process ≥ %s×", number(ParallelBenchmark.TARGET)) : Report.NONE,
                ownGil ? ParallelBenchmark.TARGET / r.speedup() : Double.NaN,
                Double.NaN));
    }

    private static String title(Plan plan) {
        return format(
                "objcap benchmarks, %s, %s, %s, %d cores, Java %s%s",
                LocalDate.now(ZoneOffset.UTC),
                NativeEngine.version(),
                cpuModel(),
                Runtime.getRuntime().availableProcessors(),
                System.getProperty("java.version"),
                plan == Plan.QUICK ? " (quick run with tiny counts: a smoke test, not a measurement)" : "");
    }

    private static List<String> notes(Plan plan, String loadBefore, String loadAfter) {
        List<String> notes = new ArrayList<>();
        notes.add(format(
                "Load average (1, 5, 15 min) %s before the run, %s after: absolute "
                        + "times on a shared machine are noise; compare the columns of one run.",
                loadBefore, loadAfter));
        notes.add(format(
                "Overhead: each workload of bench/workloads times run(SIZE) inside the "
                        + "interpreter by time.thread_time() (CPU time: on a shared machine wall time "
                        + "measures the neighbours), after one untimed run(SMOKE). A run times it once in "
                        + "each interpreter (a fresh one each time), back to back, in rotating order; "
                        + "a ratio is the median of %d runs' ratios. Plain CPython is %s -I -S "
                        + "reading the same program on stdin; plain libpython is the libpython "
                        + "that objcap loads, in a host that does nothing else (%s): Debian links "
                        + "python3.11 statically, so the two may differ. Sandboxes have the default limits.",
                plan.overheadRuns(), PlainPython.path(), PlainPython.embedPath().getFileName()));
        PlainPython.reference()
                .ifPresent(reference -> notes.add(format(
                        "Against python3.11: the same runs also time each workload in %s -I -S "
                                + "(Debian's build: PGO, LTO, linked statically), the fifth interpreter of the "
                                + "rotation; below 1× is faster than it.",
                        reference)));
        notes.add(
                plan.quickLatency()
                        ? "Latency: JMH sample mode, one 100 ms iteration in this "
                                + "JVM (smoke run); p90 in brackets."
                        : "Latency: JMH sample mode, one forked JVM, "
                                + "3 × 1 s warm-up, 5 × 1 s measurement; p90 in brackets.");
        notes.add(format(
                "Start-up: median of %d, the modes and plain CPython alternated; "
                        + "checkout from a pool of 2 that is full before each checkout.",
                plan.startups()));
        notes.add("Memory: one JVM per count; a sandbox's share of what its JVM and (in process "
                + "mode) its worker hold. RSS counts shared pages (libpython) in every worker, "
                + "PSS divides them among the processes that share them.");
        notes.add(format(
                "Throughput: %s s per count, best of %d rounds in rotating order; the "
                        + "script is %d lines of loops and a dict comprehension, run with exec (objcap "
                        + "compiles the same text once per sandbox) in its thread's own sandbox; plain "
                        + "CPython execs one compiled code object in a loop in N processes.",
                number(plan.throughputSeconds()),
                ThroughputBenchmark.ROUNDS,
                ThroughputBenchmark.SCRIPT.split("\n").length));
        notes.add(format(
                "Parallel: in-process only; each call runs work(%d), a pure-Python loop of "
                        + "integer arithmetic and list appends; %s s per count, best of %d rounds "
                        + "alternating the counts. From CPython 3.12 each in-process sandbox has a GIL "
                        + "of its own (OBJCAP_SHARED_GIL=1 gives the shared one, for comparison).",
                ParallelBenchmark.N, number(plan.parallelSeconds()), ParallelBenchmark.ROUNDS));
        return notes;
    }

    private static String cpuModel() {
        try {
            return Files.readAllLines(Path.of("/proc/cpuinfo")).stream()
                    .filter(l -> l.startsWith("model name"))
                    .findFirst()
                    .map(l -> l.substring(l.indexOf(':') + 1).trim())
                    .orElse("unknown CPU");
        } catch (IOException e) {
            return "unknown CPU";
        }
    }

    private static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split(" ");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException e) {
            return "unknown";
        }
    }

    private static void progress(String what) {
        System.err.println("objcap bench: " + what + " ...");
    }

    private static String number(double d) {
        return d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d);
    }

    private static String format(String f, Object... args) {
        return String.format(Locale.ROOT, f, args);
    }
}
