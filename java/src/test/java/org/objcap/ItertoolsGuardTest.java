package org.objcap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.objcap.SandboxAssert.assertRaises;

import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * itertools iterators refuse re-entry (native/src/bare/guards/iterator_guard.c): the
 * attacks are in the escape corpus (memory-safety/itertools_*); here, that
 * ordinary itertools code still works, including deep nesting, and that the
 * guard also holds when __next__ is called as a method or by a subclass.
 */
class ItertoolsGuardTest {
    private static Sandbox open(boolean inProcess) {
        Sandbox.Builder b = Sandbox.builder();
        return inProcess ? b.inProcess().build() : b.build();
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void ordinaryItertoolsCodeWorks(boolean inProcess) {
        try (Sandbox sandbox = open(inProcess)) {
            sandbox.exec("""
                    import itertools, collections.abc
                    from itertools import *
                    def run():
                        out = []
                        out.append(list(pairwise(range(4))))
                        out.append([(k, len(list(g))) for k, g in groupby('aabccc')])
                        a, b = tee(iter(range(3)))
                        out.append((next(a), list(b), list(a)))
                        out.append(list(islice(zip_longest(count(), 'ab'), 3)))
                        out.append(list(accumulate(chain([1, 2], repeat(3, 2)))))
                        out.append(isinstance(pairwise([]), collections.abc.Iterator))
                        class Doubled(chain):
                            def __next__(self):
                                return 2 * super().__next__()
                        out.append(list(Doubled([1, 2])))
                        out.append(chain.__next__(chain([7])))
                        out.append(list(iter(iter([1, 2, None, 3]).__next__, None)))
                        return out
                    """);
            assertEquals(
                    List.of(
                            List.of(List.of(0L, 1L), List.of(1L, 2L), List.of(2L, 3L)),
                            List.of(List.of("a", 2L), List.of("b", 1L), List.of("c", 3L)),
                            List.of(0L, List.of(0L, 1L, 2L), List.of(1L, 2L)),
                            List.of(List.of(0L, "a"), List.of(1L, "b"), java.util.Arrays.asList(2L, null)),
                            List.of(1L, 3L, 6L, 9L),
                            true,
                            List.of(2L, 4L),
                            7L,
                            List.of(1L, 2L)),
                    sandbox.call("run"));
        }
    }

    /** 3,000 nested iterators entered at once: far past the guard's inline table. */
    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void deeplyNestedIteratorsWork(boolean inProcess) {
        try (Sandbox sandbox = open(inProcess)) {
            sandbox.exec("""
                    import functools, itertools
                    nested = functools.reduce(lambda acc, i: itertools.chain(acc, [i]),
                                              range(3000), iter([0]))
                    """);
            assertEquals(3001L, sandbox.eval("sum(1 for _ in nested)"));
            // The guard is empty again afterwards: nesting still works, re-entry
            // is still refused (reEntryIsRefusedHoweverNextIsCalled).
            assertEquals(List.of(1L, 2L), sandbox.eval("list(itertools.chain(itertools.chain([1, 2])))"));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"next(it)", "type(it).__next__(it)", "it.__next__()"})
    void reEntryIsRefusedHoweverNextIsCalled(String reEnter) {
        try (Sandbox sandbox = open(true)) {
            PythonException e = assertRaises(sandbox, "RuntimeError", """
                    import itertools
                    def source():
                        yield %s
                    it = itertools.pairwise(source())
                    next(it)
                    """.formatted(reEnter));
            assertTrue(
                    e.getPythonMessage()
                            .startsWith("itertools.pairwise: next() called on the iterator from inside its own"),
                    e.getPythonMessage());
            // The iterator was not damaged: it is simply exhausted.
            assertEquals(List.of(), sandbox.eval("list(it)"));
        }
    }
}
