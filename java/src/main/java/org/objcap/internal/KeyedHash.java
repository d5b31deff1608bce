package org.objcap.internal;

import java.math.BigInteger;
import java.security.SecureRandom;
import java.util.List;
import java.util.Set;
import org.objcap.PythonReference;

/**
 * Hashes of decoded values under a key secret to this JVM (SipHash-1-3 over
 * the value's content), so that a sandbox cannot choose dictionary keys or
 * set items that all collide: Java's own {@code hashCode} of strings,
 * numbers and lists is public and easy to collide, and a {@link java.util.HashMap}
 * bin of colliding keys that Java cannot order (lists, mixed types) costs
 * time quadratic in their number. Equal values (by {@code equals}) hash
 * equally, whatever {@link List} or {@link Set} class holds them.
 */
final class KeyedHash {
    private static final long K0;
    private static final long K1;

    static {
        SecureRandom random = new SecureRandom();
        K0 = random.nextLong();
        K1 = random.nextLong();
    }

    private long v0;
    private long v1;
    private long v2;
    private long v3;
    private long length;

    private KeyedHash() {
        v0 = K0 ^ 0x736f6d6570736575L;
        v1 = K1 ^ 0x646f72616e646f6dL;
        v2 = K0 ^ 0x6c7967656e657261L;
        v3 = K1 ^ 0x7465646279746573L;
    }

    /** The keyed hash of a decoded value (or of a key the host looks up). */
    static long of(Object value) {
        KeyedHash h = new KeyedHash();
        h.add(value);
        return h.finish();
    }

    private void add(Object value) {
        if (value == null) {
            word(0);
        } else if (value instanceof String s) {
            word(1);
            word(s.length());
            for (int i = 0; i < s.length(); i += 4) {
                long w = 0;
                for (int j = i; j < Math.min(i + 4, s.length()); j++) {
                    w = (w << 16) | s.charAt(j);
                }
                word(w);
            }
        } else if (value instanceof Long l) {
            word(2);
            word(l);
        } else if (value instanceof Double d) {
            word(3);
            word(Double.doubleToLongBits(d));
        } else if (value instanceof Boolean b) {
            word(b ? 4 : 5);
        } else if (value instanceof BigInteger big) {
            word(6);
            byte[] bytes = big.toByteArray();
            word(bytes.length);
            for (byte b : bytes) {
                word(b);
            }
        } else if (value instanceof List<?> list) {
            word(7);
            word(list.size());
            for (Object item : list) {
                word(of(item));
            }
        } else if (value instanceof Set<?> set) {
            // Order-independent: equal sets iterate in any order.
            long sum = 0;
            for (Object item : set) {
                sum += of(item);
            }
            word(8);
            word(set.size());
            word(sum);
        } else if (value instanceof PythonReference ref) {
            // Its hashCode collides for chosen handles; its text does not.
            add(ref.toString());
        } else {
            // byte[] (identity, as in any Java map) and anything else.
            word(9);
            word(value.hashCode());
        }
    }

    private void word(long m) {
        v3 ^= m;
        round();
        v0 ^= m;
        length++;
    }

    private long finish() {
        word(length);
        v2 ^= 0xff;
        round();
        round();
        round();
        return v0 ^ v1 ^ v2 ^ v3;
    }

    private void round() {
        v0 += v1;
        v1 = Long.rotateLeft(v1, 13);
        v1 ^= v0;
        v0 = Long.rotateLeft(v0, 32);
        v2 += v3;
        v3 = Long.rotateLeft(v3, 16);
        v3 ^= v2;
        v0 += v3;
        v3 = Long.rotateLeft(v3, 21);
        v3 ^= v0;
        v2 += v1;
        v1 = Long.rotateLeft(v1, 17);
        v1 ^= v2;
        v2 = Long.rotateLeft(v2, 32);
    }
}
