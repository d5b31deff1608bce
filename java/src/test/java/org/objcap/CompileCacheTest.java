package org.objcap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Repeated exec and eval of the same text reuse its compiled code
 * (core/calls.c): nothing a script or a host can see may change.
 */
class CompileCacheTest {

    @ParameterizedTest
    @ValueSource(strings = {Isolation.IN_PROCESS, Isolation.PROCESS})
    void repeatedTextRunsAsIfCompiledAgain(String mode) {
        try (Sandbox s = Modes.builder(mode).build()) {
            s.exec("n = 0");
            for (int i = 1; i <= 3; i++) {
                s.exec("n += 1\ndef f():\n    return n\nfs = globals().setdefault('fs', [])\nfs.append(f)\n");
                assertEquals((long) i, s.eval("n"));
                assertEquals((long) i, s.eval("f()"));
            }
            // Each exec made a new function, as a new compile would.
            assertEquals(false, s.eval("fs[0] is fs[1]"));
            assertEquals(List.of(3L, 3L, 3L), s.eval("[g() for g in fs]"));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {Isolation.IN_PROCESS, Isolation.PROCESS})
    void tracebacksShowTheLineOfTheTextThatRan(String mode) {
        try (Sandbox s = Modes.builder(mode).build()) {
            String first = "x = 1\nraise ValueError('first')\n";
            String second = "y = 2\nz = 3\nraise KeyError('second')\n";
            for (int round = 0; round < 2; round++) {
                PythonException a = assertThrows(PythonException.class, () -> s.exec(first, "job.py"));
                assertEquals("raise ValueError('first')", lastLine(a));
                PythonException b = assertThrows(PythonException.class, () -> s.exec(second, "job.py"));
                assertEquals("raise KeyError('second')", lastLine(b));
            }
            // A syntax error is reported every time, not remembered as success.
            for (int round = 0; round < 2; round++) {
                PythonException e = assertThrows(PythonException.class, () -> s.eval("1 +"));
                assertEquals("SyntaxError", e.getPythonType());
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {Isolation.IN_PROCESS, Isolation.PROCESS})
    void manyDistinctTextsStayCorrectPastTheCacheBound(String mode) {
        try (Sandbox s = Modes.builder(mode).build()) {
            for (int round = 0; round < 2; round++) {
                for (int i = 0; i < 600; i++) {
                    assertEquals((long) i * 2, s.eval(i + " * 2"));
                }
            }
        }
    }

    private static String lastLine(PythonException e) {
        List<PythonFrame> frames = e.getPythonTraceback();
        return frames.get(frames.size() - 1).sourceLine().strip();
    }
}
