package org.objcap;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What workarounds for CPython bugs leave working: list comparison that
 * holds its items (native/src/bare/guards/list_compare.c, gh-120298), the pure-Python
 * OrderedDict and cmp_to_key in place of the C ones, and functools.partial
 * without __setstate__ (hardening.c, gh-119004, gh-144475). The attacks
 * are in the escape corpus (memory-safety/list_compare_*, ordereddict_*,
 * cmp_to_key_*, functools_partial_*).
 */
class CPythonBugWorkaroundsTest {
    private static Sandbox open(boolean inProcess) {
        Sandbox.Builder b = Sandbox.builder();
        return inProcess ? b.inProcess().build() : b.build();
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void listsCompareAsBefore(boolean inProcess) {
        try (Sandbox sandbox = open(inProcess)) {
            sandbox.exec("""
                    import heapq, bisect
                    class L(list):
                        pass
                    h = []
                    nan = float('nan')
                    for i in range(6):
                        heapq.heappush(h, [i % 3, -i])
                    results = [
                        [1, 2] < [1, 3], [1, 2] <= [1, 2], [2] > [1, 9], [1] >= [1, 0],
                        [1, 2] == [1, 2], [1, 2] != [1, 2.0], [nan] == [nan], [nan] == [float('nan')],
                        list.__lt__([1], [2]), [].__ge__([]), L([1]) < [2], [1] < L([0]),
                        [1].__lt__(1) is NotImplemented,
                        sorted([[2, 1], [1, 2], [1]]),
                        [heapq.heappop(h) for _ in range(6)],
                        bisect.bisect([[0], [1], [2]], [1]),
                    ]
                    """);
            // As in plain CPython: identity first (nan), shorter is smaller.
            assertEquals(
                    List.of(
                            true,
                            true,
                            true,
                            false,
                            true,
                            false,
                            true,
                            false,
                            true,
                            true,
                            true,
                            false,
                            true,
                            List.of(List.of(1L), List.of(1L, 2L), List.of(2L, 1L)),
                            List.of(
                                    List.of(0L, -3L),
                                    List.of(0L, 0L),
                                    List.of(1L, -4L),
                                    List.of(1L, -1L),
                                    List.of(2L, -5L),
                                    List.of(2L, -2L)),
                            2L),
                    sandbox.get("results"));
        }
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void orderedDictIsThePurePythonOne(boolean inProcess) {
        try (Sandbox sandbox = open(inProcess)) {
            sandbox.exec("""
                    import collections, json
                    od = collections.OrderedDict([('a', 1), ('b', 2), ('c', 3)])
                    od.move_to_end('a')
                    od.move_to_end('c', last=False)
                    first = od.popitem(last=False)
                    results = [
                        type(od).__module__, list(od), first,
                        od == collections.OrderedDict([('b', 2), ('a', 1)]),
                        od == collections.OrderedDict([('a', 1), ('b', 2)]),
                        od == {'a': 1, 'b': 2}, repr(od),
                        list(json.loads('{"y": 1, "x": 2}',
                                        object_pairs_hook=collections.OrderedDict)),
                        isinstance(od, dict),
                        '_OrderedDict__marker' in vars(type(od)),  # only the Python one
                    ]
                    """);
            assertEquals(
                    List.of(
                            "collections",
                            List.of("b", "a"),
                            List.of("c", 3L),
                            true,
                            false,
                            true,
                            // 3.12 changed OrderedDict's repr; plain CPython says which.
                            PlainCPython.repr("import collections", "collections.OrderedDict([('b', 2), ('a', 1)])"),
                            List.of("y", "x"),
                            true,
                            true),
                    sandbox.get("results"));
        }
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void cmpToKeyIsThePurePythonOne(boolean inProcess) {
        try (Sandbox sandbox = open(inProcess)) {
            sandbox.exec("""
                    import functools
                    def by_length(a, b):
                        return len(a) - len(b)
                    K = functools.cmp_to_key(by_length)
                    results = [sorted(['ccc', 'a', 'bb'], key=K), K('ab') < K('abc'),
                               K('ab') == K('cd'), type(K('x')).__module__]
                    """);
            assertEquals(List.of(List.of("a", "bb", "ccc"), true, true, "functools"), sandbox.get("results"));
        }
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void partialWorksButHasNoSetstate(boolean inProcess) {
        try (Sandbox sandbox = open(inProcess)) {
            sandbox.exec("""
                    import functools
                    p = functools.partial(max, 3, key=abs)
                    results = [p(-5), p.args, sorted(p.keywords), repr(p).startswith('functools.partial('),
                               hasattr(p, '__setstate__'), functools.partial(p, 1)(2)]
                    """);
            assertEquals(List.of(-5L, List.of(3L), List.of("key"), true, false, 3L), sandbox.get("results"));
        }
    }
}
