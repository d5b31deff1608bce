package org.objcap;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.objcap.internal.ErrorDecoder;
import org.objcap.internal.NativeEngine;
import org.objcap.internal.Wtf8;

/**
 * The import policy a {@link Sandbox.Builder} collects: module names per
 * kind, dangerous modules the host accepts, and directories of host
 * modules. Each entry is checked when it is given; the engine checks the
 * whole (dangerous modules) when the sandbox is created.
 */
final class ModulePolicy {
    /** Kinds of module, each whitelisted separately (paper 5.5). */
    enum Kind {
        BUILTIN("allow_builtin"),
        FROZEN("allow_frozen"),
        EXTENSION("allow_extension"),
        SOURCE("allow_source");

        final String option;

        Kind(String option) {
            this.option = option;
        }
    }

    /** Python's hard keywords: never a module name. */
    private static final Set<String> KEYWORDS = Set.of(
            "False",
            "None",
            "True",
            "and",
            "as",
            "assert",
            "async",
            "await",
            "break",
            "class",
            "continue",
            "def",
            "del",
            "elif",
            "else",
            "except",
            "finally",
            "for",
            "from",
            "global",
            "if",
            "import",
            "in",
            "is",
            "lambda",
            "nonlocal",
            "not",
            "or",
            "pass",
            "raise",
            "return",
            "try",
            "while",
            "with",
            "yield");

    private final Map<Kind, Set<String>> allowed = new EnumMap<>(Kind.class);
    private final Set<String> dangerous = new LinkedHashSet<>();
    private final Set<String> sourcePaths = new LinkedHashSet<>();

    void allow(Kind kind, String name) {
        allowed.computeIfAbsent(kind, k -> new LinkedHashSet<>()).add(checkName(name));
    }

    void allowDangerous(String name) {
        dangerous.add(checkName(name));
    }

    void allowSourcePath(Path dir) {
        Objects.requireNonNull(dir, "dir");
        Path real;
        try {
            real = dir.toRealPath();
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("no such directory: " + dir, e);
        } catch (IOException | SecurityException e) {
            throw new IllegalArgumentException("cannot resolve directory " + dir + ": " + e, e);
        }
        if (!Files.isDirectory(real)) {
            throw new IllegalArgumentException("not a directory: " + dir);
        }
        sourcePaths.add(real.toString());
    }

    /** Puts the policy into a sandbox's options map (keys of objcap.h). */
    void addTo(Map<String, Object> options) {
        allowed.forEach((kind, names) -> options.put(kind.option, new ArrayList<>(names)));
        if (!dangerous.isEmpty()) {
            options.put("allow_dangerous", new ArrayList<>(dangerous));
        }
        if (!sourcePaths.isEmpty()) {
            options.put("source_paths", new ArrayList<>(sourcePaths));
        }
    }

    /**
     * Finds what kind of module {@code name} is on the embedded CPython.
     *
     * @throws IllegalArgumentException if it is not a module name, or there
     *     is no such module
     * @throws SandboxException if CPython cannot be started
     */
    static Kind kindOf(String name) {
        checkName(name);
        int[] kind = new int[1];
        NativeEngine.Result result = NativeEngine.moduleKind(Wtf8.encode(name), kind);
        if (result.status() == ErrorDecoder.ARGUMENT && result.data() == null) {
            throw new IllegalArgumentException("not a module name: '" + name + "'");
        }
        if (!result.ok()) {
            throw ErrorDecoder.toException(result.status(), result.data());
        }
        switch (kind[0]) {
            case 1:
                return Kind.BUILTIN;
            case 2:
                return Kind.FROZEN;
            case 3:
                return Kind.EXTENSION;
            case 4:
                return Kind.SOURCE;
            case 0:
                throw new IllegalArgumentException("no module named " + name + " in the embedded CPython");
            default:
                throw new SandboxException("the engine reported an unknown module kind " + kind[0] + " for " + name);
        }
    }

    /** Checks that a module name is a dotted Python identifier. */
    static String checkName(String name) {
        Objects.requireNonNull(name, "name");
        if (name.isEmpty()) {
            throw new IllegalArgumentException("a module name must not be empty");
        }
        for (String part : name.split("\\.", -1)) {
            if (!isIdentifier(part) || KEYWORDS.contains(part)) {
                throw new IllegalArgumentException("not a dotted Python identifier: '" + name + "'");
            }
        }
        return name;
    }

    private static boolean isIdentifier(String s) {
        if (s.isEmpty()) {
            return false;
        }
        int first = s.codePointAt(0);
        if (first != '_' && !Character.isUnicodeIdentifierStart(first)) {
            return false;
        }
        return s.codePoints()
                .skip(1)
                .allMatch(c -> Character.isUnicodeIdentifierPart(c) && !Character.isIdentifierIgnorable(c));
    }
}
