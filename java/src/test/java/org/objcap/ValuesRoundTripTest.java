package org.objcap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.params.provider.Arguments.arguments;
import static org.objcap.ValueAssert.assertValueEquals;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every value type goes Java to Python to Java unchanged (up to the documented widening). */
class ValuesRoundTripTest {
    private static final BigInteger TWO_100 = BigInteger.TWO.pow(100);
    private static Sandbox sandbox;

    @BeforeAll
    static void open() {
        sandbox = Sandbox.builder().build();
        sandbox.exec("def ident(x):\n    return x\n");
    }

    @AfterAll
    static void close() {
        sandbox.close();
    }

    private static Map<Object, Object> map(Object... keyValues) {
        Map<Object, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            m.put(keyValues[i], keyValues[i + 1]);
        }
        return m;
    }

    /** label, Java value, value expected back, Python type name. */
    static Stream<Arguments> values() {
        return Stream.of(
                arguments("null", null, null, "NoneType"),
                arguments("true", true, true, "bool"),
                arguments("false", false, false, "bool"),
                arguments("Integer", 42, 42L, "int"),
                arguments("negative Short", (short) -7, -7L, "int"),
                arguments("Byte", (byte) 5, 5L, "int"),
                arguments("Long", 1234567890123L, 1234567890123L, "int"),
                arguments("Long.MIN_VALUE", Long.MIN_VALUE, Long.MIN_VALUE, "int"),
                arguments("Long.MAX_VALUE", Long.MAX_VALUE, Long.MAX_VALUE, "int"),
                arguments("small BigInteger", BigInteger.valueOf(-12), -12L, "int"),
                arguments("2**63", BigInteger.TWO.pow(63), BigInteger.TWO.pow(63), "int"),
                arguments("2**100", TWO_100, TWO_100, "int"),
                arguments("-2**100", TWO_100.negate(), TWO_100.negate(), "int"),
                arguments("Double", 1.5, 1.5, "float"),
                arguments("Float", 0.25f, 0.25d, "float"),
                arguments("negative zero", -0.0, -0.0, "float"),
                arguments("NaN", Double.NaN, Double.NaN, "float"),
                arguments("infinity", Double.POSITIVE_INFINITY, Double.POSITIVE_INFINITY, "float"),
                arguments("-infinity", Double.NEGATIVE_INFINITY, Double.NEGATIVE_INFINITY, "float"),
                arguments("Double.MIN_VALUE", Double.MIN_VALUE, Double.MIN_VALUE, "float"),
                arguments("string", "hello", "hello", "str"),
                arguments("empty string", "", "", "str"),
                arguments("non-ASCII", "héllo wörld ñ 中文 Ω", "héllo wörld ñ 中文 Ω", "str"),
                arguments("astral", "😀 and 𝄞", "😀 and 𝄞", "str"),
                arguments("lone high surrogate", "\uD800", "\uD800", "str"),
                arguments("lone low surrogate inside", "a\uDC00b", "a\uDC00b", "str"),
                arguments("reversed surrogates", "\uDC00\uD800", "\uDC00\uD800", "str"),
                arguments("NUL inside a value", "a\0b", "a\0b", "str"),
                arguments("Character", 'x', "x", "str"),
                arguments("bytes", new byte[] {0, 1, (byte) 255, 10}, new byte[] {0, 1, (byte) 255, 10}, "bytes"),
                arguments("empty bytes", new byte[0], new byte[0], "bytes"),
                arguments("list", Arrays.asList(1L, "two", null, 3.0), Arrays.asList(1L, "two", null, 3.0), "list"),
                arguments("empty list", List.of(), List.of(), "list"),
                arguments("int[]", new int[] {1, 2, 3}, List.of(1L, 2L, 3L), "list"),
                arguments("double[]", new double[] {0.5, -1}, List.of(0.5, -1.0), "list"),
                arguments("boolean[]", new boolean[] {true}, List.of(true), "list"),
                arguments("char[]", new char[] {'a', 'é'}, List.of("a", "é"), "list"),
                arguments("Object[]", new Object[] {"a", 1, null}, Arrays.asList("a", 1L, null), "list"),
                arguments("map", map("b", 1, "a", 2), map("b", 1L, "a", 2L), "dict"),
                arguments("map with int keys", map(1, "one", 2, "two"), map(1L, "one", 2L, "two"), "dict"),
                arguments("empty map", Map.of(), Map.of(), "dict"),
                arguments("set", new LinkedHashSet<>(List.of(3, 1, 2)), Set.of(1L, 2L, 3L), "set"),
                arguments("empty set", Set.of(), Set.of(), "set"),
                arguments(
                        "nested",
                        map("a", List.of(map("b", List.of(1, List.of(2, 3))), "x"), "c", map("d", new byte[] {7})),
                        map("a", List.of(map("b", List.of(1L, List.of(2L, 3L))), "x"), "c", map("d", new byte[] {7})),
                        "dict"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("values")
    void setThenGet(String label, Object value, Object expected, String pythonType) {
        sandbox.set("v", value);
        assertEquals(pythonType, sandbox.eval("type(v).__name__"), "Python type of " + label);
        assertValueEquals(expected, sandbox.get("v"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("values")
    void callIdentity(String label, Object value, Object expected, String pythonType) {
        assertValueEquals(expected, sandbox.call("ident", value));
    }

    @Test
    void stringsArePythonCodePoints() {
        sandbox.set("s", "😀");
        assertEquals(1L, sandbox.eval("len(s)"));
        assertEquals(0x1F600L, sandbox.eval("ord(s)"));
        sandbox.set("s", "a\uDC00b");
        assertEquals(List.of(0x61L, 0xDC00L, 0x62L), sandbox.eval("[ord(c) for c in s]"));
        assertEquals("\uD800", sandbox.eval("chr(0xD800)"));
        assertEquals("😀", sandbox.eval("chr(0x1F600)"));
        assertEquals("é", sandbox.eval("'\\xe9'"));
    }

    @Test
    void integerBoundaries() {
        assertEquals(Long.MIN_VALUE, sandbox.eval("-2**63"));
        assertEquals(Long.MAX_VALUE, sandbox.eval("2**63 - 1"));
        assertEquals(BigInteger.TWO.pow(63), sandbox.eval("2**63"));
        assertEquals(BigInteger.TWO.pow(64).subtract(BigInteger.ONE), sandbox.eval("2**64 - 1"));
        assertEquals(BigInteger.TWO.pow(63).negate().subtract(BigInteger.ONE), sandbox.eval("-2**63 - 1"));
        assertEquals(TWO_100, sandbox.eval("2**100"));
        assertEquals(TWO_100.negate(), sandbox.eval("-2**100"));
        assertEquals(BigInteger.TEN.pow(1000), sandbox.eval("10**1000"));
        assertSame(Long.class, sandbox.eval("7").getClass());
        sandbox.set("big", TWO_100);
        assertEquals(true, sandbox.eval("big == 2**100"));
        assertEquals(true, sandbox.call("ident", true));
        assertEquals(false, sandbox.eval("True is False"));
    }

    @Test
    void tenMegabyteStringsAndBytes() {
        String ascii = "x".repeat(10 << 20);
        sandbox.set("s", ascii);
        assertEquals((long) ascii.length(), sandbox.eval("len(s)"));
        assertEquals(ascii, sandbox.get("s"));
        assertEquals(ascii, sandbox.call("ident", ascii));

        String mixed = "é😀a\uD800".repeat((10 << 20) / 5);
        assertEquals(mixed, sandbox.call("ident", mixed));

        byte[] bytes = new byte[10 << 20];
        new Random(42).nextBytes(bytes);
        sandbox.set("b", bytes);
        assertEquals((long) bytes.length, sandbox.eval("len(b)"));
        assertValueEquals(bytes, sandbox.get("b"));
        assertValueEquals(bytes, sandbox.call("ident", bytes));
    }

    @Test
    void mapInsertionOrderBothWays() {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < 1000; i++) {
            m.put("k" + (i * 7919 % 1000), i);
        }
        sandbox.set("m", m);
        assertEquals(new ArrayList<>(m.keySet()), sandbox.eval("list(m)"));
        Map<?, ?> back = (Map<?, ?>) sandbox.get("m");
        assertEquals(new ArrayList<>(m.keySet()), new ArrayList<>(back.keySet()));
        // A mutable map that keeps insertion order (not a LinkedHashMap:
        // its hashing is keyed, so chosen keys cannot collide; ValueCodec).
        @SuppressWarnings("unchecked")
        Map<Object, Object> mutable = (Map<Object, Object>) back;
        mutable.put("added", 1L);
        assertEquals("added", new ArrayList<>(mutable.keySet()).get(mutable.size() - 1));
        Map<?, ?> made = (Map<?, ?>) sandbox.eval("{k: k * 2 for k in [3, 1, 2]}");
        assertEquals(List.of(3L, 1L, 2L), new ArrayList<>(made.keySet()));
        assertEquals(6L, made.get(3L));
    }

    @Test
    void tupleIsUnmodifiableList() {
        Object t = sandbox.eval("(1, None, 'a')");
        assertEquals(Arrays.asList(1L, null, "a"), t);
        List<?> list = (List<?>) t;
        assertThrows(UnsupportedOperationException.class, () -> list.remove(0));
        assertEquals(List.of(), sandbox.eval("()"));
        Map<?, ?> keyed = (Map<?, ?>) sandbox.eval("{(1, 2): 'pair'}");
        assertEquals("pair", keyed.get(List.of(1L, 2L)));
    }

    @Test
    void setAndFrozenset() {
        Object set = sandbox.eval("{1, 2, 3}");
        assertEquals(Set.of(1L, 2L, 3L), set);
        @SuppressWarnings("unchecked")
        Set<Object> mutableSet = (Set<Object>) set;
        mutableSet.add(4L);
        assertEquals(List.of(1L, 2L, 3L, 4L), new ArrayList<>(mutableSet)); // insertion order
        Object frozen = sandbox.eval("frozenset({'a', 'b'})");
        assertEquals(Set.of("a", "b"), frozen);
        @SuppressWarnings("unchecked")
        Set<Object> frozenSet = (Set<Object>) frozen;
        assertThrows(UnsupportedOperationException.class, () -> frozenSet.add("c"));
        assertEquals(Set.of(List.of(1L, 2L)), sandbox.eval("{(1, 2)}"));
        sandbox.set("fs", Set.of(5));
        assertEquals("set", sandbox.eval("type(fs).__name__"));
    }

    @Test
    void opaqueReferences() {
        sandbox.exec("o = object()\ndef is_o(x):\n    return x is o\n");
        Object r = sandbox.eval("o");
        PythonReference ref = assertInstanceOf(PythonReference.class, r);
        assertEquals("object", ref.typeName());
        assertFalse(ref.isReleased());
        assertEquals(true, sandbox.call("is_o", ref));

        Object back = sandbox.call("ident", ref);
        assertInstanceOf(PythonReference.class, back);
        assertEquals(true, sandbox.call("is_o", back));

        sandbox.set("o2", ref);
        assertEquals(true, sandbox.eval("o2 is o"));
        List<?> inList = (List<?>) sandbox.call("ident", List.of(ref, 1));
        assertEquals(true, sandbox.call("is_o", inList.get(0)));
        assertEquals(1L, inList.get(1));

        PythonReference function = (PythonReference) sandbox.eval("ident");
        assertEquals("function", function.typeName());
        assertNotEquals(ref, function);
    }

    @Test
    void referencesOfAnotherSandboxAreRefused() {
        PythonReference ref = (PythonReference) sandbox.eval("object()");
        Sandbox other = Sandbox.builder().build();
        try {
            other.exec("def ident(x):\n    return x\n");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> other.call("ident", ref));
            assertTrue(e.getMessage().contains("sandbox"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> other.set("x", List.of(ref)));
            PythonReference foreign = (PythonReference) other.eval("object()");
            assertThrows(IllegalArgumentException.class, () -> sandbox.call("ident", foreign));
            assertEquals(2L, other.eval("1 + 1"));
            other.close();
            assertTrue(foreign.isReleased());
            assertFalse(ref.isReleased());
        } finally {
            other.close();
        }
    }

    @Test
    void unreachableReferencesAreReleased() throws InterruptedException {
        // No imports: __del__ tells when the sandbox has dropped the object.
        sandbox.exec("freed = False\n"
                + "class Probe:\n"
                + "    def __del__(self):\n"
                + "        global freed\n"
                + "        freed = True\n"
                + "probe = Probe()\n");
        Object r = sandbox.eval("probe");
        assertInstanceOf(PythonReference.class, r);
        sandbox.exec("del probe");
        assertEquals(false, sandbox.get("freed"), "the reference keeps the object alive");
        r = null;
        boolean released = false;
        long until = System.nanoTime() + 20_000_000_000L; // GC and its queue run when they can
        while (!released && System.nanoTime() < until) {
            System.gc();
            Thread.sleep(20);
            // Each call first releases what Java collected.
            released = Boolean.TRUE.equals(sandbox.get("freed"));
        }
        assertTrue(released, "the object was not released after its reference was collected");
    }
}
