package org.objcap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.objcap.SandboxAssert.assertRaises;

import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * bytearray methods cannot resize the array they read
 * (native/src/bare/guards/bytearray_guard.c): the attacks are in the escape corpus
 * (memory-safety/bytearray_*); here, that ordinary bytearray code still
 * works, that a resize from Python code a read-only method calls raises
 * BufferError (and leaves the array as it was), and that keys and values of
 * b[k] = v run their __index__ before the store, however they resize.
 */
class BytearrayGuardTest {
    private static Sandbox open(boolean inProcess) {
        Sandbox.Builder b = Sandbox.builder();
        return inProcess ? b.inProcess().build() : b.build();
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void ordinaryBytearrayCodeWorks(boolean inProcess) {
        try (Sandbox sandbox = open(inProcess)) {
            sandbox.exec("""
                    class Two:
                        def __index__(self):
                            return 2
                    class Letter:
                        def __index__(self):
                            return ord('l')
                    def run():
                        b = bytearray(b'hello world')
                        out = []
                        out.append([b.count(b'o'), b.count(ord('l')), b.count(Letter()),
                                    b.find(b'o', 5), b.find(ord('o'), Two(), 8),
                                    b.rfind(b'l'), b.index(b'w'), b.rindex(ord('o')),
                                    b.startswith(b'hel'), b.endswith((b'x', b'rld')),
                                    b.startswith(b'llo', Two()), ord('w') in b, b'lo w' in b,
                                    Letter() in b, b'z' in b])
                        out.append([bytearray(b', ').join([b'a', bytearray(b'b'), b'c']).decode(),
                                    b.hex(), b.hex(':', 4), b.split().__repr__(),
                                    b.replace(b'l', b'L', 2).decode(), b.upper().decode(),
                                    b.partition(b' ')[2].decode(), b.center(15, b'*').decode(),
                                    b.zfill(13).decode(), bytearray(b'  x ').strip().decode(),
                                    b.title().decode(), b.isalpha(), b.removeprefix(b'he').decode(),
                                    (b'%s=%d' % (b'k', Two())).decode(),
                                    (bytearray(b'%s=%d') % (b'k', Two())).decode(),
                                    b.translate(None, b'lo').decode(), len(b.__reduce_ex__(2)),
                                    b.copy() == b, b.splitlines() == [b]])
                        c = bytearray(b'abcdef')
                        c[0] = 65
                        c[Two()] = Letter()
                        c[-1] = True
                        c[1:2] = b'XYZ'
                        c[::2] = bytearray(b'....')
                        c[Two():Two()] = (i for i in b'gen')
                        del c[1::3]
                        del c[Two()]
                        c.append(33); c.extend([34, Two()]); c.extend(b'!!')
                        c.insert(0, Letter()); c += b'+'; c *= 2
                        popped = c.pop(); c.remove(ord('.')); c.reverse()
                        out.append([c.hex(), popped, len(c)])
                        m = memoryview(c)
                        m[0] = 0x5A
                        out.append([c[0], m.nbytes, bytes(m[:2]).hex()])
                        m.release()
                        c.clear()
                        out.append(len(c))
                        return out
                    """);
            assertEquals(
                    List.of(
                            List.of(2L, 3L, 3L, 7L, 4L, 9L, 6L, 7L, true, true, true, true, true, true, false),
                            List.of(
                                    "a, b, c",
                                    "68656c6c6f20776f726c64",
                                    "68656c:6c6f2077:6f726c64",
                                    "[bytearray(b'hello'), bytearray(b'world')]",
                                    "heLLo world",
                                    "HELLO WORLD",
                                    "world",
                                    "**hello world**",
                                    "00hello world",
                                    "x",
                                    "Hello World",
                                    false,
                                    "llo world",
                                    "k=2",
                                    "k=2",
                                    "he wrd",
                                    3L,
                                    true,
                                    true),
                            List.of("21210222212e645a2e672e6c2b21210222212e645a2e676c", 43L, 24L),
                            List.of(0x5AL, 24L, "5a21"),
                            0L),
                    sandbox.call("run"));
        }
    }

    /** Python code called by a read-only method resizes the array: BufferError. */
    @ParameterizedTest
    @ValueSource(
            strings = {
                "b.count(Shrinks())",
                "b.find(b'A', Shrinks())",
                "b.index(Shrinks())",
                "b.rfind(Shrinks())",
                "b.startswith(b'A', 0, Shrinks())",
                "b.join(shrinking_parts())",
                "b.split(b'A', Shrinks())",
                "b.hex(':', Shrinks())",
                "b % Shrinks()",
                "bytearray.count(b, Shrinks())",
                "Sub(b'%sAAAAAA').find(Shrinks())"
            })
    void resizingInsideAReadOnlyMethodRaisesBufferError(String call) {
        for (boolean inProcess : new boolean[] {true, false}) {
            try (Sandbox sandbox = open(inProcess)) {
                sandbox.exec("""
                        class Sub(bytearray):
                            pass
                        b = target = bytearray(b'%sAAAAAA')
                        class Shrinks:
                            def __index__(self):
                                del target[2:]
                                return 65
                            def __bytes__(self):
                                target.clear()
                                return b''
                        def shrinking_parts():
                            target.clear()
                            yield b'x'
                        """);
                String code =
                        call.startsWith("Sub(") ? "target = Sub(b'%sAAAAAA')\ntarget.find(Shrinks())\n" : call + "\n";
                PythonException e = assertRaises(sandbox, "BufferError", code);
                assertEquals("Existing exports of data: object cannot be re-sized", e.getPythonMessage());
                // The array is untouched, and no longer exported.
                assertEquals(8L, sandbox.eval("len(target)"));
                sandbox.exec("target.extend(b'B'); del target[:]");
                assertEquals(0L, sandbox.eval("len(target)"));
            }
        }
    }

    /**
     * `x in b`: the same BufferError, which CPython's __contains__ turns into
     * a TypeError (an __index__ that fails makes it try x as bytes).
     */
    @ParameterizedTest
    @ValueSource(strings = {"Shrinks() in b", "b.__contains__(Shrinks())", "bytearray.__contains__(b, Shrinks())"})
    void resizingInsideContainsIsRefused(String call) {
        for (boolean inProcess : new boolean[] {true, false}) {
            try (Sandbox sandbox = open(inProcess)) {
                sandbox.exec("""
                        b = bytearray(b'AAAAAAAA')
                        resized = []
                        class Shrinks:
                            def __index__(self):
                                try:
                                    del b[2:]
                                except BufferError as e:
                                    resized.append(type(e).__name__)
                                    raise
                                return 65
                        """);
                PythonException e = assertRaises(sandbox, "TypeError", call);
                assertEquals("a bytes-like object is required, not 'Shrinks'", e.getPythonMessage());
                assertEquals(List.of("BufferError"), sandbox.eval("resized"));
                assertEquals(8L, sandbox.eval("len(b)"));
            }
        }
    }

    /**
     * b[k] = v and del b[k]: the key's and the value's __index__ run before
     * bytearray takes its pointer, so a store after any resize lands in the
     * array (CPython 3.11.2 stored into the freed old buffer).
     */
    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void keysAndValuesAreConvertedBeforeTheStore(boolean inProcess) {
        try (Sandbox sandbox = open(inProcess)) {
            sandbox.exec("""
                    def grows(b, n):
                        class Grows:
                            def __index__(self):
                                b.extend(b'B' * 100000)
                                return n
                        return Grows()
                    def shrinks(b, n):
                        class Shrinks:
                            def __index__(self):
                                del b[8:]
                                return n
                        return Shrinks()
                    def run():
                        out = []
                        b = bytearray(b'A' * 24)
                        b[grows(b, 12)] = 0x42
                        out.append([b[12], len(b)])
                        b = bytearray(b'A' * 24)
                        b[12] = grows(b, 0x43)
                        out.append([b[12], len(b)])
                        b = bytearray(b'A' * 24)
                        b[grows(b, 12):20:2] = bytearray(b'wxyz')
                        out.append([b[10:22].decode(), len(b)])
                        b = bytearray(range(24))
                        del b[grows(b, 0)::2]
                        out.append([b[:12].hex(), len(b)])
                        b = bytearray(b'A' * 24)
                        try:
                            b[shrinks(b, 12)] = 0x42
                        except IndexError as e:
                            out.append([str(e), len(b)])
                        b = bytearray(b'A' * 24)
                        try:
                            b[20] = shrinks(b, 0x42)
                        except IndexError as e:
                            out.append([str(e), len(b)])
                        return out
                    """);
            assertEquals(
                    List.of(
                            List.of(0x42L, 100024L),
                            List.of(0x43L, 100024L),
                            List.of("AAwAxAyAzAAA", 100024L),
                            List.of("01030507090b0d0f11131517", 50012L),
                            List.of("bytearray index out of range", 8L),
                            List.of("bytearray index out of range", 8L)),
                    sandbox.call("run"));
        }
    }

    /** Errors and signatures of the guarded methods are CPython's own. */
    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void guardedMethodsLookUnchanged(boolean inProcess) {
        try (Sandbox sandbox = open(inProcess)) {
            PythonException e = assertRaises(sandbox, "TypeError", "bytearray(b'a').find()");
            assertEquals(PlainCPython.message("bytearray(b'a').find()"), e.getPythonMessage());
            e = assertRaises(sandbox, "TypeError", "bytearray(b'a')[0] = 'x'");
            assertEquals("'str' object cannot be interpreted as an integer", e.getPythonMessage());
            e = assertRaises(sandbox, "ValueError", "bytearray(b'a')[0] = 256");
            assertEquals("byte must be in range(0, 256)", e.getPythonMessage());
            e = assertRaises(sandbox, "ValueError", "bytearray(b'abc')[::0] = b''");
            assertEquals("slice step cannot be zero", e.getPythonMessage());
            assertTrue(((String) sandbox.eval("bytearray.center.__text_signature__")).startsWith("($self, width"));
            assertEquals("method_descriptor", sandbox.eval("type(bytearray.find).__name__"));
            assertEquals("wrapper_descriptor", sandbox.eval("type(bytearray.__setitem__).__name__"));
        }
    }
}
