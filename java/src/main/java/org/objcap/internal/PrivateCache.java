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
        Path root = base != null && !base.isEmpty()
                ? Path.of(base, "objcap")
                : Path.of(System.getProperty("user.home"), ".cache", "objcap");
        return ours(root);
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
