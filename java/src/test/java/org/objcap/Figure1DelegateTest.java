package org.objcap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.objcap.SandboxAssert.assertRaises;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The paper's Figure 1: a security delegate for {@code open} written in pure
 * Python as a closure, which the paper says needs "introspection on free
 * variables of closures" to be removed (section 8). It is written here in the
 * paper's code shape, without its {@code startswith} bug (which let
 * {@code /tmp/restricted_evil} pass for {@code /tmp/restricted}), around a
 * stand-in open capability, and attacked by a script in the same sandbox.
 *
 * <p>On a CPython built with {@code cpython-patches/} (0005, private
 * closures) the closure itself keeps the capability: functions have no
 * {@code __closure__} and cells no {@code cell_contents}. On a stock CPython
 * it is not private: any cell that reaches Python hands out (and takes) its
 * contents, and the delegate is safe in a sandbox only because objcap's
 * audit hook refuses {@code __closure__} (layer 3); outside a sandbox
 * {@code open_delegate.__closure__[0].cell_contents} is the capability.
 * Both are asserted below, each on its own build.
 */
class Figure1DelegateTest {
    /** Trusted set-up, run by the host: Figure 1 with the bug fixed. */
    private static final String SETUP = String.join("\n",
            "def protected_open(open_fxn, restricted_dir,",
            "                   path_join, path_resolver):",
            "    # Define a closure.",
            "    def open(path, flags='r'):",
            "        # Construct an absolute path.",
            "        joined_path = path_join(restricted_dir, path)",
            "        abs_path = path_resolver(joined_path)",
            "        # Verify the path does not violate the directory restriction",
            "        # (the paper's startswith alone let a sibling directory pass).",
            "        if not (abs_path == restricted_dir or",
            "                abs_path.startswith(restricted_dir + '/')):",
            "            msg = ('path leads outside of allowed '",
            "                   'directory')",
            "            raise ValueError(msg)",
            "        # Return the file object.",
            "        return open_fxn(abs_path, flags)",
            "    # Return the closure.",
            "    return open",
            "",
            // os.path is not importable in a sandbox: the same two functions,
            // each returning an exact str whatever str subclass comes in.
            "def join(a, b):",
            "    return b if b.startswith('/') else a + '/' + b",
            "",
            "def normpath(path):",
            "    parts = []",
            "    for part in ''.join([path]).split('/'):",
            "        if part == '..':",
            "            parts = parts[:-1]",
            "        elif part not in ('', '.'):",
            "            parts.append(part)",
            "    return '/' + '/'.join(parts)",
            "",
            // Stands in for the host's open capability: whoever holds it
            // opens any path.
            "def capability(path, flags='r'):",
            "    return ('opened', path, flags)",
            "",
            "open_delegate = protected_open(capability, '/tmp/restricted',",
            "                               join, normpath)",
            "",
            "# Prevent functions from being exposed through open_delegate's",
            "# globals (the script shares this module).",
            "del join, normpath, capability, protected_open",
            "");

    /**
     * The untrusted script: every way it knows to get the capability or to
     * open outside {@code /tmp/restricted}. Prints ESCAPED when one works.
     */
    private static final String ATTACK = String.join("\n",
            "import types",
            "",
            "def is_capability(obj):",
            "    try:",
            "        return obj('/etc/passwd') == ('opened', '/etc/passwd', 'r')",
            "    except Exception:",
            "        return False",
            "",
            "def try_cells(cells, how):",
            "    for cell in cells or ():",
            "        try:",
            "            if is_capability(cell.cell_contents):",
            "                print('ESCAPED', how)",
            "        except AttributeError:",
            "            pass",
            "",
            "# 1. Paths out of the directory, the paper's sibling bug included.",
            "for path in ('../restricted_evil/x', '/tmp/restricted_evil/x',",
            "             '../../etc/passwd', '/etc/passwd', '..', 'a/../../x'):",
            "    try:",
            "        print('ESCAPED path', path, open_delegate(path))",
            "    except ValueError:",
            "        pass",
            "",
            "# 2. The closure, directly and through the member descriptor.",
            "try:",
            "    try_cells(open_delegate.__closure__, 'via __closure__')",
            "except AttributeError:",
            "    pass",
            "try:",
            "    d = type(open_delegate).__dict__['__closure__']",
            "    try_cells(d.__get__(open_delegate), 'via the descriptor')",
            "except (AttributeError, KeyError):",
            "    pass",
            "",
            "# 3. Globals, code and code swapping: a function with the same free",
            "#    variables whose code returns open_fxn.",
            "for name in ('__globals__', '__builtins__'):",
            "    try:",
            "        for value in getattr(open_delegate, name).values():",
            "            if is_capability(value):",
            "                print('ESCAPED via', name)",
            "    except AttributeError:",
            "        pass",
            "# The twin's code comes from compile()'s constants, not __code__.",
            "twin = compile('''",
            "def twin():",
            "    open_fxn = restricted_dir = path_join = path_resolver = None",
            "    def open(path, flags='r'):",
            "        return (open_fxn, restricted_dir, path_join, path_resolver)",
            "    return open",
            "''', 'twin', 'exec')",
            "codes = [c for c in twin.co_consts if isinstance(c, type(twin))]",
            "code = [c for c in codes[0].co_consts if isinstance(c, type(twin))][0]",
            "assert code.co_freevars == ('open_fxn', 'path_join', 'path_resolver',",
            "                            'restricted_dir'), code.co_freevars",
            "try:",
            "    open_delegate.__code__ = code",
            "    for value in open_delegate('x'):",
            "        if is_capability(value):",
            "            print('ESCAPED by swapping __code__')",
            "except (AttributeError, PermissionError):",
            "    pass",
            "try:",
            "    f = types.FunctionType(code, {}, 'f', None,",
            "                           open_delegate.__closure__)",
            "    print('ESCAPED with a new function over its cells', f('x'))",
            "except (AttributeError, TypeError):",
            "    pass",
            "",
            "# 4. The delegate's frame, from code it calls back (a str subclass",
            "#    whose methods run inside path_join): frame -> f_back -> f_locals.",
            "class Evil(str):",
            "    def startswith(self, *args):",
            "        try:",
            "            raise RuntimeError",
            "        except RuntimeError as e:",
            "            try:",
            "                frame = e.__traceback__.tb_frame",
            "                while frame is not None:",
            "                    for value in frame.f_locals.values():",
            "                        if is_capability(value):",
            "                            print('ESCAPED through a frame')",
            "                    frame = frame.f_back",
            "            except AttributeError:",
            "                pass",
            "        return False",
            "try:",
            "    open_delegate(Evil('x'))",
            "except ValueError:",
            "    pass",
            "",
            "# 5. Pickling and copying hand out the same function, not its state.",
            "import copy",
            "for dup in (copy.copy(open_delegate), copy.deepcopy(open_delegate)):",
            "    if dup is not open_delegate:",
            "        print('ESCAPED a copy', dup)",
            "try:",
            "    for part in open_delegate.__reduce_ex__(2):",
            "        if is_capability(part):",
            "            print('ESCAPED via __reduce_ex__')",
            "except TypeError:",
            "    pass",
            "print('done')",
            "");

