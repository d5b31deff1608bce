package org.objcap.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.math.BigInteger;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.msgpack.core.MessageBufferPacker;
import org.msgpack.core.MessageFormat;
import org.msgpack.core.MessagePack;
import org.msgpack.core.MessageUnpacker;
import org.msgpack.value.ValueType;
import org.objcap.SandboxException;

/** The codec's byte format, checked against msgpack-core, without the engine. */
class ValueCodecTest {
    private final ValueCodec codec = new ValueCodec(null);

    private static MessageUnpacker unpacker(byte[] b) {
        return MessagePack.newDefaultUnpacker(b);
    }

    @Test
    void integersWidenToInt() throws IOException {
        for (Object v : List.of((byte) 1, (short) 2, 3, 4L, BigInteger.valueOf(5))) {
            try (MessageUnpacker u = unpacker(codec.encode(v))) {
                assertEquals(ValueType.INTEGER, u.getNextFormat().getValueType());
                assertEquals(((Number) v).longValue(), u.unpackLong());
            }
        }
    }

    @Test
    void bigIntegerBeyondLongIsExtBigint() throws IOException {
        BigInteger big = BigInteger.TWO.pow(100).negate();
        try (MessageUnpacker u = unpacker(codec.encode(big))) {
            var header = u.unpackExtensionTypeHeader();
            assertEquals(ValueCodec.EXT_BIGINT, header.getType());
            assertEquals(big, new BigInteger(u.readPayload(header.getLength())));
        }
        assertEquals(big, codec.decode(codec.encode(big)));
    }

    @Test
    void decodesUint64BeyondLongAsBigInteger() throws IOException {
        MessageBufferPacker p = MessagePack.newDefaultBufferPacker();
        p.packBigInteger(BigInteger.TWO.pow(64).subtract(BigInteger.ONE));
        assertEquals(BigInteger.TWO.pow(64).subtract(BigInteger.ONE), codec.decode(p.toByteArray()));
    }

    @Test
    void smallBigintExtDecodesAsLong() throws IOException {
        MessageBufferPacker p = MessagePack.newDefaultBufferPacker();
        p.packExtensionTypeHeader(ValueCodec.EXT_BIGINT, 1);
        p.writePayload(new byte[] {-3});
        assertEquals(-3L, codec.decode(p.toByteArray()));
    }

    @Test
    void floatWidensToDouble() {
        assertEquals(0.25d, codec.decode(codec.encode(0.25f)));
    }

    @Test
    void characterIsString() {
        assertEquals("x", codec.decode(codec.encode('x')));
    }

    @Test
    void loneSurrogateIsWtf8OnTheWire() throws IOException {
        try (MessageUnpacker u = unpacker(codec.encode("\uD800"))) {
            int n = u.unpackRawStringHeader();
            assertArrayEquals(new byte[] {(byte) 0xED, (byte) 0xA0, (byte) 0x80}, u.readPayload(n));
        }
    }

    @Test
    void setIsExtSetHoldingAnArray() throws IOException {
        try (MessageUnpacker u = unpacker(codec.encode(Set.of(7)))) {
            var header = u.unpackExtensionTypeHeader();
            assertEquals(ValueCodec.EXT_SET, header.getType());
            try (MessageUnpacker inner = unpacker(u.readPayload(header.getLength()))) {
                assertEquals(1, inner.unpackArrayHeader());
                assertEquals(7L, inner.unpackLong());
            }
        }
    }

    @Test
    void tupleDecodesAsUnmodifiableListAllowingNulls() throws IOException {
        MessageBufferPacker inner = MessagePack.newDefaultBufferPacker();
        inner.packArrayHeader(2).packNil().packLong(1);
        byte[] payload = inner.toByteArray();
        MessageBufferPacker p = MessagePack.newDefaultBufferPacker();
        p.packExtensionTypeHeader(ValueCodec.EXT_TUPLE, payload.length);
        p.writePayload(payload);
        Object v = codec.decode(p.toByteArray());
        assertEquals(Arrays.asList(null, 1L), v);
        assertThrows(UnsupportedOperationException.class, () -> ((List<?>) v).add(null));
    }

