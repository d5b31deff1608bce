package org.objcap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Text files of a granted directory behave as the built-in open's: every
 * text encoding CPython ships, errors= and newline=, csv and json, and the
 * same errors for what CPython refuses (messages taken from Debian's
 * python3.11). The file layers are built from C without lowering any gate
 * (bare.c), so the codec machinery runs as it would for the script.
 */
class GrantedTextFilesTest {

    @TempDir
    Path data;

    private Sandbox sandbox(String mode) {
        return Modes.builder(mode)
                .grant("DATA", Capabilities.directory(data, Access.READ_WRITE))
                .build();
    }

    @ParameterizedTest
    @ValueSource(strings = {Isolation.IN_PROCESS, Isolation.PROCESS})
    void everyBuiltInTextEncodingRoundTrips(String mode) {
        try (Sandbox sandbox = sandbox(mode)) {
            sandbox.exec("import encodings\n"
                    + "codecs = encodings.codecs\n"
                    + "names = sorted(set(encodings.aliases.aliases.values()) | {'utf-8-sig'})\n"
                    + "sample = 'plain ascii, é, ß, 東京, \\u20ac\\n' * 3\n"
                    + "checked, wrong = [], []\n"
                    + "for name in names:\n"
                    + "    try:\n"
                    + "        if not codecs.lookup(name)._is_text_encoding:\n"
                    + "            continue\n"
                    + "    except LookupError:\n"
                    + "        continue  # mbcs and friends: Windows only\n"
                    + "    expected = sample.encode(name, 'replace').decode(name)\n"
                    + "    with DATA.open('t.txt', 'w', encoding=name, errors='replace', newline='') as f:\n"
                    + "        f.write(sample)\n"
                    + "    with DATA.open('t.txt', encoding=name, newline='') as f:\n"
                    + "        got = f.read()\n"
                    + "    with DATA.open('t.txt', 'rb') as f:\n"
                    + "        raw = f.read()\n"
                    + "    if got != expected or raw != sample.encode(name, 'replace'):\n"
                    + "        wrong.append(name)\n"
                    + "    checked.append(name)\n");
            assertEquals(List.of(), sandbox.get("wrong"));
            assertTrue(((List<?>) sandbox.get("checked")).size() >= 85, () -> "only " + sandbox.get("checked"));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {Isolation.IN_PROCESS, Isolation.PROCESS})
    void errorsNewlinesCsvAndJsonWorkAsWithOpen(String mode) throws IOException {
        Files.write(
                data.resolve("mixed.txt"), "a\r\nb\rc\nd\u00e9".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
        try (Sandbox sandbox = sandbox(mode)) {
            sandbox.exec("import csv, json\n"
                    + "r = {}\n"
                    + "for nl in (None, '', '\\n', '\\r', '\\r\\n'):\n"
                    + "    with DATA.open('mixed.txt', encoding='utf-8', errors='replace', newline=nl) as f:\n"
                    + "        r[repr(nl)] = f.readlines()\n"
                    + "for handler in ('ignore', 'replace', 'backslashreplace', 'surrogateescape'):\n"
                    + "    r[handler] = DATA.open('mixed.txt', encoding='ascii', errors=handler).read()\n"
                    + "try:\n"
                    + "    DATA.open('mixed.txt', encoding='ascii').read()\n"
                    + "except UnicodeDecodeError as e:\n"
                    + "    r['strict'] = str(e)\n"
                    + "with DATA.open('w.txt', 'w', newline='\\r\\n') as f:\n"
                    + "    f.write('x\\ny\\n')\n"
                    + "r['written'] = DATA.open('w.txt', 'rb').read()\n"
                    + "with DATA.open('rows.csv', 'w', newline='') as f:\n"
                    + "    csv.writer(f).writerows([['a', 'b'], ['1', 'x,y']])\n"
                    + "r['csv'] = list(csv.reader(DATA.open('rows.csv', newline='')))\n"
                    + "with DATA.open('d.json', 'w', encoding='utf-16') as f:\n"
                    + "    json.dump({'k': [1, 'é']}, f)\n"
                    + "r['json'] = json.load(DATA.open('d.json', encoding='utf-16'))\n");
            @SuppressWarnings("unchecked")
            java.util.Map<String, Object> r = (java.util.Map<String, Object>) sandbox.get("r");
            // As Debian's python3.11 prints them for the same file.
            assertEquals(List.of("a\n", "b\n", "c\n", "d\ufffd"), r.get("None"));
            assertEquals(List.of("a\r\n", "b\r", "c\n", "d\ufffd"), r.get("''"));
            assertEquals(List.of("a\r\n", "b\rc\n", "d\ufffd"), r.get("'\\n'"));
            assertEquals(List.of("a\r", "\nb\r", "c\nd\ufffd"), r.get("'\\r'"));
            assertEquals(List.of("a\r\n", "b\rc\nd\ufffd"), r.get("'\\r\\n'"));
            assertEquals("a\nb\nc\nd", r.get("ignore"));
            assertEquals("a\nb\nc\nd\ufffd", r.get("replace"));
            assertEquals("a\nb\nc\nd\\xe9", r.get("backslashreplace"));
            assertEquals("a\nb\nc\nd\udce9", r.get("surrogateescape"));
            assertEquals(
                    "'ascii' codec can't decode byte 0xe9 in position 8: ordinal not in " + "range(128)",
                    r.get("strict"));
            assertEquals("x\r\ny\r\n", new String((byte[]) r.get("written"), "ascii"));
            assertEquals(List.of(List.of("a", "b"), List.of("1", "x,y")), r.get("csv"));
            assertEquals(java.util.Map.of("k", List.of(1L, "é")), r.get("json"));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {Isolation.IN_PROCESS, Isolation.PROCESS})
    void whatOpenRefusesIsRefusedWithTheSameError(String mode) throws IOException {
        Files.writeString(data.resolve("plain.txt"), "plain\n");
        try (Sandbox sandbox = sandbox(mode)) {
            SandboxAssert.assertRaises(sandbox, "LookupError", "DATA.open('plain.txt', encoding='nope')");
            assertEquals(
                    PlainCPython.message("open('/dev/null', encoding='base64')"),
                    SandboxAssert.assertRaises(sandbox, "LookupError", "DATA.open('plain.txt', encoding='base64')")
                            .getPythonMessage());
            assertEquals(
                    "unknown encoding: nope",
                    SandboxAssert.assertRaises(sandbox, "LookupError", "DATA.open('plain.txt', encoding='nope')")
                            .getPythonMessage());
            assertEquals(
                    "illegal newline value: x",
                    SandboxAssert.assertRaises(sandbox, "ValueError", "DATA.open('plain.txt', newline='x')")
                            .getPythonMessage());
            SandboxAssert.assertRaises(sandbox, "TypeError", "DATA.open('plain.txt', encoding=7)");
            SandboxAssert.assertRaises(
                    sandbox, "LookupError", "DATA.open('w.txt', 'w', encoding='ascii', errors='bogus').write('\\xe9')");
            // A str subclass is used for its text; none of its methods run.
            sandbox.exec("class Sneaky(str):\n"
                    + "    def __eq__(self, other):\n        raise AssertionError('ran')\n"
                    + "    __hash__ = str.__hash__\n"
                    + "    def __str__(self):\n        raise AssertionError('ran')\n"
                    + "t = DATA.open('plain.txt', encoding=Sneaky('utf-8'), errors=Sneaky('strict'),\n"
                    + "              newline=Sneaky('\\n')).read()\n");
            assertEquals("plain\n", sandbox.get("t"));
        }
    }
}
