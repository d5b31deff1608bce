package org.objcap.internal;

import java.io.IOException;
import java.lang.reflect.Array;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.msgpack.core.ExtensionTypeHeader;
import org.msgpack.core.MessageBufferPacker;
import org.msgpack.core.MessageFormat;
import org.msgpack.core.MessagePack;
import org.msgpack.core.MessagePackException;
import org.msgpack.core.MessageUnpacker;
import org.objcap.PythonReference;
import org.objcap.SandboxException;

/**
 * Converts Java values to the engine's MessagePack value format and back
 * (see {@code native/include/objcap.h}).
 *
 * <table>
 * <caption>Conversions</caption>
 * <tr><th>Java</th><th>MessagePack</th><th>Python</th></tr>
 * <tr><td>{@code null}</td><td>nil</td><td>{@code None}</td></tr>
 * <tr><td>{@code Boolean}</td><td>bool</td><td>{@code bool}</td></tr>
 * <tr><td>{@code Long} (from {@code Integer}, {@code Short}, {@code Byte}),
 *     {@code BigInteger}</td><td>int, or ext BIGINT beyond 64 bits</td>
 *     <td>{@code int}</td></tr>
 * <tr><td>{@code Double} (from {@code Float})</td><td>float64</td>
 *     <td>{@code float}</td></tr>
 * <tr><td>{@code String} (from {@code Character})</td><td>str (WTF-8)</td>
 *     <td>{@code str}</td></tr>
 * <tr><td>{@code byte[]}</td><td>bin</td><td>{@code bytes}</td></tr>
 * <tr><td>{@code List} (from any {@code Collection} or array)</td>
 *     <td>array</td><td>{@code list}</td></tr>
 * <tr><td>unmodifiable {@code List}</td><td>ext TUPLE</td>
 *     <td>{@code tuple} (Python to Java only)</td></tr>
 * <tr><td>{@code Map} (decoded as a mutable map in insertion order whose
 *     hashing a sandbox cannot steer)</td><td>map</td>
 *     <td>{@code dict}</td></tr>
 * <tr><td>{@code Set} (decoded likewise)</td><td>ext SET,
 *     ext FROZENSET</td><td>{@code set}, {@code frozenset} (Python to Java
 *     only; unmodifiable)</td></tr>
 * <tr><td>{@link PythonReference}</td><td>ext REFERENCE</td>
 *     <td>the object itself</td></tr>
 * </table>
 *
 * <p>Python integers that fit in a {@code long} decode as {@code Long},
 * larger ones as {@code BigInteger}.
 */
public final class ValueCodec {
    /** Most values are small: buffers start at 256 bytes, not the default 8 KiB. */
    private static final MessagePack.PackerConfig SMALL_FIRST = new MessagePack.PackerConfig().withBufferSize(256);

    /**
     * Deepest container nesting accepted, in either direction: the engine's
     * OBJCAP_MAX_DEPTH (objcap.h). Encoding, it also stops cyclic
     * collections; decoding, a deeper value is a hostile worker's.
     */
    public static final int MAX_DEPTH = 32;

    static final int MAX_DECODED_DEPTH = MAX_DEPTH;
    /** How many values are decoded between two looks at the clock. */
    private static final int DEADLINE_STRIDE = 1 << 12;

    static final byte EXT_BIGINT = 1;
    static final byte EXT_TUPLE = 2;
    static final byte EXT_SET = 3;
    static final byte EXT_FROZENSET = 4;
    static final byte EXT_REFERENCE = 5;

    private final ReferenceCodec references;

    /**
     * Creates a codec for one sandbox.
     *
     * @param references converts that sandbox's references, or {@code null}
     *     for a codec that refuses references (for options and error maps)
     */
    public ValueCodec(ReferenceCodec references) {
        this.references = references;
    }

    /**
     * Encodes one value.
     *
     * @param value a value of a type in the table above
     * @return its MessagePack bytes
     * @throws IllegalArgumentException if the value, or something in it,
     *     cannot be converted, or it nests too deeply
     */
    public byte[] encode(Object value) {
        MessageBufferPacker packer = takePacker();
        try {
            pack(packer, value, 0);
            return packer.toByteArray();
        } catch (IOException e) {
            // The packer writes to memory; it only fails if that fails.
            throw new IllegalStateException("cannot encode value", e);
        } finally {
            givePacker(packer);
        }
    }

