package org.objcap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A new interpreter's own codec registry imports {@code encodings} and its
 * UTF-8 codec through CPython's importer, which objcap serves as frozen
 * modules compiled once per process (imports/boot_modules.c); the
 * sandbox's codecs come from its own {@code encodings}, loaded by objcap's
 * importer from source. Every codec must still be found, by any of its
 * names, and {@code encodings} must look as it did to scripts.
 */
class CodecsTest {
    @ParameterizedTest
    @ValueSource(strings = {Isolation.IN_PROCESS, Isolation.PROCESS})
    void everyCodecIsStillFound(String mode) {
        try (Sandbox s = Modes.builder(mode).build()) {
            s.exec("def roundtrips():\n"
                    + "    text = 'h\\u00e9llo'\n"
                    + "    out = []\n"
                    + "    for name in ['utf-8', 'UTF8', 'latin-1', 'iso8859_15', 'cp1252', 'ascii',\n"
                    + "                 'utf-16', 'utf-32-le', 'mac_roman', 'idna', 'punycode']:\n"
                    + "        try:\n"
                    + "            out.append(text.encode(name).decode(name) == text)\n"
                    + "        except UnicodeEncodeError:\n"
                    + "            out.append(name)\n"
                    + "    out.append(list('\\u00e9'.encode('U8')))\n"
                    + "    out.append(b'\\xe9'.decode('latin1'))\n"
                    + "    return out\n");
            assertEquals(
                    List.of(
                            true,
                            true,
                            true,
                            true,
                            true,
                            "ascii",
                            true,
                            true,
                            true,
                            true,
                            true,
                            List.of(0xc3L, 0xa9L),
                            "\u00e9"),
                    s.call("roundtrips"));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {Isolation.IN_PROCESS, Isolation.PROCESS})
    void encodingsServesScriptsAsBefore(String mode) {
        try (Sandbox s = Modes.builder(mode).build()) {
            s.exec("import encodings, encodings.utf_8, encodings.aliases\n");
            assertEquals("utf-8", s.eval("encodings.utf_8.getregentry().name"));
            assertEquals(true, s.eval("encodings.aliases.aliases['u8'] == 'utf_8'"));
            assertEquals(true, s.eval("encodings.search_function('koi8_r') is not None"));
        }
    }

    /**
     * To objcap the boot modules stay the source modules they are: a host
     * that allows {@code encodings} allows a source package with its
     * directory. As frozen, it had none: building failed, and with its
     * aliases allowed too, {@code import encodings.inspect} loaded the
     * standard library's {@code inspect} as trusted support code (found by
     * review).
     */
    @ParameterizedTest
    @ValueSource(strings = {Isolation.IN_PROCESS, Isolation.PROCESS})
    void allowingEncodingsAllowsOnlyItsOwnSubmodules(String mode) {
        assertEquals(ModulePolicy.Kind.SOURCE, ModulePolicy.kindOf("encodings"));
        assertEquals(ModulePolicy.Kind.SOURCE, ModulePolicy.kindOf("encodings.utf_8"));
        try (Sandbox s = Modes.builder(mode)
                .allowModule("encodings")
                .allowModule("encodings.aliases")
                .build()) {
            s.exec("import encodings, encodings.aliases\n");
            assertEquals("utf_8", s.eval("encodings.aliases.aliases['u8']"));
            for (String other : List.of("inspect", "functools", "linecache", "ast", "weakref", "os", "tokenize")) {
                PythonException e =
                        assertThrows(PythonException.class, () -> s.exec("import encodings." + other + "\n"), other);
                assertTrue(e.getPythonType().endsWith("Error"), e.getPythonType());
            }
            assertEquals(List.of(0xe9L), s.eval("list('\\u00e9'.encode('latin-1'))"));
        }
    }
}
