package org.objcap.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.objcap.Sandbox;
import org.objcap.internal.NativeEngine;

/**
 * In-process parallelism: CPU-bound Python in 1 sandbox on 1 thread
 * against 2 sandboxes on 2 threads. On CPython 3.12+ each in-process sandbox
 * is a sub-interpreter with a GIL of its own, so two of them should run at
 * the same time (target: at least {@value #TARGET}× the work of one); on
 * 3.11 they share one GIL (about 1.0×). Each call runs {@link #WORK} (a
 * loop of integer arithmetic and a list, some 20 ms); calls per second, all
 * threads together, best of {@value #ROUNDS} rounds alternating the two
 * counts (neighbours on a shared machine can only lower a rate).
 *
 * <p>{@code scripts/bench --parallel [--python PATH]} runs it alone.
 */
public final class ParallelBenchmark {
    /** The CPU-bound function each call runs. */
    public static final String WORK = "def work(n):\n"
            + "    total = 0\n"
            + "    items = []\n"
            + "    for i in range(n):\n"
            + "        total += (i * i) % 7\n"
            + "        if i % 100 == 0:\n"
            + "            items.append(total)\n"
            + "    return total + len(items)\n";
    /** Its argument. */
    public static final int N = 200_000;
    /** Rounds per count; the best counts. */
    public static final int ROUNDS = 3;
    /** What 2 sandboxes on 2 threads should reach on CPython 3.12+, times 1 thread's rate. */
    public static final double TARGET = 1.7;

    private ParallelBenchmark() {}

    /**
     * The figures.
     *
     * @param one calls per second, 1 sandbox on 1 thread
     * @param two calls per second, 2 sandboxes on 2 threads, together
     */
    public record Result(double one, double two) {
        /**
         * How much more work two threads did than one.
         *
         * @return two / one
         */
        public double speedup() {
            return two / one;
        }
    }

    /**
     * Measures.
     *
     * @param seconds how long each count runs per round
     * @return the figures
     * @throws Exception if a call fails
     */
    public static Result run(double seconds) throws Exception {
        double one = 0;
        double two = 0;
        for (int round = 0; round < ROUNDS; round++) {
            if (round % 2 == 0) {
                one = Math.max(one, rate(1, seconds));
                two = Math.max(two, rate(2, seconds));
            } else {
                two = Math.max(two, rate(2, seconds));
                one = Math.max(one, rate(1, seconds));
            }
        }
        return new Result(one, two);
    }

    private static double rate(int threads, double seconds) throws Exception {
        ExecutorService executor = Executors.newFixedThreadPool(threads);
        CyclicBarrier start = new CyclicBarrier(threads);
        long nanos = (long) (seconds * 1e9);
        long expected = expected(N);
        try {
            List<Future<double[]>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                done.add(executor.submit((Callable<double[]>) () -> {
                    try (Sandbox s = Mode.IN_PROCESS.build()) {
                        s.exec(WORK);
                        check(s.call("work", N), expected); // warm
                        start.await();
                        long t0 = System.nanoTime();
                        long count = 0;
                        long elapsed;
                        do {
                            check(s.call("work", N), expected);
                            count++;
                            elapsed = System.nanoTime() - t0;
                        } while (elapsed < nanos);
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

    /**
     * Whether in-process sandboxes have a GIL each: CPython 3.12+ (from the
     * engine's version), unless {@code OBJCAP_SHARED_GIL=1}.
     *
     * @return true if two sandboxes can run Python at the same time
     */
    public static boolean ownGil() {
        Matcher m = Pattern.compile("CPython (\\d+)\\.(\\d+)").matcher(NativeEngine.version());
        boolean recent = m.find()
                && (Integer.parseInt(m.group(1)) > 3
                        || (Integer.parseInt(m.group(1)) == 3 && Integer.parseInt(m.group(2)) >= 12));
        return recent && !"1".equals(System.getenv("OBJCAP_SHARED_GIL"));
    }

    /** What {@link #WORK} returns, computed in Java. */
    static long expected(int n) {
        long total = 0;
        long items = 0;
        for (long i = 0; i < n; i++) {
            total += (i * i) % 7;
            if (i % 100 == 0) {
                items++;
            }
        }
        return total + items;
    }

    private static void check(Object value, long expected) {
        if (!Long.valueOf(expected).equals(value)) {
            throw new IllegalStateException("work() returned " + value + ", not " + expected);
        }
    }

    /**
     * Prints the figure.
     *
     * @param args {@code [SECONDS]} per count and round (default 3)
     * @throws Exception if a call fails
     */
    public static void main(String[] args) throws Exception {
        double seconds = args.length > 0 ? Double.parseDouble(args[0]) : 3;
        Result r = run(seconds);
        System.out.println(NativeEngine.version());
        System.out.printf(
                Locale.ROOT,
                "in-process, CPU-bound work(%d): 1 sandbox on 1 thread %.1f calls/s; "
                        + "2 sandboxes on 2 threads %.1f calls/s; ratio %.2fx (%s)%n",
                N,
                r.one(),
                r.two(),
                r.speedup(),
                ownGil() ? "a GIL per sandbox; target >= " + TARGET + "x" : "one shared GIL; none expected");
    }
}