    /*
     * A thread's packer, kept between values (a new one costs a buffer and
     * more per short call).  Lent to one encoding at a time: one that
     * starts while it is out (none does today) gets a packer of its own.
     * One that grew past its first buffer is not kept, so that a thread
     * holds no large buffer after a large value.
     */
    private static final ThreadLocal<MessageBufferPacker[]> PACKER =
            ThreadLocal.withInitial(() -> new MessageBufferPacker[1]);

    private static MessageBufferPacker takePacker() {
        MessageBufferPacker[] mine = PACKER.get();
        MessageBufferPacker packer = mine[0];
        if (packer == null) {
            return SMALL_FIRST.newBufferPacker();
        }
        mine[0] = null;
        packer.clear();
        return packer;
    }

    private static void givePacker(MessageBufferPacker packer) {
        if (packer.getBufferSize() <= SMALL_FIRST.getBufferSize()) {
            PACKER.get()[0] = packer;
        }
    }

    /**
     * Encodes arguments as one MessagePack array.
     *
     * @param values the arguments
     * @return the array's bytes
     * @throws IllegalArgumentException as {@link #encode(Object)}
     */
    public byte[] encodeArray(Object[] values) {
        byte[] quick = QuickArgs.encode(values);
        return quick != null ? quick : encodeArrayWithPacker(values);
    }

    /**
     * {@link #encodeArray} through the packer, whatever the arguments.
     *
     * @param values the arguments
     * @return the array's bytes
     */
    byte[] encodeArrayWithPacker(Object[] values) {
        MessageBufferPacker packer = takePacker();
        try {
            packer.packArrayHeader(values.length);
            for (Object v : values) {
                pack(packer, v, 1);
            }
            return packer.toByteArray();
        } catch (IOException e) {
            throw new IllegalStateException("cannot encode value", e);
        } finally {
            givePacker(packer);
        }
    }

    /**
     * Decodes one value made by the engine.
     *
     * @param data MessagePack bytes
     * @return the Java value
     * @throws SandboxException if the bytes are not a valid value
     */
    public Object decode(byte[] data) {
        return decode(data, Long.MAX_VALUE, DEFAULT_HEAP_BYTES);
    }

    /**
     * The heap a value decoded without a limit of its own may take (error
     * reports, denials, isolation reports: small maps, unless a worker
     * lies).
     */
    public static final long DEFAULT_HEAP_BYTES = 64L << 20;

    /**
     * Decodes one value made by the engine, in time linear in its size
     * whatever it holds (maps and sets hash with a key the sandbox cannot
     * know: {@link KeyedHash}), giving up once {@link System#nanoTime()}
     * passes a deadline.
     *
     * @param data MessagePack bytes
     * @param deadlineNanos a {@link System#nanoTime()} value, or
     *     {@link Long#MAX_VALUE} for none
     * @param maxHeapBytes the most Java heap the value may take, estimated
     *     per object as decoding goes (an empty dict is one byte on the wire
     *     but a map of about a hundred bytes here), or
     *     {@link Long#MAX_VALUE} for no bound
     * @return the Java value
     * @throws SandboxException if the bytes are not a valid value
     * @throws DeadlinePassedException if decoding ran past the deadline
     * @throws TooLargeException if the value would take more heap than
     *     maxHeapBytes
     */
    public Object decode(byte[] data, long deadlineNanos, long maxHeapBytes) {
        if (data.length == 1 && maxHeapBytes >= HEAP_SLOT + HEAP_BOX) {
            // The commonest results, one byte each, without an unpacker:
            // what the unpacker would make of them, charged the same.
            int b = data[0];
            if (b >= -32 && b <= 127) { // negative or positive fixint
                return (long) b;
            }
            if (b == (byte) 0xc0) {
                return null;
            }
            if (b == (byte) 0xc2 || b == (byte) 0xc3) {
                return b == (byte) 0xc3;
            }
        }
        try (MessageUnpacker unpacker = MessagePack.newDefaultUnpacker(data)) {
            Decoding decoding = new Decoding(unpacker, deadlineNanos, maxHeapBytes);
            Object value = decoding.unpack(0);
            if (unpacker.hasNext()) {
                throw new SandboxException("the engine sent bytes after the value");
            }
            return value;
        } catch (IOException | MessagePackException | IllegalStateException e) {
            throw new SandboxException("the engine sent a malformed value: " + e.getMessage(), e);
        }
    }

