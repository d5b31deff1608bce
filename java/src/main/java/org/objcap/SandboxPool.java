package org.objcap;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * Sandboxes built ahead of time, so that a caller gets one without waiting
 * for an interpreter to start: {@link #checkout()} takes a ready sandbox in
 * microseconds where {@link Sandbox.Builder#build()} takes milliseconds.
 *
 * <pre>{@code
 * try (SandboxPool pool = new SandboxPool(4, () -> Sandbox.builder().inProcess().build())) {
 *     try (Sandbox sandbox = pool.checkout()) {
 *         Object answer = sandbox.eval("6 * 7");
 *     }
 * }
 * }</pre>
 *
 * <p>A sandbox leaves the pool for good. There is no check-in: closing a
 * checked-out sandbox destroys it, and a background thread builds a fresh
 * one in its place. So no caller ever gets a sandbox that ran someone
 * else's code (its globals, imported modules, patched classes), which no
 * reset could prove clean.
 *
 * <p>The pool holds at most {@code size} ready sandboxes, built one at a
 * time on one daemon thread. When none is ready, {@code checkout()} builds
 * one on the calling thread instead of waiting. A sandbox that closed while
 * it waited in the pool (its worker died) is dropped, never handed out. If
 * the factory fails, the background thread retries with a growing pause
 * (up to {@value #MAX_RETRY_PAUSE_MILLIS} ms), and a {@code checkout()}
 * that finds the pool empty gets the factory's exception itself.
 *
 * <p>Every sandbox comes from the factory, with the factory's settings
 * (limits, output streams, policy): use one pool per configuration.
 * Idle sandboxes hold their resources (an interpreter thread in-process, a
 * worker process in process mode). All methods are thread-safe.
 */
public final class SandboxPool implements AutoCloseable {
    /** The longest pause between failed attempts to build a sandbox. */
    public static final long MAX_RETRY_PAUSE_MILLIS = 5_000;

    private static final long FIRST_RETRY_PAUSE_MILLIS = 50;

    private final int size;
    private final Supplier<Sandbox> factory;
    private final ArrayDeque<Sandbox> ready = new ArrayDeque<>(); // guarded by this
    private final Thread refiller;
    private boolean closed; // guarded by this

    /**
     * Creates a pool and starts filling it in the background.
     *
     * @param size how many ready sandboxes to keep, 1 to 1024
     * @param factory builds one new, open sandbox per call, e.g.
     *     {@code () -> Sandbox.builder().timeout(...).build()}; called from
     *     the pool's thread and from {@link #checkout()}, so it must be
     *     thread-safe
     * @throws IllegalArgumentException if size is out of range
     * @throws NullPointerException if factory is null
     */
    public SandboxPool(int size, Supplier<Sandbox> factory) {
        if (size < 1 || size > 1024) {
            throw new IllegalArgumentException("pool size must be 1 to 1024: " + size);
        }
        this.size = size;
        this.factory = Objects.requireNonNull(factory, "factory");
        this.refiller = new Thread(this::refill, "objcap-pool-refill");
        refiller.setDaemon(true);
        refiller.start();
    }

    /**
     * Hands out a sandbox that no one has used: a ready one if there is
     * one, else one built now on this thread. The caller owns it and closes
     * it (try-with-resources); it never returns to the pool.
     *
     * @return a new, open sandbox
     * @throws IllegalStateException if the pool is closed
     * @throws RuntimeException whatever the factory throws, when no sandbox
     *     was ready
     */
    public Sandbox checkout() {
        for (; ; ) {
            Sandbox sandbox;
            synchronized (this) {
                if (closed) {
                    throw new IllegalStateException("sandbox pool is closed");
                }
                sandbox = ready.pollFirst();
                notifyAll(); // the refill thread makes a replacement
            }
            if (sandbox == null) {
                return build();
            }
            if (!sandbox.isClosed()) {
                return sandbox;
            }
            // It closed while it waited (its worker died): drop it, take another.
        }
    }

    /**
     * Waits until the pool holds {@code size} ready sandboxes, e.g. before a
     * server starts taking requests.
     *
     * @param timeout the longest wait
     * @return {@code true} if the pool is full, {@code false} if the time ran
     *     out or the pool was closed
     * @throws InterruptedException if interrupted while waiting
     */
    public synchronized boolean awaitFull(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!closed && ready.size() < size) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            wait(Math.max(1, left / 1_000_000));
        }
        return !closed;
    }

    /**
     * Tells how many sandboxes are ready now.
     *
     * @return 0 to {@link #size()}
     */
    public synchronized int ready() {
        return ready.size();
    }

    /**
     * Tells how many ready sandboxes the pool keeps.
     *
     * @return the size given at creation
     */
    public int size() {
        return size;
    }

    /**
     * Stops refilling and closes the ready sandboxes. Sandboxes already
     * checked out stay open; their owners close them. Waits for a sandbox
     * being built in the background, then closes it too. Does nothing if
     * already closed.
     */
    @Override
    public void close() {
        List<Sandbox> idle;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            idle = new ArrayList<>(ready);
            ready.clear();
            notifyAll();
        }
        idle.forEach(Sandbox::close);
        boolean interrupted = false;
        while (refiller.isAlive() && Thread.currentThread() != refiller) {
            try {
                refiller.join();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public synchronized String toString() {
        return "SandboxPool[" + ready.size() + "/" + size + " ready" + (closed ? ", closed]" : "]");
    }

    private Sandbox build() {
        return Objects.requireNonNull(factory.get(), "the pool's factory returned null");
    }

    /** The background thread: keeps the pool full until it is closed. */
    private void refill() {
        long pause = 0; // after a failure, doubling up to MAX_RETRY_PAUSE_MILLIS
        for (; ; ) {
            synchronized (this) {
                try {
                    long resume = System.nanoTime() + pause * 1_000_000;
                    for (long left = pause; !closed && left > 0; left = (resume - System.nanoTime()) / 1_000_000) {
                        wait(left);
                    }
                    while (!closed && ready.size() >= size) {
                        wait();
                    }
                } catch (InterruptedException e) {
                    return; // nothing but close() stops this thread
                }
                if (closed) {
                    return;
                }
            }
            Sandbox fresh;
            try {
                fresh = build();
                pause = 0;
            } catch (RuntimeException e) {
                // checkout() reports the factory's failures when it must build itself.
                pause = pause == 0 ? FIRST_RETRY_PAUSE_MILLIS : Math.min(pause * 2, MAX_RETRY_PAUSE_MILLIS);
                continue;
            }
            boolean keep;
            synchronized (this) {
                keep = !closed;
                if (keep) {
                    ready.addLast(fresh);
                    notifyAll();
                }
            }
            if (!keep) {
                fresh.close();
                return;
            }
        }
    }
}
