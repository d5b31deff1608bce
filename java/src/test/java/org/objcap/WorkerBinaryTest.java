package org.objcap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.parallel.Isolated;
import org.objcap.internal.Interpreters;
import org.objcap.internal.JarBinary;

/**
 * The worker binary is extracted to a private directory and checked against
 * its build-time hash before every spawn. The tamper tests change the one
 * extracted file that every test of this JVM uses, so the class runs
 * {@link Isolated} (alone, should tests ever run in parallel) and restores
 * the file in {@code finally}; a file left changed by a killed JVM is
 * re-extracted by the next one, which finds the hash wrong.
 */
@Isolated
class WorkerBinaryTest {
    private static final Set<PosixFilePermission> OWNER_WRITE = PosixFilePermissions.fromString("rwx------");

    @TempDir
    Path dir;

    private static Path worker() {
        return Path.of(JarBinary.worker(Interpreters.resolve(null).abiTag()).verifiedPath());
    }

    @Test
    void extractedPrivately() throws IOException {
        Path worker = worker();
        assertTrue(worker.isAbsolute());
        assertEquals(
                "r-x------",
                PosixFilePermissions.toString(Files.getPosixFilePermissions(worker, LinkOption.NOFOLLOW_LINKS)));
        Path parent = worker.getParent();
        assertEquals(
                "rwx------",
                PosixFilePermissions.toString(Files.getPosixFilePermissions(parent, LinkOption.NOFOLLOW_LINKS)));
        assertEquals(
                System.getProperty("user.name"),
                Files.getOwner(parent, LinkOption.NOFOLLOW_LINKS).getName());
        assertFalse(Files.isSymbolicLink(worker));
        assertFalse(Files.isSymbolicLink(parent));
    }

    @Test
    void aWorkerChangedInPlaceIsNeverRun() throws IOException {
        Path worker = worker();
        byte[] original = Files.readAllBytes(worker);
        Set<PosixFilePermission> mode = Files.getPosixFilePermissions(worker);
        List<Long> before = WorkerProcesses.pids();
        boolean changed = false;
        try {
            Files.setPosixFilePermissions(worker, OWNER_WRITE);
            try {
                Files.write(worker, new byte[] {0}, StandardOpenOption.APPEND);
                changed = true;
            } catch (FileSystemException busy) {
                // A zygote of this JVM (started by an earlier test) runs the
                // file, and the kernel refuses to change a running program
                // (ETXTBSY): it cannot be changed in place at all then.
                assertTrue(String.valueOf(busy.getReason()).contains("busy"), busy.toString());
                assertFalse(WorkerProcesses.zygotes().isEmpty(), "busy, but no zygote runs it");
                return;
            }
            Files.setPosixFilePermissions(worker, mode);
            SandboxException e = assertThrows(
                    SandboxException.class,
                    () -> JarBinary.worker(Interpreters.resolve(null).abiTag()).verifiedPath());
            assertTrue(e.getMessage().contains("modified"), e.getMessage());
            e = assertThrows(SandboxException.class, () -> Sandbox.builder().build());
            assertTrue(e.getMessage().contains("refusing to run it"), e.getMessage());
            // Only a new pid tells: a worker left by an earlier test class may
            // be reaped meanwhile, by its sandbox's cleaner.
            List<Long> started = new ArrayList<>(WorkerProcesses.pids());
            started.removeAll(before);
            assertEquals(List.of(), started, "a worker was started");
        } finally {
            if (changed) {
                Files.setPosixFilePermissions(worker, OWNER_WRITE);
                Files.write(worker, original);
            }
            Files.setPosixFilePermissions(worker, mode);
        }
        try (Sandbox s = Sandbox.builder().build()) {
            assertEquals(2L, s.eval("1 + 1"));
        }
    }

    @Test
    void aReplacedWorkerIsNeverRun() throws IOException {
        Path worker = worker();
        Path saved = dir.resolve("saved-worker");
        Path marker = dir.resolve("ran");
        Files.copy(worker, saved, StandardCopyOption.COPY_ATTRIBUTES);
        try {
            Path fake = Files.writeString(worker.resolveSibling("fake.tmp"), "#!/bin/sh\ntouch '" + marker + "'\n");
            Files.setPosixFilePermissions(fake, PosixFilePermissions.fromString("r-x------"));
            Files.move(fake, worker, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            SandboxException e =
                    assertThrows(SandboxException.class, () -> Sandbox.builder().build());
            assertTrue(e.getMessage().contains("modified"), e.getMessage());
            assertFalse(Files.exists(marker), "the replaced worker was run");
        } finally {
            Files.copy(saved, worker, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.COPY_ATTRIBUTES);
        }
        assertEquals(
                worker.toString(),
                JarBinary.worker(Interpreters.resolve(null).abiTag()).verifiedPath());
        try (Sandbox s = Sandbox.builder().build()) {
            assertEquals(3L, s.eval("1 + 2"));
        }
    }
}
