package org.objcap.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.objcap.SandboxException;

/** Which engine serves which CPython version. */
class CPythonInstallTest {

    @Test
    void everySupportedMinorVersionHasItsEngineInTheJar() {
        for (String version : List.of("3.11.2", "3.12.3", "3.13.5", "3.14.3")) {
            String tag = "cp3" + version.split("\\.")[1];
            assertEquals(tag, CPythonInstall.abiTagOf(version, "python"), version);
            assertTrue(JarBinary.hasEngine(tag), tag);
        }
    }

    @Test
    void aJarWithoutTheVersionsEngineSaysHowToBuildOne() {
        SandboxException e = assertThrows(
                SandboxException.class,
                () -> CPythonInstall.abiTagOf("3.12.1", "/opt/python3.12", tag -> !tag.equals("cp312")));
        assertTrue(
                e.getMessage()
                        .contains(
                                "/opt/python3.12 is CPython 3.12.1, but this objcap jar has no engine for CPython 3.12"
                                        + " (build objcap with -Dobjcap.system.python=/opt/python3.12)"),
                e.getMessage());
    }

    @Test
    void versionsOutsideTheSupportedRangeAreRefused() {
        for (String version : List.of("3.10.12", "3.15.0", "2.7.18", "x.y")) {
            SandboxException e =
                    assertThrows(SandboxException.class, () -> CPythonInstall.abiTagOf(version, "python"), version);
            assertTrue(e.getMessage().contains("objcap supports CPython 3.11 to 3.14"), e.getMessage());
        }
    }
}
