package org.objcap.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.objcap.SandboxException;

/**
 * A binary's hash is computed again only when its identity or times
 * changed since it last matched (the worker's is checked before every
 * process-mode build). On a file of the test's own, since the worker
 * itself cannot be written while a zygote runs it.
 */
class JarBinaryTest {
    @TempDir
    Path dir;

    private JarBinary binary(Path file) throws IOException {
        return new JarBinary(file, PrivateCache.hash(file));
    }

    private static void refused(JarBinary b) {
        SandboxException e = assertThrows(SandboxException.class, b::verifiedPath);
        assertTrue(e.getMessage().contains("modified"), e.getMessage());
    }

    @Test
    void aSameLengthChangeWithItsTimePutBackIsFound() throws IOException {
        byte[] original = new byte[1 << 20];
        new Random(5).nextBytes(original);
        Path file = Files.write(dir.resolve("worker"), original);
        JarBinary b = binary(file);
        assertEquals(file.toString(), b.verifiedPath()); // remembered now
        FileTime modified = Files.getLastModifiedTime(file);
        byte[] changed = original.clone();
        changed[original.length / 2] ^= 1;
        Files.write(file, changed);
        Files.setLastModifiedTime(file, modified);
        assertEquals(original.length, Files.size(file));
        refused(b);
        refused(b); // and again: a mismatch is not remembered
        Files.write(file, original);
        assertEquals(file.toString(), b.verifiedPath());
    }

    @Test
    void aFileRenamedOverItIsFound() throws IOException {
        byte[] original = "the worker".getBytes();
        Path file = Files.write(dir.resolve("worker"), original);
        JarBinary b = binary(file);
        assertEquals(file.toString(), b.verifiedPath());
        Path other = Files.write(dir.resolve("other"), "the wrecker".getBytes());
        Files.setLastModifiedTime(other, Files.getLastModifiedTime(file));
        Files.move(other, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        refused(b);
    }
}
