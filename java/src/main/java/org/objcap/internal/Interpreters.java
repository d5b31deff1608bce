package org.objcap.internal;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Which CPython a sandbox runs on: the one its builder names, else the
 * system property {@code objcap.python} (an interpreter's path), else the
 * CPython bundled through Maven.
 */
public final class Interpreters {
    /** The system property naming the default interpreter. */
    public static final String PROPERTY = "objcap.python";

    private static final Map<Path, CPythonInstall> PROBED = new ConcurrentHashMap<>();

    private Interpreters() {}

    /**
     * The install a sandbox uses.
     *
     * @param python an interpreter's path, or null for the default
     * @return its install
     * @throws IllegalArgumentException if the path is not an executable file
     * @throws org.objcap.SandboxException if it is not a CPython objcap can
     *     run, or the bundled one cannot be prepared
     */
    public static CPythonInstall resolve(Path python) {
        if (python == null) {
            String named = System.getProperty(PROPERTY, "");
            if (named.isBlank()) {
                return BundledCPython.get();
            }
            python = Path.of(named);
        }
        Path key = python.toAbsolutePath().normalize();
        CPythonInstall known = PROBED.get(key);
        if (known == null) {
            known = CPythonInstall.probe(key);
            PROBED.putIfAbsent(key, known);
        }
        return known;
    }
}
