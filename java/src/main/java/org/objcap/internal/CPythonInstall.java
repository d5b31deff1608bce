package org.objcap.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.objcap.SandboxException;

/**
 * One CPython that sandboxes can run on: its version, the shared
 * {@code libpython} that is loaded, its standard library and extension
 * modules, and where it came from (the jar's bundled copy or an installed
 * interpreter). The engine of the same minor version runs it.
 *
 * @param version the full version, e.g. {@code 3.14.3}
 * @param abiTag the engine to use, e.g. {@code cp314}
 * @param libpython the shared library, a real path
 * @param stdlib the standard library's directory
 * @param dynload its extension modules' directory ({@code lib-dynload})
 * @param origin for people: e.g. {@code /usr/bin/python3.11}
 */
public record CPythonInstall(String version, String abiTag, Path libpython, Path stdlib, Path dynload, String origin) {

    /** The oldest and newest minor versions objcap supports. */
    static final int OLDEST_MINOR = 11;

    static final int NEWEST_MINOR = 14;

    private static final long PROBE_SECONDS = 30;

    /** Asks the interpreter, not its sysconfig alone: a relocated CPython keeps its build machine's paths. */
    private static final String PROBE = String.join(
            "\n",
            "import os, sys, sysconfig as s",
            "v = s.get_config_var",
            "so = v('INSTSONAME') or v('LDLIBRARY') or ''",
            "dirs = [v('LIBDIR'), os.path.join(sys.base_prefix, 'lib'), sys.base_prefix]",
            "lib = [os.path.join(d, so) for d in dirs if d and so]",
            "stdlib = s.get_path('stdlib')",
            "dyn = [v('DESTSHARED'), os.path.join(stdlib, 'lib-dynload')]",
            "print(sys.version.split()[0])",
            "print(next((p for p in lib if os.path.isfile(p)), so))",
            "print(stdlib)",
            "print(next((d for d in dyn if d and os.path.isdir(d)), dyn[1]))",
            "");

    /**
     * Checks that every part is given.
     *
     * @param version the full version
     * @param abiTag the engine's tag
     * @param libpython the shared library
     * @param stdlib the standard library
     * @param dynload its extension modules
     * @param origin for people
     * @throws NullPointerException if any part is null
     */
    public CPythonInstall {
        Objects.requireNonNull(version, "version");
        Objects.requireNonNull(abiTag, "abiTag");
        Objects.requireNonNull(libpython, "libpython");
        Objects.requireNonNull(stdlib, "stdlib");
        Objects.requireNonNull(dynload, "dynload");
        Objects.requireNonNull(origin, "origin");
    }

    /**
     * The same library: a JVM loads one libpython and keeps it.
     *
     * @param other another install
     * @return whether both load the same file
     */
    public boolean sameLibrary(CPythonInstall other) {
        return libpython.equals(other.libpython);
    }

    /**
     * The engine's {@code cpXY} tag for a version, after checking that
     * objcap supports it and the jar has its engine.
     */
    static String abiTagOf(String version, String whose) {
        return abiTagOf(version, whose, JarBinary::hasEngine);
    }

    /** The same, with the jar's engines given (for a test of a jar that lacks one). */
    static String abiTagOf(String version, String whose, Predicate<String> inJar) {
        String[] parts = version.split("\\.");
        int minor;
        try {
            minor = parts.length >= 2 && parts[0].equals("3") ? Integer.parseInt(parts[1]) : -1;
        } catch (NumberFormatException e) {
            minor = -1;
        }
        if (minor < OLDEST_MINOR || minor > NEWEST_MINOR) {
            throw new SandboxException(whose + " is CPython " + version + "; objcap supports CPython 3." + OLDEST_MINOR
                    + " to 3." + NEWEST_MINOR);
        }
        String tag = "cp3" + minor;
        if (!inJar.test(tag)) {
            throw new SandboxException(whose + " is CPython " + version + ", but this objcap jar has no engine for "
                    + "CPython 3." + minor + " (build objcap with -Dobjcap.system.python=" + whose + ")");
        }
        return tag;
    }

    /**
     * Asks an installed interpreter where its parts are, by running it
     * ({@code -I -S}, nothing imported from its site).
     *
     * @param executable the interpreter, e.g. {@code /usr/bin/python3.11}
     * @return its install
     * @throws IllegalArgumentException if it is not an executable file
     * @throws SandboxException if it cannot be run, is not a supported
     *     CPython, or lacks a shared libpython
     */
    public static CPythonInstall probe(Path executable) {
        Path python = executable.toAbsolutePath().normalize();
        if (!Files.isRegularFile(python) || !Files.isExecutable(python)) {
            throw new IllegalArgumentException("not an executable file: " + python);
        }
        String who = python.toString();
        List<String> lines = run(python);
        if (lines.size() != 4) {
            throw new SandboxException(who + " did not answer as a CPython 3 does: " + lines);
        }
        String tag = abiTagOf(lines.get(0), who);
        Path lib = Path.of(lines.get(1));
        if (!lib.isAbsolute()
                || !Files.isRegularFile(lib)
                || !lib.getFileName().toString().contains(".so")) {
            throw new SandboxException(who + " has no shared libpython (found \"" + lines.get(1)
                    + "\"); objcap needs one: install libpython3." + tag.substring(3)
                    + " or build CPython with --enable-shared");
        }
        Path stdlib = Path.of(lines.get(2));
        Path dynload = Path.of(lines.get(3));
        if (!Files.isRegularFile(stdlib.resolve("os.py")) || !Files.isDirectory(dynload)) {
            throw new SandboxException(who + " has no standard library at " + stdlib + " and " + dynload);
        }
        try {
            return new CPythonInstall(lines.get(0), tag, lib.toRealPath(), stdlib, dynload, who);
        } catch (IOException e) {
            throw new SandboxException("cannot resolve " + lib, e);
        }
    }

    private static List<String> run(Path python) {
        Path answer = null;
        try {
            // To a file, not a pipe: a hung interpreter cannot block the read.
            answer = Files.createTempFile("objcap-probe", ".txt");
            Process p = new ProcessBuilder(python.toString(), "-I", "-S", "-c", PROBE)
                    .redirectErrorStream(true)
                    .redirectOutput(answer.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                    .start();
            if (!p.waitFor(PROBE_SECONDS, TimeUnit.SECONDS)) {
                // Its children too (a wrapper script's interpreter).
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                throw new SandboxException(python + " did not answer within " + PROBE_SECONDS + " s");
            }
            if (Files.size(answer) > 64 * 1024) {
                throw new SandboxException(python + " answered with more than 64 KiB");
            }
            String text = Files.readString(answer, StandardCharsets.UTF_8);
            if (p.exitValue() != 0) {
                throw new SandboxException(python + " failed (exit " + p.exitValue() + "): " + text.strip());
            }
            return text.lines().toList();
        } catch (IOException e) {
            throw new SandboxException("cannot run " + python, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SandboxException("interrupted while asking " + python + " for its paths", e);
        } finally {
            if (answer != null) {
                try {
                    Files.deleteIfExists(answer);
                } catch (IOException e) {
                    // A leftover temp file of a few bytes.
                }
            }
        }
    }
}
