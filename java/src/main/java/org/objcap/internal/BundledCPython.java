package org.objcap.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.objcap.SandboxException;

/**
 * The CPython objcap depends on through Maven ({@code org.bytedeco:cpython},
 * classifier {@code linux-x86_64}): the part of it that sandboxes need
 * (libpython, the standard library without its tests, lib-dynload) is
 * copied out of that jar once into the private cache, file by file checked
 * against the SHA-256 list recorded when objcap was built, and moved into
 * place whole, so that JVMs extracting at the same time never see half a
 * copy. Every JVM checks the copy again before its first use.
 */
final class BundledCPython {
    /** The engine whose build recorded the list. */
    static final String ABI_TAG = "cp314";

    private static final String LISTING = "/linux-x86-64/" + ABI_TAG + "/cpython.files";
    private static final String PREFIX = "org/bytedeco/cpython/linux-x86_64/";
    private static final Pattern HEADER = Pattern.compile("# (org\\.bytedeco:cpython:(\\S+):linux-x86_64) (\\S+)");
    private static final Pattern LINE = Pattern.compile("([0-9a-f]{64})  ((?:[A-Za-z0-9_.+@-]+/)*[A-Za-z0-9_.+@-]+)");
    private static final Pattern LIBPYTHON = Pattern.compile("libpython3\\.\\d+\\.so\\.1\\.0");

    private static CPythonInstall install;

    private BundledCPython() {}

    private record Entry(String sha256, String path) {}

    /**
     * The bundled CPython, extracting or checking it on first use.
     *
     * @return its install in the private cache
     * @throws SandboxException if it is not on the class path, differs from
     *     the one objcap was built with, or its copy was changed
     */
    static synchronized CPythonInstall get() {
        if (install == null) {
            install = prepare(PrivateCache.root());
        }
        return install;
    }