    private static Sandbox open(String mode, ByteArrayOutputStream out) {
        Sandbox.Builder b = Sandbox.builder().stdout(out);
        return (Isolation.IN_PROCESS.equals(mode) ? b.inProcess() : b).build();
    }

    @ParameterizedTest
    @ValueSource(strings = {Isolation.IN_PROCESS, Isolation.PROCESS})
    void theDelegateWorksAndTheScriptCannotGetItsCapability(String mode) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (Sandbox sandbox = open(mode, out)) {
            sandbox.exec(SETUP, "figure1.py");
            assertEquals(List.of("opened", "/tmp/restricted/notes/a.txt", "r"),
                    sandbox.eval("open_delegate('notes/./a.txt')"));
            assertEquals(List.of("opened", "/tmp/restricted/b", "w"),
                    sandbox.eval("open_delegate('/tmp/restricted/x/../b', 'w')"));
            assertEquals(List.of("open_delegate"), sandbox.eval(
                    "[n for n in globals() if not n.startswith('__')]"));

            sandbox.exec(ATTACK, "attack.py");
            String printed = out.toString(StandardCharsets.UTF_8);
            assertFalse(printed.contains("ESCAPED"), printed);
            assertTrue(printed.endsWith("done\n"), printed);
        }
    }

    /** The fix matters: the paper's own check lets a sibling directory pass. */
    @ParameterizedTest
    @ValueSource(strings = {Isolation.IN_PROCESS, Isolation.PROCESS})
    void thePapersStartswithCheckLetsASiblingDirectoryThrough(String mode) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (Sandbox sandbox = open(mode, out)) {
            sandbox.exec(SETUP.replace(
                    "        if not (abs_path == restricted_dir or\n"
                    + "                abs_path.startswith(restricted_dir + '/')):",
                    "        if not abs_path.startswith(restricted_dir):"), "figure1.py");
            assertEquals(List.of("opened", "/tmp/restricted_evil/x", "r"),
                    sandbox.eval("open_delegate('../restricted_evil/x')"));
        }
    }

    /** What makes it safe differs: the language on a patched CPython, the hook on a stock one. */
    @ParameterizedTest
    @ValueSource(strings = {Isolation.IN_PROCESS, Isolation.PROCESS})
    void closuresArePrivateOnlyOnAPatchedCPython(String mode) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (Sandbox sandbox = open(mode, out)) {
            sandbox.exec(SETUP, "figure1.py");
            sandbox.exec("import types\ncell = types.CellType('capability')\n");
            if (PatchedCPython.active()) {
                // No cell shows what it holds, and functions show no cells:
                // a plain missing attribute, which no audit hook had to refuse.
                PythonException e = assertRaises(sandbox, "AttributeError", "cell.cell_contents");
                assertEquals("'cell' object has no attribute 'cell_contents'",
                        e.getPythonMessage());
                assertRaises(sandbox, "AttributeError", "cell.cell_contents = 'other'");
                e = assertRaises(sandbox, "AttributeError", "open_delegate.__closure__");
                assertEquals("'function' object has no attribute '__closure__'",
                        e.getPythonMessage());
                assertEquals(false, sandbox.eval("'__closure__' in dir(open_delegate)"));
                assertEquals(0L, sandbox.denials().count(), sandbox.denials().toString());
            } else {
                // Documented unsafe: a cell in reach is read and rewritten...
                assertEquals("capability", sandbox.eval("cell.cell_contents"));
                sandbox.exec("cell.cell_contents = 'other'");
                assertEquals("other", sandbox.eval("cell.cell_contents"));
                // ...and only objcap's audit hook keeps the delegate's cells
                // out of reach, refusing the read as a denial.
                PythonException e = assertRaises(sandbox, "AttributeError",
                        "open_delegate.__closure__");
                assertEquals("'__closure__' is not available in this sandbox",
                        e.getPythonMessage());
                assertEquals(List.of("object.__getattr__ __closure__"),
                        sandbox.denials().recent());
            }
        }
    }
}
