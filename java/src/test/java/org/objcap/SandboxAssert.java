package org.objcap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Assertions about code run in a sandbox. */
final class SandboxAssert {
    private SandboxAssert() {}

    /**
     * Runs code that must raise a Python exception of exactly {@code type}.
     *
     * @return the exception, for more checks
     */
    static PythonException assertRaises(Sandbox sandbox, String type, String code) {
        PythonException e = assertThrows(
                PythonException.class, () -> sandbox.exec(code), () -> "expected " + type + " from:\n" + code);
        assertEquals(type, e.getPythonType(), () -> "from:\n" + code + "\n" + e.formatTraceback());
        return e;
    }
}
