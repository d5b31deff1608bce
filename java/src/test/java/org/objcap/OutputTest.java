package org.objcap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** What sandboxed code prints reaches the builder's streams, while it runs. */
class OutputTest {
    // Sandboxed code reaches stderr through sys; if the sandbox stops exposing
    // sys, this must change to whatever way to stderr the sandbox offers.
    private static final String STDERR = "__import__('sys').stderr";

    private static String text(ByteArrayOutputStream out) {
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    void stdoutAndStderrReachTheirStreams() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try (Sandbox s = Sandbox.builder().stdout(out).stderr(err).build()) {
            s.exec("print('to out')\nprint('to err', file=" + STDERR + ")\nprint('more', 42)\n");
        }
        assertEquals("to out\nmore 42\n", text(out));
        assertEquals("to err\n", text(err));
    }

    @Test
    void nonAsciiOutputIsIntact() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try (Sandbox s = Sandbox.builder().stdout(out).stderr(err).build()) {
            s.exec("print('héllo wörld 中文 😀')\nprint('ñ', end='', file=" + STDERR + ")\n");
            // Written one character at a time, multi-byte characters must not be split.
            s.exec("for c in 'é😀':\n    print(c, end='')\n");
        }
        assertEquals("héllo wörld 中文 😀\né😀", text(out));
        assertEquals("ñ", text(err));
    }

    @Test
    void eachSandboxWritesToItsOwnStreams() {
        ByteArrayOutputStream outA = new ByteArrayOutputStream();
        ByteArrayOutputStream outB = new ByteArrayOutputStream();
        try (Sandbox a = Sandbox.builder().stdout(outA).build();
                Sandbox b = Sandbox.builder().stdout(outB).build()) {
            a.exec("print('a')");
            b.exec("print('b')");
            a.exec("print('a again')");
        }
        assertEquals("a\na again\n", text(outA));
        assertEquals("b\n", text(outB));
    }

    @Test
    void outputArrivesWhileTheCallRuns() {
        AtomicLong firstWrite = new AtomicLong();
        ByteArrayOutputStream seen = new ByteArrayOutputStream();
        OutputStream timing = new OutputStream() {
            @Override
            public void write(int b) {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) {
                firstWrite.compareAndSet(0, System.nanoTime());
                seen.write(b, off, len);
            }
        };
        try (Sandbox s = Sandbox.builder().stdout(timing).build()) {
            s.exec("def slow():\n"
                    + "    print('early')\n"
                    + "    total = 0\n"
                    + "    for i in range(30_000_000):\n"
                    + "        total += i\n"
                    + "    return total\n");
            long start = System.nanoTime();
            Object result = s.call("slow");
            long end = System.nanoTime();
            assertEquals(449999985000000L, result);
            assertEquals("early\n", text(seen));
            long afterWrite = (end - firstWrite.get()) / 1_000_000;
            long total = (end - start) / 1_000_000;
            // The loop after print() takes a while; buffered output would arrive at its end.
            assertTrue(
                    afterWrite >= 50 && afterWrite * 2 >= total,
                    "output came " + afterWrite + " ms before a " + total + " ms call returned");
        }
    }

    @Test
    void closingFromItsOwnOutputIsRefusedNotDeadlocked() {
        AtomicReference<Sandbox> self = new AtomicReference<>();
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        OutputStream closer = new OutputStream() {
            @Override
            public void write(int b) {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) {
                try {
                    self.get().close();
                } catch (RuntimeException e) {
                    thrown.compareAndSet(null, e);
                }
            }
        };
        try (Sandbox s = Sandbox.builder().stdout(closer).build()) {
            self.set(s);
            s.exec("print('x')\ny = 3\n");
            assertEquals(3L, s.get("y"));
            assertTrue(thrown.get() instanceof IllegalStateException, String.valueOf(thrown.get()));
        }
    }

    @Test
    void failingHostStreamDoesNotFailTheCode() {
        OutputStream broken = new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                throw new IOException("disk full");
            }
        };
        try (Sandbox s = Sandbox.builder().stdout(broken).build()) {
            s.exec("print('lost')\nx = 5\n");
            assertEquals(5L, s.get("x"));
        }
    }
}
