package org.objcap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.objcap.SandboxAssert.assertRaises;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A set is not added to while an add to it runs (native/src/bare/guards/set_guard.c,
 * CPython gh-141805): ordinary set code works, and each way of adding from
 * inside a colliding key's __eq__ is refused on the CPython versions that
 * have the bug. The attack that crashed the JVM is
 * memory-safety/set_add_reentrant_double_count.py in the corpus.
 */
class SetGuardTest {
    private static Sandbox open(boolean inProcess) {
        Sandbox.Builder b = Sandbox.builder();
        return inProcess ? b.inProcess().build() : b.build();
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void ordinarySetCodeWorks(boolean inProcess) {
        try (Sandbox sandbox = open(inProcess)) {
            sandbox.exec("""
                    s = {1, 2}
                    s.add(3); s.update([4], (5,)); s |= {6}; s ^= {1, 7}
                    s.symmetric_difference_update([2]); set.add(s, 10)
                    t = set(); t.__init__([9, 8])
                    class Doubling(set):
                        def add(self, x):
                            super().add(x * 2)
                    u = Doubling([1]); u.add(2); u |= {5}
                    class Key:
                        def __hash__(self):
                            return 0
                        def __eq__(self, other):
                            return 3 in s   # reading the set being added to is fine
                    s.add(Key()); s.add(Key())
                    results = [sorted(x for x in s if isinstance(x, int)), len(s), sorted(t),
                               sorted(u), sorted({x % 3 for x in range(9)})]
                    """);
            assertEquals(
                    List.of(
                            List.of(3L, 4L, 5L, 6L, 7L, 10L),
                            7L,
                            List.of(8L, 9L),
                            List.of(1L, 4L, 5L),
                            List.of(0L, 1L, 2L)),
                    sandbox.get("results"));
        }
    }

    /**
     * Adding from inside an add is refused where this version's CPython has
     * the bug, and left to CPython where it has the fix (the guard is not
     * installed there: native/src/bare/guards/cpython_bugs.c). Either way
     * the set stays sound.
     */
    @ParameterizedTest
    @ValueSource(
            strings = {"s.add(self)", "s.update([self])", "s.__init__([self])", "s.symmetric_difference_update([1])"})
    void addingFromInsideAnAddIsRefusedWhereCPythonHasTheBug(String inner) {
        String code = """
                s = set()
                class Filler:
                    def __hash__(self):
                        return 0
                class Adder:
                    armed = True
                    def __hash__(self):
                        return 0
                    def __eq__(self, other):
                        if self.armed:
                            self.armed = False
                            %s
                        return False
                s.add(Filler())
                s.add(Adder())
                """.formatted(inner);
        try (Sandbox sandbox = open(true)) {
            if (plainCPythonDoubleCounts()) {
                assertRaises(sandbox, "RuntimeError", code);
            } else {
                sandbox.exec(code);
            }
            // The set is still sound: counted entries are the ones it holds.
            assertEquals(true, sandbox.eval("len(s) == sum(1 for _ in s)"));
        }
    }

    /**
     * Whether this version's plain CPython has the set bug: the corpus's
     * set_add_reentrant_double_count.py, run on it unbuffered (it prints
     * ESCAPED before freeing the miscounted set crashes it).
     */
    static boolean plainCPythonDoubleCounts() {
        String entry = "/escapes/memory-safety/set_add_reentrant_double_count.py";
        try (InputStream in = SetGuardTest.class.getResourceAsStream(entry)) {
            assertNotNull(in, entry + " is not on the test class path");
            String attack = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            Process p = new ProcessBuilder(PlainCPython.path(), "-I", "-S", "-u", "-c", attack)
                    .redirectError(ProcessBuilder.Redirect.DISCARD)
                    .start();
            p.getOutputStream().close();
            String printed = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(60, TimeUnit.SECONDS));
            boolean escaped = printed.contains("ESCAPED:");
            // Without the bug the entry runs to its end.
            assertTrue(escaped || p.exitValue() == 0, "exit " + p.exitValue() + ": " + printed);
            return escaped;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** _abc's caches are sets too (abc_*_set_add_reentry.py): ABCs still work. */
    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void abcsWorkAsUsual(boolean inProcess) {
        try (Sandbox sandbox = open(inProcess)) {
            sandbox.exec("""
                    import abc, collections.abc, io, numbers, typing
                    class Shape(abc.ABC):
                        @abc.abstractmethod
                        def area(self): ...
                        @classmethod
                        def __subclasshook__(cls, other):
                            return True if hasattr(other, 'area') else NotImplemented
                    class Square:
                        def area(self):
                            return 4
                    class Plain:
                        pass
                    @typing.runtime_checkable
                    class Closable(typing.Protocol):
                        def close(self): ...
                    Shape.register(Plain)
                    class Stream:
                        pass
                    io.IOBase.register(Stream)
                    results = [isinstance(Square(), Shape), issubclass(Plain, Shape),
                               issubclass(int, Shape), isinstance({}, collections.abc.Mapping),
                               isinstance([], collections.abc.Mapping), isinstance(3, numbers.Integral),
                               isinstance(io.StringIO(), Closable), issubclass(Stream, io.IOBase),
                               issubclass(Stream, io.IOBase)]
                    """);
            assertEquals(List.of(true, true, false, true, false, true, true, true, true), sandbox.get("results"));
        }
    }
}
