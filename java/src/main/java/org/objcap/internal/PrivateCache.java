package org.objcap.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Set;
import org.objcap.SandboxException;

/**
 * The per-user directory where objcap extracts what it runs from its jar
 * (the worker, the engine, the bundled CPython): {@code
 * $XDG_CACHE_HOME/objcap} or {@code ~/.cache/objcap}, each entry mode 0700
 * and owned by this user, and SHA-256 to check what is found there.
 */
final class PrivateCache {
    static final Set<PosixFilePermission> PRIVATE_DIR = PosixFilePermissions.fromString("rwx------");

    private PrivateCache() {}

    /** The cache's root, created 0700; refused if it is not ours. */
    static Path root() {
        String base = System.getenv("XDG_CACHE_HOME");
        // The XDG specification: a relative path is to be ignored.
        return rootIn(
                base != null && Path.of(base).isAbsolute()
                        ? Path.of(base)
                        : Path.of(System.getProperty("user.home"), ".cache"));
    }

    /**
     * {@code base/objcap}, created 0700; refused if it is not ours or if
     * another user could replace it: what is extracted there is checked
     * once and then used by its path, so no directory above it may be
     * writable by others (unless sticky, as {@code /tmp} is) or owned by
     * another user (found by review: with {@code XDG_CACHE_HOME} in another
     * user's directory, that user swapped the checked copy for one with a
     * {@code libc.so.6} of theirs, which the next worker loaded).
     */
    static Path rootIn(Path base) {
        Path root = ours(base.toAbsolutePath().normalize().resolve("objcap"));
        try {
            int uid = (Integer) Files.getAttribute(root, "unix:uid", LinkOption.NOFOLLOW_LINKS);
            safeAncestors(root.getParent(), uid);
            safeAncestors(root.toRealPath().getParent(), uid);
        } catch (IOException | UnsupportedOperationException | ClassCastException e) {
            throw new SandboxException("cannot check the directories above " + root, e);
        }
        return root;
    }

    private static final int GROUP_OR_OTHERS_WRITE = 0022;
    private static final int STICKY = 01000;

    private static void safeAncestors(Path dir, int uid) throws IOException {
        for (Path p = dir; p != null; p = p.getParent()) {
            int owner = (Integer) Files.getAttribute(p, "unix:uid");
            int mode = (Integer) Files.getAttribute(p, "unix:mode");
            if ((owner != 0 && owner != uid) || ((mode & GROUP_OR_OTHERS_WRITE) != 0 && (mode & STICKY) == 0)) {
                throw new SandboxException("objcap's cache cannot be kept under " + p + ": another user could "
                        + "replace what objcap extracts there (it is "
                        + (owner != 0 && owner != uid
                                ? "owned by uid " + owner
                                : "writable by its group or others, without the sticky bit")
                        + "); set XDG_CACHE_HOME to a directory only you can change");
            }
        }
    }

    /** {@code root()/name}, created 0700; refused if it is not ours. */
    static Path directory(String name) {
        return ours(root().resolve(name));
    }

    private static Path ours(Path dir) {
        try {
            Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PRIVATE_DIR));
            if (Files.isSymbolicLink(dir)
                    || !Files.getOwner(dir, LinkOption.NOFOLLOW_LINKS)
                            .getName()
                            .equals(System.getProperty("user.name"))) {
                throw new SandboxException(dir + " is not a directory owned by this user");
            }
            Files.setPosixFilePermissions(dir, PRIVATE_DIR);
        } catch (IOException e) {
            throw new SandboxException("cannot create the private directory " + dir, e);
        }
        return dir;
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    static String hex(byte[] digest) {
        return HexFormat.of().formatHex(digest);
    }

    static String hash(byte[] data) {
        return hex(sha256().digest(data));
    }

    /** The SHA-256 of a file, read without following a final symbolic link. */
    static String hash(Path file) throws IOException {
        MessageDigest digest = sha256();
        if (Files.isSymbolicLink(file)) {
            throw new IOException(file + " is a symbolic link");
        }
        try (InputStream in = Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS)) {
            byte[] buffer = new byte[1 << 16];
            for (int n; (n = in.read(buffer)) > 0; ) {
                digest.update(buffer, 0, n);
            }
        }
        return hex(digest.digest());
    }
}
