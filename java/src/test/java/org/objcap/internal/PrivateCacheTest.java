package org.objcap.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.objcap.SandboxException;

/**
 * The cache's root is refused under a directory another user could change:
 * what objcap checks there once is used by its path afterwards (found by
 * review: another user who owned the directory above swapped the checked
 * copy of CPython for theirs between two sandboxes, and the second worker
 * loaded their libc.so.6).
 */
class PrivateCacheTest {
    @TempDir
    Path dir;

    @Test
    void aPrivateOrStickyParentIsAccepted() throws IOException {
        Path mine = Files.createDirectory(dir.resolve("mine"));
        Files.setAttribute(mine, "unix:mode", 0755);
        assertEquals(mine.resolve("objcap"), PrivateCache.rootIn(mine));
        Path sticky = Files.createDirectory(dir.resolve("sticky"));
        Files.setAttribute(sticky, "unix:mode", 01777);
        assertEquals(sticky.resolve("objcap"), PrivateCache.rootIn(sticky));
    }

    @Test
    void aParentOthersCanWriteIsRefused() throws IOException {
        Path shared = Files.createDirectory(dir.resolve("shared"));
        Files.setAttribute(shared, "unix:mode", 0777);
        SandboxException e = assertThrows(SandboxException.class, () -> PrivateCache.rootIn(shared));
        assertTrue(e.getMessage().contains("another user could replace"), e.getMessage());
        assertTrue(e.getMessage().contains(shared.toString()), e.getMessage());
        // Above the root too, not only its parent; and through a link.
        Path below = Files.createDirectories(shared.resolve("a/b"));
        assertThrows(SandboxException.class, () -> PrivateCache.rootIn(below));
        Path link = Files.createSymbolicLink(dir.resolve("link"), below);
        assertThrows(SandboxException.class, () -> PrivateCache.rootIn(link));
    }
}
