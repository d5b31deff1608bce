package org.objcap;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What objcap's deque.index (native/src/bare/guards/deque_index.c, in place of
 * CPython's, gh-115243, on the versions that have the bug) leaves as it
 * was: results and error messages, as this version's plain CPython gives
 * them. The attack is in the escape corpus
 * (memory-safety/deque_index_freed_item).
 */
class DequeIndexTest {
    private static Sandbox open(boolean inProcess) {
        Sandbox.Builder b = Sandbox.builder();
        return inProcess ? b.inProcess().build() : b.build();
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void indexAsInCPython(boolean inProcess) {
        try (Sandbox sandbox = open(inProcess)) {
            String program = """
                    from collections import deque
                    class D(deque):
                        def __iter__(self):
                            return iter([99])
                    class I:
                        def __init__(s, v): s.v = v
                        def __index__(s): return s.v
                    d = deque([1, 2, 3, 2, 1, 'a', None])
                    def r(f):
                        try:
                            return f()
                        except Exception as e:
                            return f'{type(e).__name__}: {e}'
                    results = [
                        r(lambda: d.index(2)),
                        r(lambda: d.index(1)),
                        r(lambda: d.index(None)),
                        r(lambda: d.index('a')),
                        r(lambda: d.index(2, 2)),
                        r(lambda: d.index(2, 1, 2)),
                        r(lambda: d.index(2, 1, 1)),
                        r(lambda: d.index(1, -3)),
                        r(lambda: d.index(1, -100)),
                        r(lambda: d.index(1, 1, -1)),
                        r(lambda: d.index(1, 1, -2)),
                        r(lambda: d.index(1, -2, -100)),
                        r(lambda: d.index(1, 100)),
                        r(lambda: d.index(1, 1, 100)),
                        r(lambda: d.index(1, 5, 3)),
                        r(lambda: d.index(1.0, 2)),
                        r(lambda: d.index('b')),
                        r(lambda: d.index(7, 0, 3)),
                        r(lambda: d.index(2, I(2), I(-2))),
                        r(lambda: d.index(1, 2**100)),
                        r(lambda: d.index(1, -2**100)),
                        r(lambda: d.index(1, 0, 2**100)),
                        r(lambda: d.index(1, None)),
                        r(lambda: d.index(1, 0, None)),
                        r(lambda: d.index(1, 1.5)),
                        r(lambda: d.index(1, '1')),
                        r(lambda: d.index()),
                        r(lambda: d.index(1, 2, 3, 4)),
                        r(lambda: d.index(1, start=2)), r(lambda: d.index(value=1)),
                        r(lambda: deque().index(1)), r(lambda: deque().index(1, -1, 5)),
                        r(lambda: deque(range(200)).index(150)),
                        r(lambda: deque(range(200)).index(150, 64, 151)),
                        r(lambda: deque(range(200)).index(150, 64, 150)),
                        r(lambda: deque(range(200)).index(199, -1)),
                        r(lambda: D([5, 6, 7]).index(7)),
                        r(lambda: D([5, 6, 7]).index(99)),
                        r(lambda: D([5, 6, 7]).index(5, 1)),
                        r(lambda: deque.index(D([1, 2]), 2)), r(lambda: deque.index([1], 1)),
                        r(lambda: deque([[1], 'x']).index('x')),
                        r(lambda: deque([1, 2, 3], maxlen=2).index(3)),
                    ]
                    class M:
                        def __init__(s, d, act, hit=False): s.d = d; s.act = act; s.hit = hit
                        def __eq__(s, o):
                            s.act(s.d)
                            return s.hit
                    def mut(act, hit=False, pos=0, n=3, args=()):
                        dd = deque(range(n))
                        dd[pos] = M(dd, act, hit)
                        return r(lambda: dd.index(-1, *args))
                    results += [
                        mut(lambda q: q.append(9)),
                        mut(lambda q: q.clear()),
                        mut(lambda q: q.pop(), pos=2),
                        mut(lambda q: q.append(9), hit=True), mut(lambda q: q.rotate(1), pos=1),
                        mut(lambda q: q.append(9), pos=2, args=(0, 3)),
                        mut(lambda q: q.append(9), pos=1, args=(0, 2)),
                        mut(lambda q: q.append(9), pos=2, args=(0, 2)),
                        mut(lambda q: q.__setitem__(0, 5), pos=1),
                        mut(lambda q: None, pos=1),
                        mut(lambda q: q.appendleft(9), pos=130, n=200),
                        mut(lambda q: q.popleft(), pos=130, n=200, args=(100, -1)),
                    ]
                    dz = deque(range(5))
                    class Clear:
                        def __index__(s):
                            dz.clear()
                            return 0
                    results += [r(lambda: dz.index(3, Clear()))]
                    class Bad:
                        def __eq__(s, o): raise KeyError('boom')
                    results += [r(lambda: deque([1, Bad()]).index(2)),
                                r(lambda: deque([1, Bad()]).index(1)),
                                r(lambda: deque([Bad(), 1]).index(1, 1))]
                    """;
            sandbox.exec(program);
            // Found, not found, start/stop normalised and clamped, bad
            // arguments, a subclass (its __iter__ not used), then the deque
            // mutated during the search (RuntimeError unless found first, out
            // of range or the item only replaced), a start whose __index__
            // clears the deque, then an __eq__ that raises: as this
            // version's CPython answers, whose own deque.index it is where
            // it has the fix (3.13+), and 3.11's messages where objcap's
            // replaces it.
            assertEquals(PlainCPython.repr(program, "results"), sandbox.eval("repr(results)"));
        }
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void methodLooksTheSame(boolean inProcess) {
        try (Sandbox sandbox = open(inProcess)) {
            String program = """
                    from collections import deque
                    results = [deque.index.__qualname__, type(deque.__dict__['index']).__name__,
                               deque.index.__doc__, deque([1]).index.__self__ is not None]
                    """;
            sandbox.exec(program);
            assertEquals(PlainCPython.repr(program, "results"), sandbox.eval("repr(results)"));
        }
    }
}
