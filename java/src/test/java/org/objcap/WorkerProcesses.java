package org.objcap;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The objcap-worker processes of this JVM, zombies included: its children,
 * and the children of its objcap-zygote, which forks them (public for other
 * test packages).
 */
public final class WorkerProcesses {
    private static final String NAME = "objcap-worker";
    private static final String ZYGOTE = "objcap-zygote";

    private WorkerProcesses() {}

    /** The pids of this JVM's descendants named objcap-worker, running or not yet reaped. */
    public static List<Long> pids() {
        return ProcessHandle.current()
                .descendants()
                .map(ProcessHandle::pid)
                .filter(WorkerProcesses::isWorker)
                .sorted()
                .collect(Collectors.toList());
    }

    /** The pids of this JVM's objcap-zygote children (workers are forked from them). */
    public static List<Long> zygotes() {
        return ProcessHandle.current()
                .children()
                .map(ProcessHandle::pid)
                .filter(pid -> ZYGOTE.equals(comm(pid)))
                .sorted()
                .collect(Collectors.toList());
    }

    /**
     * Waits up to {@code millis} for the workers to be gone, collecting
     * unreachable sandboxes meanwhile (their cleaner destroys them).
     *
     * @return the workers still there
     */
    static List<Long> awaitNone(long millis) throws InterruptedException {
        long until = System.nanoTime() + millis * 1_000_000;
        List<Long> left = pids();
        while (!left.isEmpty() && System.nanoTime() < until) {
            System.gc();
            Thread.sleep(50);
            left = pids();
        }
        return left;
    }

    /** Whether a process is a worker; by /proc/PID/stat, which still names a zombie. */
    static boolean isWorker(long pid) {
        return NAME.equals(comm(pid));
    }

    /** The state letter in /proc/PID/stat ('Z' for a zombie), or '?' if gone. */
    static char state(long pid) {
        String stat = stat(pid);
        int close = stat == null ? -1 : stat.lastIndexOf(')');
        return close < 0 || close + 2 >= stat.length() ? '?' : stat.charAt(close + 2);
    }

    private static String comm(long pid) {
        String stat = stat(pid);
        if (stat == null) {
            return null;
        }
        int open = stat.indexOf('(');
        int close = stat.lastIndexOf(')');
        return open < 0 || close < open ? null : stat.substring(open + 1, close);
    }

    private static String stat(long pid) {
        try {
            return Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
        } catch (IOException e) {
            return null; // gone
        }
    }
}
