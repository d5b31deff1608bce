package org.objcap.internal;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * WTF-8: UTF-8 extended so that lone surrogates survive.
 *
 * <p>Both Java strings and Python strings may hold lone surrogates, which
 * plain UTF-8 cannot express ({@code String.getBytes(UTF_8)} turns them into
 * {@code ?}). The engine encodes them as their 3-byte form ({@code ED A0 80}
 * for U+D800); this class does the same on the Java side. A surrogate
 * <em>pair</em> is encoded as the 4-byte UTF-8 form of its code point, so
 * ordinary text is ordinary UTF-8.
 */
public final class Wtf8 {
    private static final char REPLACEMENT = '\uFFFD';

    private Wtf8() {}

    /**
     * Encodes a string as WTF-8.
     *
     * @param s the string, possibly holding lone surrogates
     * @return its WTF-8 bytes
     */
    public static byte[] encode(String s) {
        if (!hasSurrogate(s)) {
            // The JDK's encoder is much faster and exact when no surrogate
            // needs special treatment.
            return s.getBytes(StandardCharsets.UTF_8);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(s.length() * 3);
        int n = s.length();
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
                writeCodePoint(out, Character.toCodePoint(c, s.charAt(i + 1)));
                i++;
            } else {
                // A lone surrogate falls through here and gets its 3-byte form.
                writeCodePoint(out, c);
            }
        }
        return out.toByteArray();
    }

    /**
     * Decodes WTF-8 bytes. Invalid sequences become U+FFFD, one per byte that
     * cannot start a valid sequence.
     *
     * @param bytes the bytes
     * @return the decoded string
     */
    public static String decode(byte[] bytes) {
        return decode(bytes, 0, bytes.length);
    }

    /**
     * Decodes a range of WTF-8 bytes.
     *
     * @param bytes the bytes
     * @param offset first byte to decode
     * @param length number of bytes
     * @return the decoded string
     */
    public static String decode(byte[] bytes, int offset, int length) {
        if (!hasSurrogateLead(bytes, offset, length)) {
            // Without an ED lead byte there is no surrogate, so the JDK's
            // (fast) decoder gives the same result.
            return new String(bytes, offset, length, StandardCharsets.UTF_8);
        }
        StringBuilder sb = new StringBuilder(length);
        int i = offset;
        int end = offset + length;
        while (i < end) {
            int b0 = bytes[i] & 0xFF;
            if (b0 < 0x80) {
                sb.append((char) b0);
                i++;
                continue;
            }
            int need;
            int min;
            int cp;
            if (b0 >= 0xC2 && b0 <= 0xDF) {
                need = 1;
                min = 0x80;
                cp = b0 & 0x1F;
            } else if (b0 >= 0xE0 && b0 <= 0xEF) {
                need = 2;
                min = 0x800;
                cp = b0 & 0x0F;
            } else if (b0 >= 0xF0 && b0 <= 0xF4) {
                need = 3;
                min = 0x10000;
                cp = b0 & 0x07;
            } else {
                sb.append(REPLACEMENT);
                i++;
                continue;
            }
            if (i + need >= end) {
                // Not enough bytes left for the sequence.
                sb.append(REPLACEMENT);
                i++;
                continue;
            }
            boolean ok = true;
            for (int k = 1; k <= need; k++) {
                int b = bytes[i + k] & 0xFF;
                if ((b & 0xC0) != 0x80) {
                    ok = false;
                    break;
                }
                cp = (cp << 6) | (b & 0x3F);
            }
            if (!ok || cp < min || cp > Character.MAX_CODE_POINT) {
                sb.append(REPLACEMENT);
                i++;
                continue;
            }
            // Surrogate code points (3-byte form) are accepted: that is the
            // whole point of WTF-8. Two adjacent ones form a pair in Java.
            sb.appendCodePoint(cp);
            i += need + 1;
        }
        return sb.toString();
    }

    private static boolean hasSurrogate(String s) {
        for (int i = 0, n = s.length(); i < n; i++) {
            if (Character.isSurrogate(s.charAt(i))) {
                return true;
            }
        }
        return false;
    }

    private static boolean hasSurrogateLead(byte[] bytes, int offset, int length) {
        for (int i = offset, end = offset + length; i < end; i++) {
            if (bytes[i] == (byte) 0xED) {
                return true;
            }
        }
        return false;
    }

    private static void writeCodePoint(ByteArrayOutputStream out, int cp) {
        if (cp < 0x80) {
            out.write(cp);
        } else if (cp < 0x800) {
            out.write(0xC0 | (cp >> 6));
            out.write(0x80 | (cp & 0x3F));
        } else if (cp < 0x10000) {
            out.write(0xE0 | (cp >> 12));
            out.write(0x80 | ((cp >> 6) & 0x3F));
            out.write(0x80 | (cp & 0x3F));
        } else {
            out.write(0xF0 | (cp >> 18));
            out.write(0x80 | ((cp >> 12) & 0x3F));
            out.write(0x80 | ((cp >> 6) & 0x3F));
            out.write(0x80 | (cp & 0x3F));
        }
    }
}