    @Test
    void frozensetDecodesAsUnmodifiableSet() throws IOException {
        MessageBufferPacker inner = MessagePack.newDefaultBufferPacker();
        inner.packArrayHeader(2).packLong(1).packLong(2);
        byte[] payload = inner.toByteArray();
        MessageBufferPacker p = MessagePack.newDefaultBufferPacker();
        p.packExtensionTypeHeader(ValueCodec.EXT_FROZENSET, payload.length);
        p.writePayload(payload);
        Object v = codec.decode(p.toByteArray());
        assertEquals(Set.of(1L, 2L), v);
        assertThrows(UnsupportedOperationException.class, () -> castSet(v).add(3L));
    }

    @SuppressWarnings("unchecked")
    private static Set<Object> castSet(Object v) {
        return (Set<Object>) v;
    }

    @Test
    void mapKeepsInsertionOrder() {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < 100; i++) {
            m.put("k" + (i * 37 % 100), i);
        }
        Object back = codec.decode(codec.encode(m));
        assertEquals(new ArrayList<>(m.keySet()), new ArrayList<>(((Map<?, ?>) back).keySet()));
    }

    @Test
    void primitiveAndObjectArraysAreLists() {
        assertEquals(List.of(1L, 2L), codec.decode(codec.encode(new int[] {1, 2})));
        assertEquals(List.of(true, false), codec.decode(codec.encode(new boolean[] {true, false})));
        assertEquals(List.of("a", 1L), codec.decode(codec.encode(new Object[] {"a", 1})));
        assertArrayEquals(new byte[] {1, 2}, (byte[]) codec.decode(codec.encode(new byte[] {1, 2})));
    }

    @Test
    void unconvertibleObjectNamesItsClass() {
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> codec.encode(List.of(new StringBuilder())));
        assertTrue(e.getMessage().contains("java.lang.StringBuilder"), e.getMessage());
    }

    @Test
    void depthLimit() {
        Object v = "leaf";
        for (int i = 0; i < ValueCodec.MAX_DEPTH; i++) {
            v = List.of(v);
        }
        assertInstanceOf(List.class, codec.decode(codec.encode(v)));
        Object deeper = List.of(v);
        assertThrows(IllegalArgumentException.class, () -> codec.encode(deeper));
    }

    @Test
    void cycleIsRefused() {
        List<Object> cyclic = new ArrayList<>();
        cyclic.add(cyclic);
        assertThrows(IllegalArgumentException.class, () -> codec.encode(cyclic));
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("self", map);
        assertThrows(IllegalArgumentException.class, () -> codec.encode(map));
    }

    @Test
    void referenceRefusedWithoutASandbox() {
        MessageBufferPacker p = MessagePack.newDefaultBufferPacker();
        assertThrows(RuntimeException.class, () -> {
            MessageBufferPacker inner = MessagePack.newDefaultBufferPacker();
            inner.packArrayHeader(2).packLong(1).packString("object");
            byte[] payload = inner.toByteArray();
            p.packExtensionTypeHeader(ValueCodec.EXT_REFERENCE, payload.length);
            p.writePayload(payload);
            codec.decode(p.toByteArray());
        });
    }

    /** A map of n tuple keys (i, 31 * (n - i)): List.hashCode is 961 + 31 * n for all. */
    private static byte[] collidingTupleKeys(int n) throws IOException {
        MessageBufferPacker p = MessagePack.newDefaultBufferPacker();
        p.packMapHeader(n);
        for (int i = 0; i < n; i++) {
            MessageBufferPacker key = MessagePack.newDefaultBufferPacker();
            key.packArrayHeader(2).packLong(i).packLong(31L * (n - i));
            byte[] payload = key.toByteArray();
            p.packExtensionTypeHeader(ValueCodec.EXT_TUPLE, payload.length);
            p.writePayload(payload);
            p.packLong(i);
        }
        return p.toByteArray();
    }

    @Test
    void keysThatCollideInJavaDoNotMakeDecodingQuadratic() throws IOException {
        int n = 100_000;
        assertEquals(
                List.of(1L, 31L * (n - 1)).hashCode(),
                List.of(2L, 31L * (n - 2)).hashCode());
        // A HashMap takes minutes over these (every key in one bin, not
        // comparable); linear decoding takes well under a second.
        Map<?, ?> map = assertTimeoutPreemptively(
                Duration.ofSeconds(20), () -> (Map<?, ?>) codec.decode(collidingTupleKeys(n)));
        assertEquals(n, map.size());
        assertEquals(7L, map.get(List.of(7L, 31L * (n - 7))));
        // Strings and numbers whose Java hashes collide, mixed in one map.
        MessageBufferPacker p = MessagePack.newDefaultBufferPacker();
        int m = 20_000;
        p.packMapHeader(2 * m);
        for (int i = 0; i < m; i++) {
            StringBuilder key = new StringBuilder();
            for (int bit = 0; bit < 15; bit++) {
                key.append((i >> bit & 1) == 0 ? "Aa" : "BB"); // equal hashCodes
            }
            p.packString(key.toString()).packLong(i);
            // A Long whose hashCode is the strings' too: Java cannot order
            // a String against a Long, so a HashMap bin of both is a list.
            long h = key.toString().hashCode();
            long sameHash = ((long) i << 32) | ((h ^ i) & 0xffffffffL);
            assertEquals(key.toString().hashCode(), Long.hashCode(sameHash));
            p.packLong(sameHash).packLong(-i);
        }
        Map<?, ?> mixed =
                assertTimeoutPreemptively(Duration.ofSeconds(20), () -> (Map<?, ?>) codec.decode(p.toByteArray()));
        assertEquals(2 * m, mixed.size());
    }

    @Test
    void decodedMapsAndSetsBehaveAsJavaOnes() throws IOException {
        MessageBufferPacker p = MessagePack.newDefaultBufferPacker();
        p.packMapHeader(3)
                .packString("b")
                .packLong(1)
                .packString("a")
                .packLong(2)
                .packLong(3)
                .packNil();
        @SuppressWarnings("unchecked")
        Map<Object, Object> map = (Map<Object, Object>) codec.decode(p.toByteArray());
        Map<Object, Object> expected = new LinkedHashMap<>();
        expected.put("b", 1L);
        expected.put("a", 2L);
        expected.put(3L, null);
        assertEquals(expected, map);
        assertEquals(map, expected);
        assertEquals(expected.hashCode(), map.hashCode());
        assertEquals(List.of("b", "a", 3L), new ArrayList<>(map.keySet())); // insertion order
        assertTrue(map.containsKey(3L));
        assertEquals(null, map.get("missing"));
        map.put("c", 4L);
        map.remove("b");
        assertEquals(List.of("a", 3L, "c"), new ArrayList<>(map.keySet()));
        assertEquals("{a=2, 3=null, c=4}", map.toString());
        Set<?> set = (Set<?>) codec.decode(codec.encode(Set.of(List.of(1L, 2L), "x")));
        assertTrue(set.contains(List.of(1L, 2L)));
        assertTrue(set.contains("x"));
        assertEquals(Set.of(List.of(1L, 2L), "x"), set);
    }

    @Test
    void aWorkersDeeplyNestedOrTrailingBytesAreRefused() throws IOException {
        MessageBufferPacker p = MessagePack.newDefaultBufferPacker();
        for (int i = 0; i < ValueCodec.MAX_DECODED_DEPTH + 1; i++) {
            p.packArrayHeader(1);
        }
        p.packNil();
        assertThrows(SandboxException.class, () -> codec.decode(p.toByteArray()));
        MessageBufferPacker two = MessagePack.newDefaultBufferPacker();
        two.packNil().packNil();
        assertThrows(SandboxException.class, () -> codec.decode(two.toByteArray()));
        // A claimed count with nothing behind it allocates nothing big.
        MessageBufferPacker claim = MessagePack.newDefaultBufferPacker();
        claim.packArrayHeader(Integer.MAX_VALUE);
        assertThrows(SandboxException.class, () -> codec.decode(claim.toByteArray()));
        MessageBufferPacker mapClaim = MessagePack.newDefaultBufferPacker();
        mapClaim.packMapHeader(Integer.MAX_VALUE);
        assertThrows(SandboxException.class, () -> codec.decode(mapClaim.toByteArray()));
    }

    @Test
    void decodingGivesUpAtTheDeadline() throws IOException {
        byte[] big = collidingTupleKeys(50_000);
        assertThrows(
                ValueCodec.DeadlinePassedException.class,
                () -> codec.decode(big, System.nanoTime() - 1, Long.MAX_VALUE));
    }

    @Test
    void decodingStopsAtTheHeapBudget() throws IOException {
        MessageBufferPacker p = MessagePack.newDefaultBufferPacker();
        p.packArrayHeader(100_000);
        for (int i = 0; i < 100_000; i++) {
            p.packMapHeader(0); // one byte each, a map on the heap
        }
        byte[] maps = p.toByteArray();
        assertThrows(ValueCodec.TooLargeException.class, () -> codec.decode(maps, Long.MAX_VALUE, 1 << 20));
        assertEquals(100_000, ((List<?>) codec.decode(maps, Long.MAX_VALUE, 64 << 20)).size());
    }

    /** Every one-byte scalar (decoded without an unpacker) as msgpack-core reads it. */
    @Test
    void oneByteScalarsDecodeAsTheUnpackerReadsThem() throws IOException {
        int scalars = 0;
        for (int i = 0; i < 256; i++) {
            byte[] one = {(byte) i};
            if (i == 0xc1) {
                continue; // never used: no value at all
            }
            try (MessageUnpacker u = unpacker(one)) {
                MessageFormat format = u.getNextFormat();
                ValueType type = format.getValueType();
                if (format == MessageFormat.POSFIXINT || format == MessageFormat.NEGFIXINT) {
                    assertEquals(u.unpackLong(), codec.decode(one), "byte " + i);
                } else if (type == ValueType.NIL) {
                    assertNull(codec.decode(one), "byte " + i);
                } else if (type == ValueType.BOOLEAN) {
                    assertEquals(u.unpackBoolean(), codec.decode(one), "byte " + i);
                } else {
                    continue;
                }
                scalars++;
            }
        }
        assertEquals(128 + 32 + 3, scalars);
        // Within a heap bound too small for it, a one-byte int still does not fit.
        assertThrows(ValueCodec.TooLargeException.class, () -> codec.decode(new byte[] {1}, Long.MAX_VALUE, 16));
    }

    /** The thread's packer, kept between values, starts each one empty, also after one that failed half-way. */
    @Test
    void aKeptPackerStartsEveryValueEmpty() throws IOException {
        byte[] first = codec.encodeArray(new Object[] {1L, "a"});
        assertThrows(IllegalArgumentException.class, () -> codec.encodeArray(new Object[] {2L, new Object()}));
        assertArrayEquals(first, codec.encodeArray(new Object[] {1L, "a"}));
        byte[] big = codec.encode("x".repeat(100_000));
        try (MessageUnpacker u = unpacker(big)) {
            assertEquals(100_000, u.unpackString().length());
        }
        assertArrayEquals(first, codec.encodeArray(new Object[] {1L, "a"}));
        try (MessageUnpacker u = unpacker(codec.encode(7L))) {
            assertEquals(7L, u.unpackLong());
            assertFalse(u.hasNext());
        }
    }
}
