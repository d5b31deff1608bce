package org.objcap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.objcap.SandboxAssert.assertRaises;

import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The rebuild path (cpython-patches/): the engine finds the patches in its
 * CPython, skips only the run-time surgery they make unnecessary, and the
 * sandbox refuses the same things either way.
 */
class PatchedCPythonTest {
    private static Sandbox open(String mode, Sandbox.Builder b) {
        return (Isolation.IN_PROCESS.equals(mode) ? b.inProcess() : b).build();
    }

    @Test
    void theEngineNamesThePatchesItFound() {
        String version = PatchedCPython.version();
        if (PatchedCPython.active()) {
            assertTrue(
                    version.endsWith("; cpython-patches: file-init closed-constructors"
                            + " audited-reads fork-exec-audit private-closures)"),
                    version);
        } else {
            assertTrue(version.endsWith("; cpython-patches: none)"), version);
        }
    }

    /** 0004: fork_exec raises an event, which the sandbox's hook refuses. */
    @ParameterizedTest
    @ValueSource(strings = {Isolation.IN_PROCESS, Isolation.PROCESS})
    void forkExecIsRefusedByTheAuditHook(String mode) {
        Assumptions.assumeTrue(
                PatchedCPython.active(),
                "a stock CPython raises no audit"
                        + " event for _posixsubprocess.fork_exec: in-process the call would really"
                        + " fork the JVM (the importer keeps the module out, and in process mode"
                        + " seccomp refuses fork: ProcessIsolationTest)");
        try (Sandbox sandbox = open(
                mode,
                Sandbox.builder().allowBuiltinModule("_posixsubprocess").allowDangerousModule("_posixsubprocess"))) {
            PythonException e = assertRaises(
                    sandbox,
                    "PermissionError",
                    String.join(
                            "\n",
                            "import _posixsubprocess",
                            "_posixsubprocess.fork_exec(",
                            "    [b'/bin/true'], [b'/bin/true'], True, (), None, None,",
                            "    -1, -1, -1, -1, -1, -1, 3, 4, True, False, -1,",
                            "    None, None, None, -1, None, False)"));
            assertEquals("_posixsubprocess.fork_exec is not allowed in this sandbox", e.getPythonMessage());
            assertEquals(
                    List.of("_posixsubprocess.fork_exec"), sandbox.denials().recent());
        }
    }

    /** 0001-0003: what the engine no longer patches is closed by CPython itself. */
    @ParameterizedTest
    @ValueSource(strings = {Isolation.IN_PROCESS, Isolation.PROCESS})
    void thePatchedTypesNeedNoSurgery(String mode) {
        try (Sandbox sandbox = open(mode, Sandbox.builder())) {
            sandbox.exec("import io, types\ndef f():\n    return 1\n");
            boolean patched = PatchedCPython.active();
            // FileIO: CPython's own refusal on a patched build, objcap's gate
            // on a stock one; the other file types stay gated by objcap.
            PythonException e = assertRaises(sandbox, "TypeError", "io.FileIO('/etc/passwd')");
            assertEquals(
                    patched
                            ? "cannot create '_io.FileIO' instances"
                            : "cannot create or initialize '_io.FileIO' objects in this sandbox;"
                                    + " files come from capabilities",
                    e.getPythonMessage());
            e = assertRaises(sandbox, "TypeError", "io.TextIOWrapper(io.BytesIO())");
            assertTrue(e.getPythonMessage().startsWith("cannot create or initialize"), e.getPythonMessage());
            // The type dicts look the same either way.
            assertEquals(
                    List.of(false, false, false, false),
                    sandbox.eval("['__new__' in vars(types.CodeType), 'replace' in vars(types.CodeType),"
                            + " '__new__' in vars(types.FunctionType), '__new__' in vars(io.FileIO)]"));
            e = assertRaises(sandbox, "AttributeError", "f.__globals__");
            assertEquals("'__globals__' is not available in this sandbox", e.getPythonMessage());
            assertEquals(patched, sandbox.eval("'__closure__' not in vars(types.FunctionType)"));
        }
    }
}
