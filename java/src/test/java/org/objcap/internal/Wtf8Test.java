package org.objcap.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** WTF-8 encoding and decoding, without the native engine. */
class Wtf8Test {

    private static byte[] bytes(int... values) {
        byte[] b = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            b[i] = (byte) values[i];
        }
        return b;
    }

    @Test
    void asciiAndBmpAreUtf8() {
        assertArrayEquals("héllo 中".getBytes(StandardCharsets.UTF_8), Wtf8.encode("héllo 中"));
    }

    @Test
    void surrogatePairIsFourByteUtf8() {
        assertArrayEquals(bytes(0xF0, 0x9F, 0x98, 0x80), Wtf8.encode("\uD83D\uDE00"));
    }

    @Test
    void loneHighSurrogateIsThreeBytes() {
        assertArrayEquals(bytes(0xED, 0xA0, 0x80), Wtf8.encode("\uD800"));
    }

    @Test
    void loneLowSurrogateBetweenLetters() {
        assertArrayEquals(bytes('a', 0xED, 0xB0, 0x80, 'b'), Wtf8.encode("a\uDC00b"));
    }

    @Test
    void reversedPairIsTwoLoneSurrogates() {
        assertArrayEquals(bytes(0xED, 0xB0, 0x80, 0xED, 0xA0, 0x80), Wtf8.encode("\uDC00\uD800"));
    }

    @Test
    void highSurrogateAtEnd() {
        assertArrayEquals(bytes('x', 0xED, 0xAF, 0xBF), Wtf8.encode("x\uDBFF"));
    }

    @Test
    void decodesLoneSurrogates() {
        assertEquals("\uD800", Wtf8.decode(bytes(0xED, 0xA0, 0x80)));
        assertEquals("a\uDC00b", Wtf8.decode(bytes('a', 0xED, 0xB0, 0x80, 'b')));
    }

    @Test
    void decodesAstral() {
        assertEquals("😀", Wtf8.decode(bytes(0xF0, 0x9F, 0x98, 0x80)));
    }

    @Test
    void invalidBytesBecomeReplacementCharacters() {
        // 0xFF never starts a sequence; a truncated 3-byte sequence at the end.
        assertEquals("a\uFFFDb", Wtf8.decode(bytes('a', 0xFF, 'b')));
        assertEquals("\uFFFD\uFFFD", Wtf8.decode(bytes(0xED, 0xA0)));
        // Overlong encoding of '/' (C0 AF) is refused.
        assertEquals("\uFFFD\uFFFD\uD800", Wtf8.decode(bytes(0xC0, 0xAF, 0xED, 0xA0, 0x80)));
    }

    @Test
    void decodesARange() {
        byte[] b = bytes('x', 0xED, 0xA0, 0x80, 'y');
        assertEquals("\uD800", Wtf8.decode(b, 1, 3));
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "",
                "plain",
                "héllo",
                "😀",
                "\uD800",
                "a\uDC00b",
                "\uDC00\uD800",
                "\uD83D",
                "x\uDE00\uD83D\uDE00y",
                "\0",
                "mixed 中文 \uDFFF 😀 \uD800"
            })
    void roundTrips(String s) {
        assertEquals(s, Wtf8.decode(Wtf8.encode(s)));
    }

    @Test
    void everyCharRoundTrips() {
        StringBuilder sb = new StringBuilder();
        for (int c = 0; c <= 0xFFFF; c++) {
            sb.append((char) c).append('.');
        }
        String s = sb.toString();
        assertEquals(s, Wtf8.decode(Wtf8.encode(s)));
    }
}
