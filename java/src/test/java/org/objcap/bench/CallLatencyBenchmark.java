package org.objcap.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.objcap.Capabilities;
import org.objcap.Sandbox;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.runner.options.VerboseMode;
import org.openjdk.jmh.util.Statistics;

/**
 * Call latency, measured by JMH: the round trip of {@code call("f", 1)} to
 * {@code def f(x): return x}, and of {@code eval("1")}, in both modes, each
 * call timed on its own (sample mode, so medians and percentiles).
 *
 * <p>{@code hostFunction} is the round trip of Python calling a Java
 * function granted with {@code Capabilities.function(args -> args.get(0))}:
 * one call runs a loop of {@value #HOST_CALLS} such calls, and JMH divides.
 *
 * <p>The forked JVM runs with {@code -Xss32m}, so the benchmark thread's
 * stack has room for the sandbox's recursion budget and in-process calls
 * run on it, without a hand-off to the sandbox's own thread (sandbox.c).
 * Then {@code call} runs once more in-process in a JVM with Java's default
 * stack ({@value #DEFAULT_STACK}): where most Java code calls from. On
 * CPython 3.14 that call runs on the caller's thread too; on 3.11 it takes
 * the hand-off. Where {@value #JAVA22_PROPERTY} names a JDK 22+
 * {@code java}, {@code call} and {@code eval} run once more in-process on
 * it, on the default stack, through the FFM binding.
 */
