package org.objcap.script;

import java.text.Normalizer;
import java.util.Set;

/** Which binding keys name Python globals. */
final class PythonNames {
    /** The prefix of the keys that JSR-223 reserves ({@code javax.script.filename}, ...). */
    static final String RESERVED_PREFIX = "javax.script.";

    /** Python 3's hard keywords: valid identifiers that no script can use as a name. */
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

    private PythonNames() {}

    /** Whether the key is one of JSR-223's reserved keys, kept on the Java side. */
    static boolean isReserved(String key) {
        return key.startsWith(RESERVED_PREFIX);
    }

    /**
     * Whether a script can name this global: an identifier, not a keyword,
     * and already in the NFKC form that Python's parser gives names (else the
     * script's spelling would find another key).
     */
    static boolean isIdentifier(String name) {
        if (name.isEmpty() || KEYWORDS.contains(name) || !Normalizer.isNormalized(name, Normalizer.Form.NFKC)) {
            return false;
        }
        int first = name.codePointAt(0);
        if (first != '_' && !Character.isUnicodeIdentifierStart(first)) {
            return false;
        }
        return name.codePoints()
                .skip(1)
                .allMatch(c -> Character.isUnicodeIdentifierPart(c) && !Character.isIdentifierIgnorable(c));
    }

    /**
     * Checks a key of {@link SandboxBindings}: a reserved key or a name a
     * script can use.
     *
     * @return the key as a string
     * @throws NullPointerException if null
     * @throws ClassCastException if not a string
     * @throws IllegalArgumentException if empty or not usable from Python
     */
    static String checkKey(Object key) {
        if (key == null) {
            throw new NullPointerException("key is null");
        }
        if (!(key instanceof String name)) {
            throw new ClassCastException(
                    "bindings keys are strings, not " + key.getClass().getName());
        }
        if (name.isEmpty()) {
            throw new IllegalArgumentException("key is empty");
        }
        if (!isReserved(name) && !isIdentifier(name)) {
            throw new IllegalArgumentException("'" + name + "' is not a Python identifier, so no"
                    + " script could use it: a key names a global of the script (keys that"
                    + " start with " + RESERVED_PREFIX + " stay on the Java side)");
        }
        return name;
    }
}
