package org.objcap.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs every benchmark of {@code scripts/bench} once, with tiny counts
 * ({@link BenchmarkReport.Plan#QUICK}), so that none can rot: each body
 * runs and its results must be sane (the workloads return the same value
 * sandboxed and plain, every call returns 1, every figure is positive).
 * Asserts no timing.
 */
class BenchmarkSmokeTest {
    @TempDir
    static Path out;

    private static BenchmarkReport.Results results;

    @BeforeAll
    static void runEverythingOnce() throws Exception {
        results = BenchmarkReport.run(BenchmarkReport.Plan.QUICK, out);
    }

    @Test
    void everyWorkloadRanInEveryInterpreterWithOneResult() {
        Set<String> names = Workload.all().stream().map(Workload::name).collect(Collectors.toSet());
        assertTrue(
                names.containsAll(List.of(
                        "nbody",
                        "richards",
                        "fannkuch",
                        "float_ops",
                        "spectral_norm",
                        "json_dumps",
                        "json_loads",
                        "regex",
                        "churn",
                        "generators")),
                names.toString());
        assertEquals(
                names,
                results.overhead().stream()
                        .map(OverheadBenchmark.Result::workload)
                        .collect(Collectors.toSet()));
        for (OverheadBenchmark.Result r : results.overhead()) {
            for (double[] seconds : List.of(r.inProcess(), r.process(), r.plain(), r.libpython())) {
                assertTrue(seconds.length == 1 && seconds[0] > 0, r.toString());
            }
            for (Mode m : Mode.values()) {
                assertTrue(r.ratio(m) > 0 && r.libpythonRatio(m) > 0, r.toString());
            }
            assertFalse(r.value().isBlank(), r.toString());
        }
        OverheadBenchmark.Result richards = results.overhead().stream()
                .filter(r -> r.workload().equals("richards"))
                .findFirst()
                .orElseThrow();
        assertEquals("(23246, 9297)", richards.value(), "Richards' own check");
    }

    @Test
    void debiansPython311IsTheReferenceWhereInstalledAndNotUnderTest() {
        boolean reference = PlainPython.reference().isPresent();
        for (OverheadBenchmark.Result r : results.overhead()) {
            assertEquals(reference, r.hasReference(), r.toString());
            if (reference) {
                assertTrue(r.reference().length == 1 && r.reference()[0] > 0, r.toString());
                assertTrue(r.referenceRatio(Mode.IN_PROCESS) > 0 && r.plainReferenceRatio(true) > 0, r.toString());
            }
        }
        long rows = results.report().rows().stream()
                .filter(r -> r.figure().startsWith("against python3.11: "))
                .count();
        assertEquals(reference ? results.overhead().size() : 0, rows);
    }

    @Test
    void runsOfTwoInterpretersGoSideBySide() throws Exception {
        InterpreterComparison.Run run = InterpreterComparison.read(out.resolve("results.tsv"));
        assertEquals(results.report().rows().size(), run.cells().size());
        assertTrue(run.label().matches("CPython 3\\.\\d+\\.\\d+\\S* \\((Maven|installed)\\)"), run.label());
        String md = InterpreterComparison.markdown(List.of(run, run));
        List<String> table = md.lines().filter(l -> l.startsWith("| ")).toList();
        // The heading, then one line per section and per row.
        long sections = results.report().rows().stream()
                .map(Report.Row::section)
                .distinct()
                .count();
        assertEquals(1 + sections + results.report().rows().size(), table.size(), md);
        for (String line : table) {
            assertEquals(1 + 2 * 3, line.split("(?<!\\\\)\\|", -1).length - 2, line);
        }
        assertTrue(md.contains("| overhead: nbody | "), md);
    }

    @Test
    void jmhMeasuredCallEvalAndHostFunctionInBothModes() {
        assertEquals(7, results.latency().size(), results.latency().toString());
        for (CallLatencyBenchmark.Result r : results.latency()) {
            assertTrue(
                    Set.of("call", "eval", "hostFunction", CallLatencyBenchmark.DEFAULT_STACK)
                            .contains(r.benchmark()),
                    r.toString());
            assertTrue(r.micros().median() > 0 && r.micros().count() > 0, r.toString());
        }
    }

    @Test
    void benchmarkBodiesReturnOneInBothModes() {
        for (Mode m : Mode.values()) {
            CallLatencyBenchmark b = new CallLatencyBenchmark();
            b.mode = m.toString();
            b.open(); // checks call(), eval() and hostFunction() too
            try {
                CallLatencyBenchmark.check(b.call());
                CallLatencyBenchmark.check(b.eval());
                CallLatencyBenchmark.check(b.hostFunction());
            } finally {
                b.close();
            }
        }
    }

    @Test
    void startUpAndCheckoutWereTimedInBothModes() {
        StartupBenchmark.Result r = results.startup();
        for (Map<Mode, Sample> figure :
                List.of(r.build(), r.importJson(), r.close(), r.checkout(), r.checkoutToResult())) {
            assertEquals(Set.of(Mode.values()), figure.keySet());
            figure.values().forEach(s -> assertTrue(s.median() > 0 && s.count() == 3, s::toString));
        }
        assertTrue(r.plain() != null && r.plain().median() > 0, String.valueOf(r.plain()));
        assertTrue(
                r.plainImportJson() != null && r.plainImportJson().median() > 0, String.valueOf(r.plainImportJson()));
    }

    @Test
    void memoryWasMeasuredForEachCountInBothModes() {
        MemoryBenchmark.Result r = results.memory();
        for (Mode m : Mode.values()) {
            assertEquals(Set.of(1, 2), r.perSandbox().get(m).keySet());
        }
        // A worker is a whole process: it holds more than nothing.
        r.perSandbox().get(Mode.PROCESS).values().forEach(f -> assertTrue(f.rss() > 1 && f.pss() > 1, f::toString));
        assertTrue(r.plain().rss() > 1, r.plain().toString());
    }

    @Test
    void throughputRanEveryThreadCountInBothModesAndPlain() {
        ThroughputBenchmark.Result r = results.throughput();
        for (Map<Integer, Double> rates :
                List.of(r.perSecond().get(Mode.IN_PROCESS), r.perSecond().get(Mode.PROCESS), r.plain())) {
            assertEquals(Set.of(1, 2), rates.keySet());
            rates.values().forEach(v -> assertTrue(v > 0, rates::toString));
        }
    }

    @Test
    void parallelRanOneAndTwoSandboxes() {
        ParallelBenchmark.Result r = results.parallel();
        assertTrue(r.one() > 0 && r.two() > 0, r.toString());
    }

    @Test
    void theReportHasEverySection() throws Exception {
        Report report = results.report();
        String md = Files.readString(out.resolve("results.md"), StandardCharsets.UTF_8);
        assertEquals(report.markdown(), md);
        assertTrue(
                md.startsWith("objcap benchmarks, ") && md.contains("not a measurement"),
                "a quick run says so in its title: " + report.title());
        for (String row : List.of(
                "overhead: nbody",
                "call(\"f\", 1)",
                "call(\"f\", 1) from a thread with Java's default stack",
                "eval(\"1\")",
                "host-function round trip",
                "build() to first eval(\"1\")",
                "SandboxPool checkout()",
                "1 live",
                "2 threads",
                "speed-up, 2 threads",
                "2 sandboxes on 2 threads")) {
            assertTrue(md.contains(row), "no " + row + " in:\n" + md);
        }
        Report.Row host = report.rows().stream()
                .filter(r -> r.figure().startsWith("host-function"))
                .findFirst()
                .orElseThrow();
        assertTrue(host.measured(), host.toString());
        for (Report.Row r : report.rows()) {
            assertTrue(
                    Set.of("pass", "miss (in-process)", "miss (process)", "miss (both)", Report.NONE)
                            .contains(r.verdict()),
                    r.toString());
        }
        // The chart is well-formed XML with a bar per measured figure.
        String svg = Files.readString(out.resolve("results.svg"), StandardCharsets.UTF_8);
        DocumentBuilderFactory.newInstance()
                .newDocumentBuilder()
                .parse(new java.io.ByteArrayInputStream(svg.getBytes(StandardCharsets.UTF_8)));
        assertTrue(svg.contains("overhead: nbody") && svg.contains("host-function"), svg);
    }
}
