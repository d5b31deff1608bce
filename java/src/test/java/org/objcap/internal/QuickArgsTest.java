package org.objcap.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The quick encoding of common arguments must give exactly the packer's
 * bytes (the engine cannot tell which made them), and leave everything
 * else to the packer.
 */
class QuickArgsTest {
    private final ValueCodec codec = new ValueCodec(null);

    private void sameAsThePacker(Object... values) {
        byte[] quick = QuickArgs.encode(values);
        assertNotNull(quick, () -> "not served quickly: " + Arrays.toString(values));
        assertArrayEquals(codec.encodeArrayWithPacker(values), quick, () -> Arrays.toString(values));
    }

    @Test
    void integersAtEveryFormsEdgeMatch() {
        List<Long> edges = new ArrayList<>(List.of(Long.MIN_VALUE, Long.MAX_VALUE, 0L));
        for (int bits : new int[] {5, 7, 8, 15, 16, 31, 32, 63}) {
            long edge = bits == 63 ? Long.MAX_VALUE : 1L << bits;
            for (long d = -2; d <= 2; d++) {
                edges.add(edge + d);
                edges.add(-edge + d);
            }
        }
        for (long v : edges) {
            sameAsThePacker(v);
            sameAsThePacker((int) v, (short) v, (byte) v);
        }
        Random random = new Random(17);
        for (int i = 0; i < 10_000; i++) {
            sameAsThePacker(random.nextLong() >> random.nextInt(64));
        }
    }

    @Test
    void otherScalarsMatch() {
        sameAsThePacker();
        sameAsThePacker((Object) null);
        sameAsThePacker(true, false, null);
        sameAsThePacker(0.0, -0.0, 1.5, Double.NaN, Double.POSITIVE_INFINITY, Double.MIN_VALUE, 3.25f);
        sameAsThePacker(Double.longBitsToDouble(0x7ff8_0000_0000_1234L));
        sameAsThePacker("", "f", "x".repeat(31), "tab\tand\u007f");
        Object[] fifteen = new Object[15];
        Arrays.fill(fifteen, 300L);
        sameAsThePacker(fifteen);
    }

    @Test
    void everythingElseIsLeftToThePacker() {
        assertNull(QuickArgs.encode(new Object[16]));
        assertNull(QuickArgs.encode(new Object[] {"x".repeat(32)}));
        assertNull(QuickArgs.encode(new Object[] {"é"}));
        assertNull(QuickArgs.encode(new Object[] {"\ud800"}));
        assertNull(QuickArgs.encode(new Object[] {1, List.of(1)}));
        assertNull(QuickArgs.encode(new Object[] {new byte[1]}));
        assertNull(QuickArgs.encode(new Object[] {java.math.BigInteger.ONE}));
        assertNull(QuickArgs.encode(new Object[] {'c'}));
    }
}
