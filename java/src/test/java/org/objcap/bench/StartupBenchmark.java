package org.objcap.bench;

import java.io.IOException;
import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.objcap.Sandbox;
import org.objcap.SandboxPool;

/**
 * Start-up: from {@code build()} to the result of the first
 * {@code eval("1")}, in both modes, next to starting plain CPython as a
 * process ({@code python3.11 -I -S -c pass}, spawned and waited for: the
 * floor of process mode), the three alternated; then the first
 * {@code import json} in that new sandbox (next to the same import timed
 * inside a fresh plain CPython); and a {@link SandboxPool#checkout()}, alone
 * and to the first result, with the pool full before each checkout
 * (pre-warmed), in both modes. Times in milliseconds.
 */
public final class StartupBenchmark {
    /** Target of build() to first result in-process, in milliseconds. */
    public static final double IN_PROCESS_TARGET_MILLIS = 10;
    /** Target of build() to first result in process mode, in milliseconds. */
    public static final double PROCESS_TARGET_MILLIS = 60;
    /** Target of a pool checkout to first result, in milliseconds. */
    public static final double CHECKOUT_TARGET_MILLIS = 1;

    private static final int POOL_SIZE = 2;
    private static final Duration REFILL_TIMEOUT = Duration.ofSeconds(60);

    private StartupBenchmark() {}

    /**
     * The figures, in milliseconds.
     *
     * @param build build() to first eval result, by mode
     * @param importJson the first {@code import json} after that, by mode
     * @param close close() of that sandbox, by mode
     * @param checkout a pre-warmed pool's checkout(), by mode
     * @param checkoutToResult the same to the first eval result, by mode
     * @param plain start of plain CPython, or {@code null} if it is not installed
     * @param plainImportJson {@code import json} in a fresh plain CPython, or
     *     {@code null}
     */
    public record Result(
            Map<Mode, Sample> build,
            Map<Mode, Sample> importJson,
            Map<Mode, Sample> close,
            Map<Mode, Sample> checkout,
            Map<Mode, Sample> checkoutToResult,
            Sample plain,
            Sample plainImportJson) {}

    /**
     * Measures.
     *
     * @param runs start-ups per mode (and checkouts, and plain CPython starts)
     * @return the figures
     * @throws IOException if plain CPython fails
     * @throws InterruptedException if interrupted
     */
    public static Result run(int runs) throws IOException, InterruptedException {
        for (Mode m : Mode.values()) { // CPython started, worker extracted, classes loaded
            try (Sandbox s = m.build()) {
                CallLatencyBenchmark.check(s.eval("1"));
            }
        }
        boolean plainToo = PlainPython.available();
        double[][] build = new double[2][runs];
        double[][] importJson = new double[2][runs];
        double[][] close = new double[2][runs];
        double[] plain = new double[runs];
        double[] plainImportJson = new double[runs];
        for (int i = 0; i < runs; i++) {
            for (int k = 0; k < 3; k++) { // rotating order, so drift hits all three
                int which = (i + k) % 3;
                if (which == 2) {
                    if (plainToo) {
                        plain[i] = plainStart();
                        plainImportJson[i] = plainImportJson();
                    }
                    continue;
                }
                Mode m = Mode.values()[which];
                long t0 = System.nanoTime();
                Sandbox s = m.build();
                Object one = s.eval("1");
                long t1 = System.nanoTime();
                s.exec("import json");
                long t2 = System.nanoTime();
                s.close();
                long t3 = System.nanoTime();
                CallLatencyBenchmark.check(one);
                build[which][i] = (t1 - t0) / 1e6;
                importJson[which][i] = (t2 - t1) / 1e6;
                close[which][i] = (t3 - t2) / 1e6;
            }
        }
        Map<Mode, Sample> builds = new EnumMap<>(Mode.class);
        Map<Mode, Sample> imports = new EnumMap<>(Mode.class);
        Map<Mode, Sample> closes = new EnumMap<>(Mode.class);
        Map<Mode, Sample> checkouts = new EnumMap<>(Mode.class);
        Map<Mode, Sample> checkoutsToResult = new EnumMap<>(Mode.class);
        for (Mode m : Mode.values()) {
            builds.put(m, Sample.of(build[m.ordinal()]));
            imports.put(m, Sample.of(importJson[m.ordinal()]));
            closes.put(m, Sample.of(close[m.ordinal()]));
            Sample[] checkout = checkout(m, runs);
            checkouts.put(m, checkout[0]);
            checkoutsToResult.put(m, checkout[1]);
        }
        return new Result(
                builds,
                imports,
                closes,
                checkouts,
                checkoutsToResult,
                plainToo ? Sample.of(plain) : null,
                plainToo ? Sample.of(plainImportJson) : null);
    }

    /** Checkout alone [0] and to the first result [1], from a pool full each time. */
    private static Sample[] checkout(Mode m, int runs) throws InterruptedException {
        double[] checkout = new double[runs];
        double[] toResult = new double[runs];
        try (SandboxPool pool = new SandboxPool(POOL_SIZE, m::build)) {
            for (int i = 0; i < runs; i++) {
                if (!pool.awaitFull(REFILL_TIMEOUT)) {
                    throw new IllegalStateException("the pool did not refill: " + pool);
                }
                long t0 = System.nanoTime();
                try (Sandbox s = pool.checkout()) {
                    long t1 = System.nanoTime();
                    Object one = s.eval("1");
                    long t2 = System.nanoTime();
                    checkout[i] = (t1 - t0) / 1e6;
                    toResult[i] = (t2 - t0) / 1e6;
                    CallLatencyBenchmark.check(one);
                }
            }
        }
        return new Sample[] {Sample.of(checkout), Sample.of(toResult)};
    }

    /** Milliseconds of the first {@code import json} in a fresh plain CPython. */
    private static double plainImportJson() throws IOException, InterruptedException {
        List<String> out = PlainPython.run(
                "import time\n" + "t0 = time.perf_counter()\n" + "import json\n" + "print(time.perf_counter() - t0)\n");
        return Double.parseDouble(out.get(0)) * 1e3;
    }

    /** Milliseconds to spawn plain CPython that does nothing and wait for it. */
    private static double plainStart() throws IOException, InterruptedException {
        long t0 = System.nanoTime();
        Process p = new ProcessBuilder(PlainPython.command("-c", "pass"))
                .redirectErrorStream(true)
                .start();
        p.getOutputStream().close();
        p.getInputStream().readAllBytes();
        PlainPython.waitFor(p);
        double millis = (System.nanoTime() - t0) / 1e6;
        if (p.exitValue() != 0) {
            throw new IOException(PlainPython.path() + " -c pass failed: " + p.exitValue());
        }
        return millis;
    }
}