@State(Scope.Benchmark)
@BenchmarkMode(org.openjdk.jmh.annotations.Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class CallLatencyBenchmark {
    /** The target in-process, in microseconds. */
    public static final double IN_PROCESS_TARGET_MICROS = 2;
    /** The target in process mode, in microseconds. */
    public static final double PROCESS_TARGET_MICROS = 40;

    /** The mode's label, as {@link Mode#toString()}. */
    @Param({"in-process", "process"})
    public String mode;

    /** The name of the figure {@code call} from a thread with Java's default stack. */
    public static final String DEFAULT_STACK = "callDefaultStack";

    /** Host-function calls per {@code hostFunction} invocation. */
    public static final int HOST_CALLS = 100;

    private Sandbox sandbox;

    /**
     * One benchmark in one mode.
     *
     * @param benchmark the benchmark method's name ({@code call}, {@code eval})
     * @param mode where the sandbox ran
     * @param micros the call's round trip, in microseconds
     */
    public record Result(String benchmark, Mode mode, Sample micros) {}

    /** Builds the sandbox and the function to call, and checks both answer. */
    @Setup(Level.Trial)
    public void open() {
        sandbox = modeNamed(mode)
                .builder()
                .grant("host", Capabilities.function(args -> args.get(0)))
                .build();
        sandbox.exec("def f(x):\n    return x\n"
                + "def g(x):\n    for _ in range(" + HOST_CALLS + "):\n"
                + "        x = host(x)\n    return x\n");
        check(call());
        check(eval());
        check(hostFunction());
    }

    /** Closes the sandbox. */
    @TearDown(Level.Trial)
    public void close() {
        sandbox.close();
    }

    /**
     * Calls a global function of the sandbox.
     *
     * @return 1
     */
    @Benchmark
    public Object call() {
        return sandbox.call("f", 1);
    }

    /**
     * Evaluates an expression in the sandbox.
     *
     * @return 1
     */
    @Benchmark
    public Object eval() {
        return sandbox.eval("1");
    }

    /**
     * Calls a host function from Python, {@value #HOST_CALLS} times in one
     * call; JMH reports the time per host-function round trip.
     *
     * @return 1
     */
    @Benchmark
    @OperationsPerInvocation(HOST_CALLS)
    public Object hostFunction() {
        return sandbox.call("g", 1);
    }

    /**
     * Checks a benchmark's answer.
     *
     * @param value what a benchmark method returned
     * @throws IllegalStateException unless it is 1
     */
    public static void check(Object value) {
        if (!Long.valueOf(1).equals(value)) {
            throw new IllegalStateException("expected 1, got " + value);
        }
    }

    /**
     * Runs every benchmark of this class with JMH.
     *
     * @param quick one short iteration in this JVM (the smoke test), instead of
     *     a forked JVM with warm-up
     * @return one result per benchmark and mode
     * @throws RunnerException if JMH fails
     */
    public static List<Result> run(boolean quick) throws RunnerException {
        List<Result> results = new ArrayList<>();
        for (RunResult r : new Runner(timed(benchmarks(""), quick, "-Xss32m").build()).run()) {
            results.add(result(methodOf(r), r));
        }
        // call once more, in-process, with no -Xss: Java's default stack.
        ChainedOptionsBuilder defaultStack = benchmarks("call$").param("mode", Mode.IN_PROCESS.toString());
        for (RunResult r : new Runner(timed(defaultStack, quick).build()).run()) {
            results.add(result(DEFAULT_STACK, r));
        }
        String java22 = System.getProperty(JAVA22_PROPERTY, "");
        if (!quick && !java22.isEmpty()) {
            // call and eval on a JDK 22+, default stack, native access
            // granted: the FFM binding (the class path must hold the
            // multi-release jar, not a classes folder).
            ChainedOptionsBuilder ffm = benchmarks("(call|eval)$")
                    .param("mode", Mode.IN_PROCESS.toString())
                    .jvm(java22);
            for (RunResult r : new Runner(timed(ffm, false, "--enable-native-access=ALL-UNNAMED")
                            .build())
                    .run()) {
                results.add(result(JAVA22 + methodOf(r), r));
            }
        }
        return results;
    }

    /** The system property naming a JDK 22+ {@code java} to measure the FFM binding on. */
    public static final String JAVA22_PROPERTY = "objcap.bench.java22";

    /** The prefix of a figure measured on Java 22+ ({@code java22.call}, {@code java22.eval}). */
    public static final String JAVA22 = "java22.";

    /** The benchmarks of this class whose method names start with this regular expression. */
    private static ChainedOptionsBuilder benchmarks(String methods) {
        return new OptionsBuilder()
                .include("^" + CallLatencyBenchmark.class.getName().replace(".", "\\.") + "\\." + methods)
                .verbosity(VerboseMode.SILENT)
                .shouldFailOnError(true);
    }

    /**
     * One short iteration in this JVM (the smoke test), or a forked JVM
     * with these arguments, 3 s of warm-up and 5 of measurement.
     */
    private static ChainedOptionsBuilder timed(ChainedOptionsBuilder options, boolean quick, String... jvmArgs) {
        if (quick) {
            // Other builds on the machine may run JMH too: no lock file.
            System.setProperty("jmh.ignoreLock", "true");
            return options.forks(0)
                    .warmupIterations(0)
                    .measurementIterations(1)
                    .measurementTime(TimeValue.milliseconds(100));
        }
        List<String> args = new ArrayList<>(List.of("-Djna.nosys=true"));
        args.addAll(List.of(jvmArgs));
        return options.forks(1)
                .jvmArgsAppend(args.toArray(String[]::new))
                .warmupIterations(3)
                .warmupTime(TimeValue.seconds(1))
                .measurementIterations(5)
                .measurementTime(TimeValue.seconds(1));
    }

    private static String methodOf(RunResult r) {
        String method = r.getParams().getBenchmark();
        return method.substring(method.lastIndexOf('.') + 1);
    }

    private static Result result(String benchmark, RunResult r) {
        Statistics s = r.getPrimaryResult().getStatistics();
        return new Result(
                benchmark,
                modeNamed(r.getParams().getParam("mode")),
                new Sample(s.getPercentile(50), s.getPercentile(90), s.getMin(), s.getMax(), (int)
                        Math.min(Integer.MAX_VALUE, s.getN())));
    }

    private static Mode modeNamed(String label) {
        for (Mode m : Mode.values()) {
            if (m.toString().equals(label)) {
                return m;
            }
        }
        throw new IllegalArgumentException("no mode " + label);
    }
}
