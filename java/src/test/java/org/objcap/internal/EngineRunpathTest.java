package org.objcap.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The engines in the jar name no directory of the build machine to load
 * libraries from. The build's RUNPATH (where Maven unpacked CPython) was
 * in the jar's cp314 engine: anyone who could create that path on another
 * machine had the loader take {@code libc.so.6} from it in every worker,
 * before its confinement (found by review: a libc of another user's ran
 * in the worker as the host's user).
 */
class EngineRunpathTest {
    private static final long DT_NULL = 0;
    private static final long DT_RPATH = 15;
    private static final long DT_RUNPATH = 29;
    private static final int PT_DYNAMIC = 2;

    @Test
    void theJarsEnginesHaveNoRunpath() throws IOException {
        int checked = 0;
        for (String tag : List.of("cp311", "cp312", "cp313", "cp314")) {
            for (String file : List.of("libobjcap.so", "objcap-worker")) {
                String name = "/linux-x86-64/" + tag + "/" + file;
                try (InputStream in = EngineRunpathTest.class.getResourceAsStream(name)) {
                    if (in == null) {
                        continue;
                    }
                    List<Long> tags = dynamicTags(in.readAllBytes());
                    assertFalse(tags.isEmpty(), name + " has no dynamic section");
                    assertFalse(tags.contains(DT_RUNPATH), name + " has a RUNPATH");
                    assertFalse(tags.contains(DT_RPATH), name + " has an RPATH");
                    checked++;
                }
            }
        }
        assertTrue(checked >= 2, "no engine in the jar");
    }

    /** The tags of an ELF64 little-endian file's PT_DYNAMIC segment. */
    private static List<Long> dynamicTags(byte[] elf) {
        ByteBuffer b = ByteBuffer.wrap(elf).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(0x464c457f, b.getInt(0), "not ELF");
        assertEquals(2, b.get(4), "not 64-bit");
        long phoff = b.getLong(0x20);
        int phentsize = Short.toUnsignedInt(b.getShort(0x36));
        int phnum = Short.toUnsignedInt(b.getShort(0x38));
        List<Long> tags = new ArrayList<>();
        for (int i = 0; i < phnum; i++) {
            int ph = (int) (phoff + (long) i * phentsize);
            if (b.getInt(ph) != PT_DYNAMIC) {
                continue;
            }
            long offset = b.getLong(ph + 8);
            long size = b.getLong(ph + 32);
            for (long at = offset; at + 16 <= offset + size; at += 16) {
                long tag = b.getLong((int) at);
                if (tag == DT_NULL) {
                    break;
                }
                tags.add(tag);
            }
        }
        assertNotNull(tags);
        return tags;
    }
}
