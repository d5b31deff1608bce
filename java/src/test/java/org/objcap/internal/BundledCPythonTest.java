package org.objcap.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.objcap.SandboxException;

/**
 * The CPython bundled through Maven is copied out of its jar into a private
 * directory, whole or not at all, and every file is checked against the list
 * recorded at build time, at extraction and again by each JVM.
 */
class BundledCPythonTest {
    @TempDir
    Path root;

    @Test
    void extractedPrivatelyAndCompletely() throws IOException {
        CPythonInstall python = BundledCPython.prepare(root);
        assertEquals("cp314", python.abiTag());
        assertTrue(python.version().startsWith("3.14."), python.version());
        assertTrue(python.origin().startsWith("org.bytedeco:cpython:"), python.origin());
        Path dir = python.libpython().getParent();
        assertEquals(root, dir.getParent());
        assertEquals("rwx------", mode(dir));
        assertEquals("r--------", mode(python.libpython()));
        assertTrue(Files.isRegularFile(python.stdlib().resolve("os.py")));
        assertTrue(Files.isDirectory(python.dynload()));
        // What no sandbox needs stays in the jar.
        assertFalse(Files.exists(python.stdlib().resolve("test")));
        assertFalse(Files.exists(python.stdlib().resolve("site-packages")));
        try (Stream<Path> all = Files.walk(dir)) {
            assertTrue(all.noneMatch(p -> p.getFileName().toString().equals("__pycache__")));
        }
        try (Stream<Path> left = Files.list(root)) {
            assertEquals(List.of(dir), left.toList(), "a temporary directory was left behind");
        }
        // Found again, not extracted again.
        assertEquals(python, BundledCPython.prepare(root));
    }

    @Test
    void aChangedFileIsRefused() throws IOException {
        CPythonInstall python = BundledCPython.prepare(root);
        Path os = python.stdlib().resolve("os.py");
        Files.setPosixFilePermissions(os, PosixFilePermissions.fromString("rw-------"));
        Files.writeString(os, "\nCHANGED = True\n", StandardOpenOption.APPEND);
        SandboxException e = assertThrows(SandboxException.class, () -> BundledCPython.prepare(root));
        assertTrue(e.getMessage().contains("modified after extraction"), e.getMessage());
        assertTrue(e.getMessage().contains(os.toString()), e.getMessage());
    }

    @Test
    void aFileReplacedByALinkIsRefused() throws IOException {
        CPythonInstall python = BundledCPython.prepare(root);
        Path abc = python.stdlib().resolve("abc.py");
        Path elsewhere = Files.copy(abc, root.resolve("abc-copy.py"));
        Files.delete(abc);
        Files.createSymbolicLink(abc, elsewhere);
        SandboxException e = assertThrows(SandboxException.class, () -> BundledCPython.prepare(root));
        assertTrue(e.getMessage().contains("modified after extraction"), e.getMessage());
    }

    @Test
    void aMissingFileIsRefused() throws IOException {
        CPythonInstall python = BundledCPython.prepare(root);
        Path lib = python.libpython();
        Files.delete(lib);
        SandboxException e = assertThrows(SandboxException.class, () -> BundledCPython.prepare(root));
        assertTrue(e.getMessage().contains("modified after extraction"), e.getMessage());
    }

    /**
     * A file added beside the listed ones is refused like a changed one:
     * CPython would read a bytecode file in {@code __pycache__} instead of
     * the checked source (it ran in the JVM at start-up, found by review),
     * and the worker's loader takes any library in the libpython directory
     * (its {@code LD_LIBRARY_PATH}) before the system's.
     */
    @Test
    void anAddedFileIsRefused() throws IOException {
        CPythonInstall python = BundledCPython.prepare(root);
        Path cache = Files.createDirectories(python.stdlib().resolve("encodings/__pycache__"));
        Path pyc = Files.write(cache.resolve("__init__.cpython-314.pyc"), new byte[16]);
        SandboxException e = assertThrows(SandboxException.class, () -> BundledCPython.prepare(root));
        assertTrue(e.getMessage().contains("which objcap did not extract"), e.getMessage());
        assertTrue(e.getMessage().contains(cache.toString()), e.getMessage());
        Files.delete(pyc);
        Files.delete(cache);
        assertEquals(python, BundledCPython.prepare(root));

        Path libc = Files.write(python.libpython().resolveSibling("libc.so.6"), new byte[16]);
        e = assertThrows(SandboxException.class, () -> BundledCPython.prepare(root));
        assertTrue(e.getMessage().contains(libc.toString()), e.getMessage());
        Files.delete(libc);

        Path shadow = Files.createSymbolicLink(python.dynload().resolve("_json.abi3.so"), python.libpython());
        e = assertThrows(SandboxException.class, () -> BundledCPython.prepare(root));
        assertTrue(e.getMessage().contains(shadow.toString()), e.getMessage());
    }

    /** Two JVMs extracting at once: each into its own temporary directory, one rename wins. */
    @Test
    void concurrentExtractionsAgree() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(3);
        try {
            List<Future<CPythonInstall>> results = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                results.add(pool.submit(() -> BundledCPython.prepare(root)));
            }
            CPythonInstall first = results.get(0).get();
            for (Future<CPythonInstall> f : results) {
                assertEquals(first, f.get());
            }
        } finally {
            pool.shutdownNow();
        }
        try (Stream<Path> left = Files.list(root)) {
            assertEquals(1, left.count(), "temporary directories were left behind");
        }
    }

    private static String mode(Path p) throws IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS));
    }
}
