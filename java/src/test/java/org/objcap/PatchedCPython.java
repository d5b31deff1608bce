package org.objcap;

import org.objcap.internal.NativeEngine;

/**
 * Whether the CPython under test carries {@code cpython-patches/}: the
 * engine finds the patches' marker symbols in libpython and names them in
 * its version. A build that pins the answer ({@code -Dobjcap.expectPatched},
 * as CI does for each of its two runs) makes a mismatch fail every test that
 * asks, so a patched run cannot quietly test the stock branch.
 */
final class PatchedCPython {
    /** The names {@code objcap_version()} lists for a fully patched CPython. */
    static final String[] ALL = {
        "file-init", "closed-constructors", "audited-reads", "fork-exec-audit", "private-closures"
    };

    private PatchedCPython() {}

    /** The engine's version, e.g. "0.1.0 (CPython 3.11.2; cpython-patches: none)". */
    static String version() {
        return NativeEngine.version();
    }

    /** True when the engine found all of cpython-patches/3.11 in its CPython. */
    static boolean active() {
        String version = version();
        boolean all = true;
        for (String name : ALL) {
            all &= version.matches(".*cpython-patches: [^)]*\\b" + name + "\\b.*");
        }
        boolean none = version.contains("cpython-patches: none");
        if (!all && !none) {
            throw new AssertionError("a partly patched CPython is not a tested setup: " + version);
        }
        String expected = System.getProperty("objcap.expectPatched", "");
        if (!expected.isEmpty() && Boolean.parseBoolean(expected) != all) {
            throw new AssertionError(
                    "the build expects objcap.expectPatched=" + expected + " but the engine reports " + version);
        }
        return all;
    }
}