    /** Thrown when a decoded value would take more heap than allowed. */
    public static final class TooLargeException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        TooLargeException() {
            super("the value would take more of the host's memory than the sandbox's result " + "size limit");
        }
    }

    /*
     * What one decoded object costs the heap, at most, on a 64-bit JVM:
     * its header and fields, and the slot that holds it.  The engine
     * charges the same before it lets a value out (values.c copy_cost), so
     * only a worker that is no longer ours sends more; keep them in step.
     */
    private static final long HEAP_SLOT = 8;
    private static final long HEAP_BOX = 24; // Long, Double, BigInteger's header
    private static final long HEAP_BIG = 48; // a BigInteger's magnitude array
    private static final long HEAP_STRING = 48; // String and its array, plus 2 per byte
    private static final long HEAP_ARRAY = 24; // byte[] header
    private static final long HEAP_LIST = 48; // ArrayList and its array
    private static final long HEAP_MAP = 160; // DecodedMap and its LinkedHashMap
    private static final long HEAP_ENTRY = 80; // an entry, its key wrapper, a bucket
    private static final long HEAP_REFERENCE = 320; // PythonReference, its table entry, cleaner

    /** Thrown when decoding a value runs past the call's deadline. */
    public static final class DeadlinePassedException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        DeadlinePassedException() {
            super("decoding the value ran past the call's time limit");
        }
    }

    private void pack(MessageBufferPacker p, Object v, int depth) throws IOException {
        if (v == null) {
            p.packNil();
        } else if (v instanceof Boolean b) {
            p.packBoolean(b);
        } else if (v instanceof Long || v instanceof Integer || v instanceof Short || v instanceof Byte) {
            p.packLong(((Number) v).longValue());
        } else if (v instanceof BigInteger big) {
            packBigInteger(p, big);
        } else if (v instanceof Double || v instanceof Float) {
            p.packDouble(((Number) v).doubleValue());
        } else if (v instanceof String s) {
            packString(p, s);
        } else if (v instanceof Character c) {
            packString(p, String.valueOf(c.charValue()));
        } else if (v instanceof byte[] bytes) {
            p.packBinaryHeader(bytes.length);
            p.writePayload(bytes);
        } else if (v instanceof PythonReference ref) {
            packReference(p, ref);
        } else if (v instanceof Map<?, ?> map) {
            packMap(p, map, enter(depth));
        } else if (v instanceof Set<?> set) {
            packExtArray(p, EXT_SET, set.toArray(), enter(depth));
        } else if (v instanceof Collection<?> c) {
            packArray(p, c.toArray(), enter(depth));
        } else if (v instanceof Object[] array) {
            packArray(p, array.clone(), enter(depth));
        } else if (v.getClass().isArray()) {
            packArray(p, boxPrimitives(v), enter(depth));
        } else {
            throw new IllegalArgumentException(
                    "cannot convert a " + v.getClass().getName() + " to a Python value");
        }
    }

    private static int enter(int depth) {
        if (depth >= MAX_DEPTH) {
            throw new IllegalArgumentException("value nests deeper than " + MAX_DEPTH + " levels (or is cyclic)");
        }
        return depth + 1;
    }

    private static void packBigInteger(MessageBufferPacker p, BigInteger big) throws IOException {
        if (big.bitLength() <= 63) {
            p.packLong(big.longValue());
        } else {
            byte[] bytes = big.toByteArray();
            p.packExtensionTypeHeader(EXT_BIGINT, bytes.length);
            p.writePayload(bytes);
        }
    }

    private static void packString(MessageBufferPacker p, String s) throws IOException {
        byte[] bytes = Wtf8.encode(s);
        p.packRawStringHeader(bytes.length);
        p.writePayload(bytes);
    }

    private void packReference(MessageBufferPacker p, PythonReference ref) throws IOException {
        if (references == null) {
            throw new IllegalArgumentException("a PythonReference cannot be used here");
        }
        long handle = references.handleOf(ref);
        MessageBufferPacker payload = SMALL_FIRST.newBufferPacker();
        payload.packArrayHeader(2);
        payload.packBigInteger(new BigInteger(Long.toUnsignedString(handle)));
        packString(payload, ref.typeName());
        writeExt(p, EXT_REFERENCE, payload);
    }

    private void packMap(MessageBufferPacker p, Map<?, ?> map, int depth) throws IOException {
        // A snapshot, so that the header's count matches what is written.
        Object[] entries = map.entrySet().toArray();
        p.packMapHeader(entries.length);
        for (Object o : entries) {
            Map.Entry<?, ?> e = (Map.Entry<?, ?>) o;
            pack(p, e.getKey(), depth);
            pack(p, e.getValue(), depth);
        }
    }

    private void packArray(MessageBufferPacker p, Object[] items, int depth) throws IOException {
        p.packArrayHeader(items.length);
        for (Object item : items) {
            pack(p, item, depth);
        }
    }

    private void packExtArray(MessageBufferPacker p, byte type, Object[] items, int depth) throws IOException {
        MessageBufferPacker payload = SMALL_FIRST.newBufferPacker();
        packArray(payload, items, depth);
        writeExt(p, type, payload);
    }

    private static void writeExt(MessageBufferPacker p, byte type, MessageBufferPacker payload) throws IOException {
        byte[] bytes = payload.toByteArray();
        p.packExtensionTypeHeader(type, bytes.length);
        p.writePayload(bytes);
    }

    private static Object[] boxPrimitives(Object array) {
        int n = Array.getLength(array);
        Object[] boxed = new Object[n];
        for (int i = 0; i < n; i++) {
            boxed[i] = Array.get(array, i);
        }
        return boxed;
    }

    /** One value being decoded: its unpacker, deadline and progress. */
    private final class Decoding {
        private final MessageUnpacker u;
        private final long deadlineNanos;
        private long heapLeft;
        private int untilClock = DEADLINE_STRIDE;

        Decoding(MessageUnpacker u, long deadlineNanos, long maxHeapBytes) {
            this.u = u;
            this.deadlineNanos = deadlineNanos;
            this.heapLeft = maxHeapBytes;
        }

        /** Charges an object before it is made. */
        private void charge(long bytes) {
            heapLeft -= bytes;
            if (heapLeft < 0) {
                throw new TooLargeException();
            }
        }

        Object unpack(int depth) throws IOException {
            if (--untilClock == 0) {
                untilClock = DEADLINE_STRIDE;
                if (deadlineNanos != Long.MAX_VALUE && System.nanoTime() - deadlineNanos > 0) {
                    throw new DeadlinePassedException();
                }
            }
            MessageFormat format = u.getNextFormat();
            charge(HEAP_SLOT);
            switch (format.getValueType()) {
                case NIL:
                    u.unpackNil();
                    return null;
                case BOOLEAN:
                    return u.unpackBoolean();
                case INTEGER:
                    charge(HEAP_BOX);
                    if (format == MessageFormat.UINT64) {
                        // msgpack-c writes a positive int64 past 2**32 so:
                        // a Long, charged as one (values.c copy_cost).
                        Object value = narrow(u.unpackBigInteger());
                        if (value instanceof BigInteger) {
                            charge(HEAP_BIG);
                        }
                        return value;
                    }
                    return u.unpackLong();
                case FLOAT:
                    charge(HEAP_BOX);
                    return u.unpackDouble();
                case STRING:
                    int textLength = u.unpackRawStringHeader();
                    charge(HEAP_STRING + 2L * textLength);
                    return Wtf8.decode(u.readPayload(textLength));
                case BINARY:
                    int binaryLength = u.unpackBinaryHeader();
                    charge(HEAP_ARRAY + binaryLength);
                    return u.readPayload(binaryLength);
                case ARRAY:
                    charge(HEAP_LIST);
                    return unpackList(u.unpackArrayHeader(), enterDecoded(depth));
                case MAP:
                    charge(HEAP_MAP);
                    return unpackMap(enterDecoded(depth));
                case EXTENSION:
                    return unpackExtension(u.unpackExtensionTypeHeader(), depth);
                default:
                    throw new SandboxException("the engine sent an unexpected value type: " + format);
            }
        }

        private List<Object> unpackList(int n, int depth) throws IOException {
            // Never sized from a claimed count alone: the items must arrive.
            List<Object> list = new ArrayList<>(Math.min(n, 1 << 16));
            for (int i = 0; i < n; i++) {
                list.add(unpack(depth));
            }
            return list;
        }

        private Map<Object, Object> unpackMap(int depth) throws IOException {
            int n = u.unpackMapHeader();
            Map<Object, Object> map = new DecodedMap(n);
            for (int i = 0; i < n; i++) {
                charge(HEAP_ENTRY);
                Object key = unpack(depth);
                map.put(key, unpack(depth));
            }
            return map;
        }

        @SuppressWarnings("unchecked")
        private Set<Object> unpackSet(int depth) throws IOException {
            int n = u.unpackArrayHeader();
            Map<Object, Boolean> map = (Map<Object, Boolean>) (Map<?, ?>) new DecodedMap(n);
            Set<Object> set = Collections.newSetFromMap(map);
            for (int i = 0; i < n; i++) {
                charge(HEAP_ENTRY);
                set.add(unpack(depth));
            }
            return set;
        }

        private Object unpackExtension(ExtensionTypeHeader h, int depth) throws IOException {
            switch (h.getType()) {
                case EXT_TUPLE:
                case EXT_SET:
                case EXT_FROZENSET:
                    // The payload is an array: read in place, not copied
                    // (a copy per level would multiply the work by the depth).
                    charge(h.getType() == EXT_TUPLE ? HEAP_LIST + HEAP_BOX : HEAP_MAP);
                    long start = u.getTotalReadBytes();
                    int inner = enterDecoded(depth);
                    Object value = h.getType() == EXT_TUPLE
                            ? Collections.unmodifiableList(unpackList(u.unpackArrayHeader(), inner))
                            : h.getType() == EXT_SET ? unpackSet(inner) : Collections.unmodifiableSet(unpackSet(inner));
                    if (u.getTotalReadBytes() - start != h.getLength()) {
                        throw new SandboxException("the engine sent a malformed extension");
                    }
                    return value;
                case EXT_BIGINT:
                    charge(HEAP_BOX + HEAP_BIG + 2L * h.getLength());
                    byte[] digits = u.readPayload(h.getLength());
                    return digits.length == 0 ? Long.valueOf(0) : narrow(new BigInteger(digits));
                case EXT_REFERENCE:
                    charge(HEAP_REFERENCE + HEAP_STRING + 2L * h.getLength());
                    return unpackReference(u.readPayload(h.getLength()));
                default:
                    throw new SandboxException("the engine sent an unknown extension type " + h.getType());
            }
        }
    }

    private static int enterDecoded(int depth) {
        if (depth >= MAX_DECODED_DEPTH) {
            throw new SandboxException("the engine sent a value nesting deeper than " + MAX_DECODED_DEPTH);
        }
        return depth + 1;
    }

    private PythonReference unpackReference(byte[] payload) throws IOException {
        try (MessageUnpacker inner = MessagePack.newDefaultUnpacker(payload)) {
            int n = inner.unpackArrayHeader();
            if (n < 2) {
                throw new SandboxException("the engine sent a malformed reference");
            }
            long handle = inner.unpackBigInteger().longValue(); // uint64 kept bit for bit
            String typeName = Wtf8.decode(inner.readPayload(inner.unpackRawStringHeader()));
            if (references == null) {
                throw new SandboxException("the engine sent a reference where none belongs");
            }
            return references.reference(handle, typeName);
        }
    }

    private static Object narrow(BigInteger value) {
        return value.bitLength() <= 63 ? (Object) value.longValue() : value;
    }
}
