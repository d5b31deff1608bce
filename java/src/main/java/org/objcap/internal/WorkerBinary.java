package org.objcap.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Set;
import org.objcap.SandboxException;

/**
 * The {@code objcap-worker} executable shipped inside the jar: extracted
 * once into a private directory (mode 0700, owned by this user) and checked
 * against the SHA-256 recorded at build time before every spawn, so a file
 * replaced after extraction is never executed.
 */
public final class WorkerBinary {
    private static final String RESOURCE = "/linux-x86-64/objcap-worker";
    private static final Set<PosixFilePermission> PRIVATE_DIR = PosixFilePermissions.fromString("rwx------");
    private static final Set<PosixFilePermission> EXECUTABLE = PosixFilePermissions.fromString("r-x------");

    private static volatile WorkerBinary instance;

    private final Path path;
    private final String sha256;

    private WorkerBinary(Path path, String sha256) {
        this.path = path;
        this.sha256 = sha256;
    }

    /**
     * The extracted worker, extracting it on first use.
     *
     * @return the worker binary
     * @throws SandboxException if the jar has no worker or it cannot be
     *     extracted safely
     */
    public static WorkerBinary get() {
        WorkerBinary w = instance;
        if (w == null) {
            synchronized (WorkerBinary.class) {
                w = instance;
                if (w == null) {
                    w = extract();
                    instance = w;
                }
            }
        }
        return w;
    }

    /**
     * The worker's path, after checking that the file is still the one built.
     *
     * @return the absolute path to spawn
     * @throws SandboxException if the file changed since it was extracted
     */
    public String verifiedPath() {
        String actual;
        try {
            actual = hash(Files.readAllBytes(path));
        } catch (IOException e) {
            throw new SandboxException("cannot read the objcap worker at " + path, e);
        }
        if (!actual.equals(sha256)) {
            throw new SandboxException(
                    "the objcap worker at " + path + " was modified after extraction; refusing to run it");
        }
        return path.toString();
    }

    private static WorkerBinary extract() {
        String expected = readResource(RESOURCE + ".sha256").trim();
        byte[] binary = readResourceBytes(RESOURCE);
        if (!hash(binary).equals(expected)) {
            throw new SandboxException("the objcap worker in the jar does not match its recorded hash");
        }
        Path dir = privateDirectory(expected);
        Path target = dir.resolve("objcap-worker");
        try {
            if (Files.isRegularFile(target, LinkOption.NOFOLLOW_LINKS)
                    && hash(Files.readAllBytes(target)).equals(expected)) {
                return new WorkerBinary(target, expected);
            }
            Path temp = Files.createTempFile(dir, "objcap-worker", ".tmp");
            Files.write(temp, binary);
            Files.setPosixFilePermissions(temp, EXECUTABLE);
            try {
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new SandboxException("cannot extract the objcap worker into " + dir, e);
        }
        return new WorkerBinary(target, expected);
    }

    /** ~/.cache/objcap/&lt;hash prefix&gt;, created 0700; refused if it is not ours. */
    private static Path privateDirectory(String hash) {
        String base = System.getenv("XDG_CACHE_HOME");
        Path root = base != null && !base.isEmpty()
                ? Path.of(base, "objcap")
                : Path.of(System.getProperty("user.home"), ".cache", "objcap");
        Path dir = root.resolve(hash.substring(0, 16));
        try {
            Files.createDirectories(root, PosixFilePermissions.asFileAttribute(PRIVATE_DIR));
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

    private static byte[] readResourceBytes(String name) {
        try (InputStream in = WorkerBinary.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new SandboxException(
                        "the objcap worker (" + name + ") is not in the jar; process isolation is unavailable");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new SandboxException("cannot read " + name + " from the jar", e);
        }
    }

    private static String readResource(String name) {
        return new String(readResourceBytes(name), StandardCharsets.US_ASCII);
    }

    private static String hash(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}
