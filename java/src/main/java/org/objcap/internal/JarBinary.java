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
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.objcap.SandboxException;

/**
 * A native file shipped inside the jar (an engine's {@code libobjcap.so},
 * its {@code objcap-worker}): extracted once into a private directory
 * (mode 0700, owned by this user) and checked against the SHA-256 recorded
 * at build time, before every spawn or load, so a file replaced after
 * extraction is never run. The hash is computed again only when the file's
 * device, inode, size, modification time or change time differ from those
 * it had when it last matched: any write, rename or chmod by a process
 * without root sets the change time, which only root can forge (hashing
 * the 1.6 MB worker was 2 ms of every process-mode {@code build()}).
 */
public final class JarBinary {
    private static final Set<PosixFilePermission> EXECUTABLE = PosixFilePermissions.fromString("r-x------");
    private static final Map<String, JarBinary> EXTRACTED = new ConcurrentHashMap<>();

    private final Path path;
    private final String sha256;
    /** The file's identity and times when its hash last matched, or {@code null}. */
    private volatile Map<String, Object> verified;

    /** What any change to the file, its name or its mode changes. */
    private static final String IDENTITY = "unix:dev,ino,size,lastModifiedTime,ctime";

    JarBinary(Path path, String sha256) {
        this.path = path;
        this.sha256 = sha256;
    }

    /**
     * The {@code objcap-worker} of one engine, extracting it on first use.
     *
     * @param abiTag the engine's CPython, e.g. {@code cp314}
     * @return the worker binary
     * @throws SandboxException if the jar has no such worker or it cannot be
     *     extracted safely
     */
    public static JarBinary worker(String abiTag) {
        return get("/linux-x86-64/" + abiTag + "/objcap-worker", "objcap-worker");
    }

    /**
     * The {@code libobjcap.so} of one engine, extracting it on first use.
     *
     * @param abiTag the engine's CPython, e.g. {@code cp314}
     * @return the library
     * @throws SandboxException if the jar has no such engine or it cannot
     *     be extracted safely
     */
    public static JarBinary engine(String abiTag) {
        return get("/linux-x86-64/" + abiTag + "/libobjcap.so", "libobjcap.so");
    }

    /**
     * Whether the jar carries an engine for a CPython.
     *
     * @param abiTag e.g. {@code cp311}
     * @return true if its library is in the jar
     */
    public static boolean hasEngine(String abiTag) {
        return JarBinary.class.getResource("/linux-x86-64/" + abiTag + "/libobjcap.so.sha256") != null;
    }

    private static JarBinary get(String resource, String fileName) {
        return EXTRACTED.computeIfAbsent(resource, r -> extract(r, fileName));
    }

    /**
     * The file's path, after checking that it is still the one built.
     *
     * @return the absolute path to spawn or load
     * @throws SandboxException if the file changed since it was extracted
     */
    public String verifiedPath() {
        String actual;
        Map<String, Object> identity;
        try {
            identity = Files.readAttributes(path, IDENTITY, LinkOption.NOFOLLOW_LINKS);
            if (identity.equals(verified)) {
                return path.toString();
            }
            actual = PrivateCache.hash(path);
        } catch (IOException | UnsupportedOperationException e) {
            throw new SandboxException("cannot read " + path, e);
        }
        if (!actual.equals(sha256)) {
            verified = null;
            throw new SandboxException(path + " was modified after extraction; refusing to run it");
        }
        // The identity read before hashing: a change during the hash leaves
        // a newer one, which is hashed again next time.
        verified = identity;
        return path.toString();
    }

    private static JarBinary extract(String resource, String fileName) {
        String expected = readResource(resource + ".sha256").trim();
        byte[] binary = readResourceBytes(resource);
        if (!PrivateCache.hash(binary).equals(expected)) {
            throw new SandboxException(resource + " in the jar does not match its recorded hash");
        }
        Path dir = PrivateCache.directory(expected.substring(0, 16));
        Path target = dir.resolve(fileName);
        try {
            if (Files.isRegularFile(target, LinkOption.NOFOLLOW_LINKS)
                    && PrivateCache.hash(target).equals(expected)) {
                return new JarBinary(target, expected);
            }
            Path temp = Files.createTempFile(dir, fileName, ".tmp");
            Files.write(temp, binary);
            Files.setPosixFilePermissions(temp, EXECUTABLE);
            try {
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new SandboxException("cannot extract " + resource + " into " + dir, e);
        }
        return new JarBinary(target, expected);
    }

    private static byte[] readResourceBytes(String name) {
        try (InputStream in = JarBinary.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new SandboxException(name + " is not in the jar; objcap was built without it");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new SandboxException("cannot read " + name + " from the jar", e);
        }
    }

    private static String readResource(String name) {
        return new String(readResourceBytes(name), StandardCharsets.US_ASCII);
    }
}
