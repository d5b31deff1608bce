package org.objcap;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code call} and {@code eval} pass their inputs and take a result that
 * fits through a thread's native scratch of 4 KiB, the engine copying the
 * result over the inputs ({@code objcap_call_into}); larger ones, and a
 * round trip started while the thread's scratch is in use, take the other
 * path. Every size around the edge and the nesting must come out exact.
 */
class CallScratchTest {
    /** The scratch holds 4080 bytes after its two out-parameters. */
    private static final int ROOM = 4096 - 16;

    @ParameterizedTest
    @ValueSource(strings = {Isolation.IN_PROCESS, Isolation.PROCESS})
    void argumentsAndResultsAroundTheScratchSizeComeBackExact(String mode) {
        try (Sandbox s = Modes.builder(mode).build()) {
            s.exec("def same(x):\n    return x\n");
            // bin 16 header: 3 bytes; the array header 1, the name 4.
            for (int n = ROOM - 16; n <= ROOM + 8; n++) {
                byte[] bytes = new byte[n];
                Arrays.fill(bytes, (byte) (n & 0x7f));
                bytes[n - 1] = 1;
                assertArrayEquals(bytes, (byte[]) s.call("same", bytes), "size " + n);
                String expression = "b'" + "x".repeat(n - 3) + "'";
                assertEquals(n - 3, ((byte[]) s.eval(expression)).length, "size " + n);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {Isolation.IN_PROCESS, Isolation.PROCESS})
    void aHostFunctionCallingAnotherSandboxGetsItsOwnResults(String mode) {
        try (Sandbox inner = Modes.builder(mode).build()) {
            inner.exec("def twice(s):\n    return s * 2\n");
            HostFunction viaInner = args -> inner.call("twice", args.get(0));
            try (Sandbox outer = Modes.builder(mode)
                    .grant("via_inner", Capabilities.function(viaInner))
                    .build()) {
                outer.exec("def run(s):\n    r = via_inner(s)\n    return [r, via_inner(r), s]\n");
                for (int n : new int[] {1, 100, ROOM / 2, ROOM}) {
                    String s = "a".repeat(n);
                    assertEquals(List.of(s + s, s + s + s + s, s), outer.call("run", s), "size " + n);
                    assertEquals(s + s, outer.eval("via_inner('" + s + "')"));
                }
            }
        }
    }

    /**
     * The sandbox remembers the last function name it encoded: threads
     * calling different functions at once must each reach their own.
     */
    @Test
    void threadsCallingDifferentFunctionsReachTheirOwn() throws Exception {
        try (Sandbox s = Sandbox.builder().inProcess().build()) {
            s.exec("def f(x):\n    return ['f', x]\ndef g(x):\n    return ['g', x]\n"
                    + "def fg(x):\n    return ['fg', x]\n");
            ExecutorService pool = Executors.newFixedThreadPool(3);
            try {
                List<Future<?>> runs = new ArrayList<>();
                for (String name : List.of("f", "g", "fg")) {
                    runs.add(pool.submit(() -> {
                        for (long i = 0; i < 3000; i++) {
                            assertEquals(List.of(name, i), s.call(name, i));
                        }
                        return null;
                    }));
                }
                for (Future<?> run : runs) {
                    run.get(120, TimeUnit.SECONDS);
                }
            } finally {
                pool.shutdownNow();
            }
        }
    }
}