    /** Extracts (if needed) and checks the copy under {@code root}. */
    static CPythonInstall prepare(Path root) {
        byte[] listing = readListing();
        List<String> lines =
                new String(listing, StandardCharsets.US_ASCII).lines().toList();
        Matcher header = lines.isEmpty() ? null : HEADER.matcher(lines.get(0));
        if (header == null || !header.matches()) {
            throw new SandboxException(LISTING + " in the jar has no header");
        }
        String artifact = header.group(1);
        String version = header.group(3);
        List<Entry> entries = new ArrayList<>();
        String libpython = null;
        for (String line : lines.subList(1, lines.size())) {
            Matcher m = LINE.matcher(line);
            if (!m.matches() || m.group(2).contains("..")) {
                throw new SandboxException(LISTING + " has a bad line: " + line);
            }
            entries.add(new Entry(m.group(1), m.group(2)));
            if (LIBPYTHON.matcher(m.group(2)).matches()) {
                libpython = m.group(2);
            }
        }
        if (libpython == null) {
            throw new SandboxException(LISTING + " names no libpython");
        }
        String minor = version.substring(0, version.lastIndexOf('.'));
        Path dir = root.resolve(
                "cpython-" + header.group(2) + "-" + PrivateCache.hash(listing).substring(0, 16));
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            extract(entries, dir, artifact);
        }
        verify(entries, dir);
        try {
            return new CPythonInstall(
                    version,
                    ABI_TAG,
                    dir.resolve(libpython).toRealPath(),
                    dir.resolve("lib/python" + minor),
                    dir.resolve("lib/python" + minor + "/lib-dynload"),
                    artifact + " (Maven), extracted to " + dir);
        } catch (IOException e) {
            throw new SandboxException("cannot resolve " + dir.resolve(libpython), e);
        }
    }

    private static byte[] readListing() {
        try (InputStream in = BundledCPython.class.getResourceAsStream(LISTING)) {
            if (in == null) {
                throw new SandboxException(
                        "this objcap jar has no bundled CPython (" + LISTING + "); choose an installed one with "
                                + "Sandbox.builder().python(...) or -Dobjcap.python=/usr/bin/python3.X");
            }
            return in.readNBytes(16 << 20);
        } catch (IOException e) {
            throw new SandboxException("cannot read " + LISTING + " from the jar", e);
        }
    }

    /** Into a temporary directory beside the target, then renamed into place. */
    private static void extract(List<Entry> entries, Path dir, String artifact) {
        ClassLoader loader = BundledCPython.class.getClassLoader();
        Path temp;
        try {
            temp = Files.createTempDirectory(
                    dir.getParent(), ".extracting-", PosixFilePermissions.asFileAttribute(PrivateCache.PRIVATE_DIR));
        } catch (IOException e) {
            throw new SandboxException("cannot extract CPython into " + dir.getParent(), e);
        }
        try {
            for (Entry entry : entries) {
                copyChecked(loader, entry, temp.resolve(entry.path()), artifact);
            }
            try {
                Files.move(temp, dir, StandardCopyOption.ATOMIC_MOVE);
            } catch (FileSystemException e) {
                // rename(2) refuses (ENOTEMPTY) when another JVM extracted it
                // first; that copy is checked next.
                if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
                    throw e;
                }
            }
        } catch (IOException e) {
            throw new SandboxException("cannot extract " + artifact + " into " + dir, e);
        } finally {
            deleteTree(temp);
        }
    }

    private static void copyChecked(ClassLoader loader, Entry entry, Path target, String artifact) throws IOException {
        Files.createDirectories(target.getParent(), PosixFilePermissions.asFileAttribute(PrivateCache.PRIVATE_DIR));
        MessageDigest digest = PrivateCache.sha256();
        try (InputStream in = loader.getResourceAsStream(PREFIX + entry.path())) {
            if (in == null) {
                throw new SandboxException(artifact + " is not on the class path (" + PREFIX + entry.path()
                        + " is missing): add it, or choose an installed CPython with "
                        + "Sandbox.builder().python(...) or -Dobjcap.python=/usr/bin/python3.X");
            }
            try (OutputStream out = Files.newOutputStream(target)) {
                byte[] buffer = new byte[1 << 16];
                for (int n; (n = in.read(buffer)) > 0; ) {
                    digest.update(buffer, 0, n);
                    out.write(buffer, 0, n);
                }
            }
        }
        if (!PrivateCache.hex(digest.digest()).equals(entry.sha256())) {
            throw new SandboxException("the " + PREFIX + entry.path() + " on the class path is not the one of "
                    + artifact + ", which objcap was built with: keep that version on the class path");
        }
        Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("r--------"));
    }

    /**
     * Every listed file, by its hash, and nothing else: a file added beside
     * them would be used as much as a changed one (CPython reads a
     * {@code __pycache__} bytecode file before its source, and an extension
     * module before a source module of the same name; the worker's loader
     * searches the libpython directory for every library first).
     */
    private static void verify(List<Entry> entries, Path dir) {
        Set<Path> files = new HashSet<>();
        Set<Path> dirs = new HashSet<>();
        dirs.add(dir);
        for (Entry entry : entries) {
            Path file = dir.resolve(entry.path());
            files.add(file);
            for (Path p = file.getParent(); p != null && p.startsWith(dir) && dirs.add(p); p = p.getParent()) {
                // its directories, up to dir
            }
            String actual;
            try {
                actual = PrivateCache.hash(file);
            } catch (IOException e) {
                actual = "unreadable";
            }
            if (!actual.equals(entry.sha256())) {
                throw new SandboxException(file + " was modified after extraction; refusing to run it (delete " + dir
                        + " and objcap extracts it again)");
            }
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) walk::iterator) {
                boolean listed = Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)
                        ? dirs.contains(p)
                        : files.contains(p) && Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS);
                if (!listed) {
                    throw new SandboxException(dir + " holds " + p + ", which objcap did not extract; refusing to run"
                            + " it (delete " + dir + " and objcap extracts it again)");
                }
            }
        } catch (IOException | UncheckedIOException e) {
            throw new SandboxException("cannot list " + dir, e);
        }
    }

    private static void deleteTree(Path root) {
        if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            // A leftover .extracting- directory; the next extraction uses a new one.
        }
    }
}
