package org.objcap.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.objcap.Sandbox;
import org.objcap.WorkerProcesses;

/**
 * Memory: the resident set added per live sandbox, with 1, 10 and 100
 * sandboxes alive at once, in both modes. Each count is measured in a JVM
 * of its own (so no freed memory of an earlier count is reused), whose heap
 * is fixed and touched up front, after one sandbox of the mode was built
 * and closed (CPython started, the worker extracted, classes loaded). Added
 * memory is the JVM's growth plus, in process mode, the workers' own: as
 * RSS (shared pages such as libpython's counted in every worker) and as
 * PSS (shared pages divided among their sharers). Next to it, an idle plain
 * CPython process ({@code python3.11 -I -S}). Sizes in MiB.
 */
public final class MemoryBenchmark {
    private static final long SETTLE_MILLIS = 300;

    private MemoryBenchmark() {}

    /**
     * Memory added by one sandbox, in MiB.
     *
     * @param rss resident set size
     * @param pss proportional set size
     */
    public record Footprint(double rss, double pss) {}

    /**
     * The figures.
     *
     * @param perSandbox by mode, by count of live sandboxes: added memory
     *     divided by the count
     * @param plain an idle plain CPython process, or {@code null} if it is not
     *     installed
     */
    public record Result(Map<Mode, Map<Integer, Footprint>> perSandbox, Footprint plain) {}

    /**
     * Measures, one child JVM per mode and count.
     *
     * @param counts how many live sandboxes, e.g. 1, 10, 100
     * @return the figures
     * @throws IOException if a child fails
     * @throws InterruptedException if interrupted
     */
    public static Result run(int... counts) throws IOException, InterruptedException {
        Map<Mode, Map<Integer, Footprint>> all = new EnumMap<>(Mode.class);
        for (Mode m : Mode.values()) {
            Map<Integer, Footprint> byCount = new TreeMap<>();
            for (int n : counts) {
                byCount.put(n, inChildJvm(m, n));
            }
            all.put(m, byCount);
        }
        return new Result(all, PlainPython.available() ? plainPython() : null);
    }

    private static Footprint inChildJvm(Mode m, int count) throws IOException, InterruptedException {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process p = new ProcessBuilder(
                        java.toString(),
                        "-Xms64m",
                        "-Xmx64m",
                        "-XX:+AlwaysPreTouch",
                        "-Djna.nosys=true",
                        "-cp",
                        System.getProperty("java.class.path"),
                        Child.class.getName(),
                        m.name(),
                        Integer.toString(count))
                .redirectErrorStream(true)
                .start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(600, TimeUnit.SECONDS) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new IOException("memory probe " + m + " x" + count + " failed:\n" + out);
        }
        String[] last = out.strip().lines().reduce((a, b) -> b).orElse("").split(" ");
        if (last.length != 2) {
            throw new IOException("memory probe printed:\n" + out);
        }
        return new Footprint(Double.parseDouble(last[0]), Double.parseDouble(last[1]));
    }

    /** An idle {@code python3.11 -I -S}, waiting on its standard input. */
    private static Footprint plainPython() throws IOException, InterruptedException {
        Process p = new ProcessBuilder(
                        PlainPython.command("-c", "import sys; print('ready', flush=True); sys.stdin.read()"))
                .start();
        try {
            byte[] ready = p.getInputStream().readNBytes(6);
            if (!"ready\n".equals(new String(ready, StandardCharsets.UTF_8))) {
                throw new IOException("plain CPython did not start");
            }
            Thread.sleep(SETTLE_MILLIS);
            long[] kb = residentKb(p.pid());
            return new Footprint(kb[0] / 1024.0, kb[1] / 1024.0);
        } finally {
            p.getOutputStream().close();
            PlainPython.waitFor(p);
        }
    }

    /**
     * RSS and PSS of a process, in KiB, from {@code /proc/PID/smaps_rollup}.
     *
     * @param pid the process
     * @return {rss, pss}
     * @throws IOException if /proc cannot be read
     */
    static long[] residentKb(long pid) throws IOException {
        long rss = -1;
        long pss = -1;
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "smaps_rollup"))) {
            String[] f = line.trim().split("\\s+");
            if (f[0].equals("Rss:")) {
                rss = Long.parseLong(f[1]);
            } else if (f[0].equals("Pss:")) {
                pss = Long.parseLong(f[1]);
            }
        }
        if (rss < 0 || pss < 0) {
            throw new IOException("no Rss/Pss in /proc/" + pid + "/smaps_rollup");
        }
        return new long[] {rss, pss};
    }

    /**
     * The child JVM: builds COUNT sandboxes of MODE, and prints the memory
     * added per sandbox as "RSS_MIB PSS_MIB".
     */
    static final class Child {
        private Child() {}

        /**
         * Measures one mode and count.
         *
         * @param args MODE (a {@link Mode} name) and COUNT
         * @throws Exception if a sandbox fails
         */
        public static void main(String[] args) throws Exception {
            Mode m = Mode.valueOf(args[0]);
            int count = Integer.parseInt(args[1]);
            try (Sandbox warm = m.build()) {
                CallLatencyBenchmark.check(warm.eval("1"));
            }
            long[] before = settledSelf();
            List<Sandbox> live = new ArrayList<>();
            long[] after;
            try {
                for (int i = 0; i < count; i++) {
                    Sandbox s = m.build();
                    live.add(s);
                    CallLatencyBenchmark.check(s.eval("1"));
                }
                after = settledSelf();
                for (Sandbox s : live) {
                    if (s.isolation().processIsolated()) {
                        long[] worker = residentKb(s.isolation().pid());
                        after[0] += worker[0];
                        after[1] += worker[1];
                    }
                }
            } finally {
                live.forEach(Sandbox::close);
            }
            System.out.printf(
                    Locale.ROOT,
                    "%.3f %.3f%n",
                    (after[0] - before[0]) / 1024.0 / count,
                    (after[1] - before[1]) / 1024.0 / count);
        }

        /**
         * The JVM's memory and its zygotes': a zygote's share of the pages
         * its workers map too shrinks as they come, so only both sides
         * together give what the workers added.
         */
        private static long[] settledSelf() throws IOException, InterruptedException {
            System.gc();
            Thread.sleep(SETTLE_MILLIS);
            for (long zygote : WorkerProcesses.zygotes()) {
                awaitIdle(zygote);
            }
            long[] total = residentKb(ProcessHandle.current().pid());
            for (long zygote : WorkerProcesses.zygotes()) {
                long[] z = residentKb(zygote);
                total[0] += z[0];
                total[1] += z[1];
            }
            return total;
        }

        /**
         * Waits (up to 30 s) until a zygote has used no CPU for a while: it
         * compiles the code cache while idle and then gives back what
         * compiling freed, so measured during that, it shrank between the
         * two measurements by more than the workers added (CI once saw 0.5
         * MiB a worker).
         */
        private static void awaitIdle(long pid) throws IOException, InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            long last = cpuTicks(pid);
            while (System.nanoTime() < deadline) {
                Thread.sleep(SETTLE_MILLIS);
                long now = cpuTicks(pid);
                if (now == last) {
                    return;
                }
                last = now;
            }
        }

        /** User and system CPU ticks of a process, from /proc/PID/stat. */
        private static long cpuTicks(long pid) throws IOException {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            // After the command's closing parenthesis: state is field 3, utime 14, stime 15.
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(f[11]) + Long.parseLong(f[12]);
        }
    }
}
