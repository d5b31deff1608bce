package org.objcap.internal;

/**
 * The arguments of most calls, encoded without a packer: at most 15 of
 * them, each {@code null}, a boolean, an integer or floating-point box, or
 * a string of at most 31 ASCII characters. The bytes are exactly those
 * {@link ValueCodec}'s packer writes for them (the smallest integer form,
 * a float64 for floating point, a fixstr); anything else is left to the
 * packer. Two passes, so that the one array made is the result.
 */
final class QuickArgs {
    private static final int MAX_COUNT = 15;
    private static final int MAX_STRING = 31;

    private QuickArgs() {}

    /**
     * The arguments as one MessagePack array.
     *
     * @param args the arguments
     * @return their bytes, or {@code null} if one is of a kind not served here
     */
    static byte[] encode(Object[] args) {
        if (args.length > MAX_COUNT) {
            return null;
        }
        // Read once: another thread of the host may change the array between
        // the two passes (the sizes would then not be those written).
        Object[] values = args.clone();
        int size = 1;
        for (Object v : values) {
            int n = size(v);
            if (n < 0) {
                return null;
            }
            size += n;
        }
        byte[] out = new byte[size];
        out[0] = (byte) (0x90 | values.length);
        int at = 1;
        for (Object v : values) {
            at = write(v, out, at);
        }
        return out;
    }

    /** The bytes one value takes, or -1 if it is not served here. */
    private static int size(Object v) {
        if (v == null || v instanceof Boolean) {
            return 1;
        }
        if (v instanceof Long || v instanceof Integer || v instanceof Short || v instanceof Byte) {
            return longSize(((Number) v).longValue());
        }
        if (v instanceof Double || v instanceof Float) {
            return 9;
        }
        if (v instanceof String s && s.length() <= MAX_STRING) {
            for (int i = 0; i < s.length(); i++) {
                if (s.charAt(i) >= 0x80) {
                    return -1;
                }
            }
            return 1 + s.length();
        }
        return -1;
    }

    /** The size of msgpack-java's packLong form of v. */
    private static int longSize(long v) {
        if (v < -(1L << 5)) {
            if (v < -(1L << 15)) {
                return v < -(1L << 31) ? 9 : 5;
            }
            return v < -(1L << 7) ? 3 : 2;
        }
        if (v < (1L << 7)) {
            return 1;
        }
        if (v < (1L << 16)) {
            return v < (1L << 8) ? 2 : 3;
        }
        return v < (1L << 32) ? 5 : 9;
    }

    private static int write(Object v, byte[] out, int at) {
        if (v == null) {
            out[at] = (byte) 0xc0;
            return at + 1;
        }
        if (v instanceof Boolean b) {
            out[at] = (byte) (b ? 0xc3 : 0xc2);
            return at + 1;
        }
        if (v instanceof Double || v instanceof Float) {
            out[at] = (byte) 0xcb;
            return bigEndian(Double.doubleToRawLongBits(((Number) v).doubleValue()), 8, out, at + 1);
        }
        if (v instanceof String s) {
            out[at] = (byte) (0xa0 | s.length());
            for (int i = 0; i < s.length(); i++) {
                out[at + 1 + i] = (byte) s.charAt(i);
            }
            return at + 1 + s.length();
        }
        return writeLong(((Number) v).longValue(), out, at);
    }

    private static int writeLong(long v, byte[] out, int at) {
        int size = longSize(v);
        if (size == 1) {
            out[at] = (byte) v;
            return at + 1;
        }
        int code;
        if (v < 0) {
            code = size == 2 ? 0xd0 : size == 3 ? 0xd1 : size == 5 ? 0xd2 : 0xd3;
        } else {
            code = size == 2 ? 0xcc : size == 3 ? 0xcd : size == 5 ? 0xce : 0xcf;
        }
        out[at] = (byte) code;
        return bigEndian(v, size - 1, out, at + 1);
    }

    private static int bigEndian(long v, int bytes, byte[] out, int at) {
        for (int i = bytes - 1; i >= 0; i--) {
            out[at + i] = (byte) v;
            v >>>= 8;
        }
        return at + bytes;
    }
}
