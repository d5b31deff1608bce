package org.objcap.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.objcap.Sandbox;

/**
 * Throughput under concurrency: N Java threads, each with a sandbox of its
 * own, each running a short script ({@link #SCRIPT}, run by {@code exec},
 * which compiles it once per sandbox) over and over for a fixed time;
 * scripts per second, all threads together. Next to it, N plain CPython
 * processes doing the same loop ({@code exec} of one compiled code object):
 * how far the machine lets N
 * interpreters scale. Each count is measured {@value #ROUNDS} times, the
 * three in rotating order, and the best rate kept (the neighbours on a
 * shared machine can only lower it). In-process sandboxes share CPython
 * 3.11's one GIL, so they are not expected to scale; process mode should
 * scale as plain CPython does.
 */
public final class ThroughputBenchmark {
    /** The short script: a loop, a comprehension, a dict. */
    public static final String SCRIPT = "total = 0\n"
            + "for i in range(2000):\n"
            + "    total += i % 7\n"
            + "squares = {k: k * k for k in range(100)}\n"
            + "total += len(squares)\n";
    /** What the script leaves in {@code total}. */
    public static final long TOTAL = 6095;
    /** Measurements per thread count and interpreter; the best counts. */
    public static final int ROUNDS = 2;
    /** The target: process mode's speed-up at least this share of plain CPython's. */
    public static final double SCALING_TARGET = 0.9;

    private ThroughputBenchmark() {}

    /**
     * The figures, in scripts per second.
     *
     * @param perSecond by mode, by thread count
     * @param plain by process count, or empty if plain CPython is not installed
     */
    public record Result(Map<Mode, Map<Integer, Double>> perSecond, Map<Integer, Double> plain) {
        /**
         * How much faster N threads went than one.
         *
         * @param rates scripts per second by thread count
         * @param n a thread count
         * @return rate at n / rate at 1
         */
        public static double speedup(Map<Integer, Double> rates, int n) {
            return rates.get(n) / rates.get(1);
        }
    }

    /**
     * Measures.
     *
     * @param threads thread counts, starting with 1
     * @param seconds how long each count runs
     * @return the figures
     * @throws Exception if a script or a process fails
     */
    public static Result run(int[] threads, double seconds) throws Exception {
        if (threads.length == 0 || threads[0] != 1) {
            throw new IllegalArgumentException("thread counts must start with 1");
        }
        Map<Mode, Map<Integer, Double>> all = new EnumMap<>(Mode.class);
        Map<Integer, Double> plain = new TreeMap<>();
        for (Mode m : Mode.values()) {
            all.put(m, new TreeMap<>());
        }
        for (int n : threads) {
            for (int round = 0; round < ROUNDS; round++) {
                for (int k = 0; k < 3; k++) {
                    int which = (round + k) % 3;
                    if (which == 2) {
                        if (PlainPython.available()) {
                            plain.merge(n, plainProcesses(n, seconds), Math::max);
                        }
                    } else {
                        Mode m = Mode.values()[which];
                        all.get(m).merge(n, sandboxed(m, n, seconds), Math::max);
                    }
                }
            }
        }
        return new Result(all, plain);
    }

    private static double sandboxed(Mode m, int n, double seconds) throws Exception {
        ExecutorService executor = Executors.newFixedThreadPool(n);
        CyclicBarrier start = new CyclicBarrier(n);
        long nanos = (long) (seconds * 1e9);
        try {
            List<Future<double[]>> done = new ArrayList<>();
            for (int t = 0; t < n; t++) {
                done.add(executor.submit((Callable<double[]>) () -> {
                    try (Sandbox s = m.build()) {
                        s.exec(SCRIPT); // warm
                        start.await();
                        long t0 = System.nanoTime();
                        long count = 0;
                        long elapsed;
                        do {
                            s.exec(SCRIPT);
                            count++;
                            elapsed = System.nanoTime() - t0;
                        } while (elapsed < nanos);
                        check(s.get("total"));
                        return new double[] {count, elapsed / 1e9};
                    }
                }));
            }
            double rate = 0;
            for (Future<double[]> f : done) {
                double[] r = f.get(600, TimeUnit.SECONDS);
                rate += r[0] / r[1];
            }
            return rate;
        } finally {
            executor.shutdownNow();
        }
    }

    private static void check(Object total) {
        if (!Long.valueOf(TOTAL).equals(total)) {
            throw new IllegalStateException("the script left total = " + total);
        }
    }

    /** N plain CPython processes running the script in a loop at once. */
    private static double plainProcesses(int n, double seconds) throws IOException, InterruptedException {
        String loop = "import time\n"
                + "code = compile(" + pythonString(SCRIPT) + ", '<script>', 'exec')\n"
                + "g = {}\n"
                + "exec(code, g)\n"
                + "input()\n" // wait for the go
                + "count = 0\n"
                + "t0 = time.perf_counter()\n"
                + "while True:\n"
                + "    exec(code, g)\n" // objcap reuses its compiled code too
                + "    count += 1\n"
                + "    elapsed = time.perf_counter() - t0\n"
                + "    if elapsed >= " + seconds + ":\n"
                + "        break\n"
                + "print(count, elapsed, g['total'])\n";
        List<Process> ps = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            ps.add(new ProcessBuilder(PlainPython.command("-c", loop))
                    .redirectErrorStream(true)
                    .start());
        }
        Thread.sleep(200); // all started and compiled
        for (Process p : ps) {
            p.getOutputStream().write('\n');
            p.getOutputStream().close();
        }
        double rate = 0;
        for (Process p : ps) {
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            PlainPython.waitFor(p);
            String[] f = out.trim().split(" ");
            if (p.exitValue() != 0 || f.length != 3) {
                throw new IOException("plain CPython loop failed: " + out);
            }
            check(Long.parseLong(f[2]));
            rate += Double.parseDouble(f[0]) / Double.parseDouble(f[1]);
        }
        return rate;
    }

    private static String pythonString(String s) {
        return "'" + s.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n") + "'";
    }
}
