package org.objcap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.text.MessageFormat;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The host reads what a script was refused. */
class DenialsTest {

    @Test
    void aFreshSandboxHasNoDenials() {
        try (Sandbox sandbox = Sandbox.builder().build()) {
            assertEquals(new Denials(0, List.of()), sandbox.denials());
            // Ordinary code is not refused anything.
            sandbox.exec("import json, re, collections, enum\n"
                    + "T = collections.namedtuple('T', 'a b')\n"
                    + "class E(enum.Enum):\n    A = 1\n"
                    + "def g(n):\n    yield from range(n)\n"
                    + "try:\n    1 / 0\nexcept ZeroDivisionError as e:\n    tb = e.__traceback__\n"
                    + "s = json.dumps([T(1, 2), E.A.value, sum(g(4)), re.sub('a', 'b', 'aa')])\n");
            assertEquals("[[1, 2], 1, 6, \"bb\"]", sandbox.get("s"));
            assertEquals(new Denials(0, List.of()), sandbox.denials());
        }
    }

    @Test
    void probesByTheStandardLibraryAreNotReported() {
        try (Sandbox sandbox = Sandbox.builder().build()) {
            // inspect.signature (under dataclass) and get_type_hints try
            // getattr(f, '__globals__', None): refused, but not the script's doing.
            sandbox.exec("import dataclasses, typing, traceback\n"
                    + "@dataclasses.dataclass\nclass P:\n    x: int\n    y: 'int' = 2\n"
                    + "def f(a: int) -> str:\n    return str(a)\n"
                    + "hints = typing.get_type_hints(f)\n"
                    + "try:\n    1 / 0\nexcept ZeroDivisionError:\n    text = traceback.format_exc()\n");
            assertEquals(new Denials(0, List.of()), sandbox.denials());
            // The script's own attempts of every kind are reported.
            sandbox.exec("for attempt in ('import os', 'open(\\'/etc/passwd\\')',\n"
                    + "                'object.__subclasses__()', '(lambda: 0).__globals__'):\n"
                    + "    try:\n        exec(attempt)\n    except Exception:\n        pass\n");
            Denials denials = sandbox.denials();
            assertEquals(4, denials.count(), denials.toString());
            assertTrue(denials.recent().stream().anyMatch(e -> e.contains("import os")), denials.toString());
            assertTrue(denials.recent().stream().anyMatch(e -> e.contains("open")), denials.toString());
            assertTrue(denials.recent().stream().anyMatch(e -> e.contains("__subclasses__")), denials.toString());
        }
    }

    /**
     * The requester is not taken from the globals a caller passes: a script
     * that hands a standard-library module's dict to __import__ or exec, or
     * calls through a standard-library frame, gets the script's rules, and
     * each refusal is counted.
     */
    @ParameterizedTest
    @ValueSource(strings = {Isolation.IN_PROCESS, Isolation.PROCESS})
    void aScriptPassingStdlibGlobalsIsStillTheScript(String mode) {
        try (Sandbox sandbox = Modes.builder(mode).build()) {
            sandbox.exec("import functools, heapq, json, typing\n"
                    + "attempts = [lambda: __import__('inspect', vars(json)),\n"
                    + "    lambda: __import__('os', vars(json), None, ['path']),\n"
                    + "    lambda: exec('import ast', vars(json)),\n"
                    + "    lambda: heapq.nsmallest(1, ['inspect'],\n"
                    + "        key=functools.partial(__import__, globals=vars(heapq))),\n"
                    + "    lambda: exec(\"getattr(len, '__self__') and (lambda: 0).__globals__\",\n"
                    + "                 vars(typing)),\n"
                    + "    lambda: exec(typing.get_type_hints.__code__, vars(typing))]\n"
                    + "refused = 0\n"
                    + "for attempt in attempts:\n"
                    + "    try:\n        attempt()\n"
                    + "    except (ImportError, AttributeError, PermissionError):\n"
                    + "        refused += 1\n");
            assertEquals(6L, sandbox.get("refused"));
            Denials denials = sandbox.denials();
            assertEquals(6, denials.count(), denials.toString());
            for (String what : List.of(
                    "import inspect",
                    "import os",
                    "import ast",
                    "__globals__",
                    "exec of a standard-library code object")) {
                assertTrue(
                        denials.recent().stream().anyMatch(e -> e.contains(what)), what + " missing from " + denials);
            }
        }
    }

    /**
     * A refused import made from C code under a standard-library import
     * statement (a script's __import__ replacement answering it) is the
     * script's, and counted (found by review: it passed as the module's).
     */
    @ParameterizedTest
    @ValueSource(strings = {Isolation.IN_PROCESS, Isolation.PROCESS})
    void anImportUnderAStdlibImportStatementIsCounted(String mode) {
        try (Sandbox sandbox = Modes.builder(mode).build()) {
            sandbox.exec("import functools\n"
                    + "real = __import__\n"
                    + "class Inject:\n"
                    + "    __call__ = property(functools.partial(real, 'posix', vars(functools)))\n"
                    + "def restore(self):\n"
                    + "    __builtins__.__import__ = real\n"
                    + "    return Inject()\n"
                    + "class Hook:\n"
                    + "    __call__ = property(restore)\n"
                    + "__builtins__.__import__ = Hook()\n"
                    + "try:\n"
                    + "    functools.singledispatch(lambda x: x)\n"
                    + "except ImportError:\n"
                    + "    pass\n"
                    + "finally:\n"
                    + "    __builtins__.__import__ = real\n");
            Denials denials = sandbox.denials();
            assertEquals(1, denials.count(), denials.toString());
            assertTrue(denials.recent().get(0).contains("import posix"), denials.toString());
        }
    }

    /**
     * On a SyntaxError CPython opens the file named in the call to show its
     * line: refused (the line comes from the text), and not the script's doing.
     */
    @Test
    void aSyntaxErrorInTheHostsTextIsNoDenial() {
        try (Sandbox sandbox = Sandbox.builder().inProcess().build()) {
            for (String text : List.of("x = (1,\n", "def f(:\n", "x = 1 +\n")) {
                PythonException e = assertThrows(PythonException.class, () -> sandbox.exec(text, "/etc/hostname"));
                assertEquals("SyntaxError", e.getPythonType());
            }
            assertEquals(new Denials(0, List.of()), sandbox.denials());
            // The script's own compile() of a host path is still refused and reported.
            sandbox.exec("try:\n    compile('x = (', '/etc/hostname', 'exec')\n" + "except SyntaxError:\n    pass\n");
            assertEquals(1, sandbox.denials().count(), sandbox.denials().toString());
        }
    }

    @Test
    void refusalsAreCountedAndNamed() {
        try (Sandbox sandbox = Sandbox.builder().build()) {
            sandbox.exec("try:\n    (lambda: 0).__globals__\nexcept AttributeError:\n    pass\n"
                    + "try:\n    open('/etc/passwd')\nexcept PermissionError:\n    pass\n");
            Denials denials = sandbox.denials();
            assertTrue(denials.count() >= 1, denials.toString());
            assertTrue(denials.recent().stream().anyMatch(e -> e.contains("__globals__")), denials.toString());
            assertTrue(denials.recent().size() <= denials.count(), denials.toString());
            // Counting goes on; the report is a snapshot.
            // (__builtins__ rather than __closure__, which a CPython with
            // cpython-patches does not have at all, so nothing is refused.)
            sandbox.exec("try:\n    (lambda: 0).__builtins__\nexcept AttributeError:\n    pass\n");
            Denials later = sandbox.denials();
            assertEquals(denials.count() + 1, later.count(), later.toString());
            assertTrue(later.recent().get(later.recent().size() - 1).contains("__builtins__"), later.toString());
        }
    }

    @Test
    void theRecentListKeepsTheLatest() {
        try (Sandbox sandbox = Sandbox.builder().build()) {
            sandbox.exec("def f():\n    return 1\n"
                    + "for i in range(100):\n"
                    + "    try:\n        f.__globals__\n    except AttributeError:\n        pass\n"
                    + "try:\n    f.__builtins__\nexcept AttributeError:\n    pass\n");
            Denials denials = sandbox.denials();
            assertEquals(101, denials.count());
            assertEquals(32, denials.recent().size());
            assertTrue(denials.recent().get(31).contains("__builtins__"), denials.toString());
            assertTrue(denials.recent().get(0).contains("__globals__"), denials.toString());
        }
    }

    @Test
    void newRefusalsAreLoggedAtDebug() {
        Logger logger = Logger.getLogger("org.objcap");
        Level level = logger.getLevel();
        List<String> messages = new CopyOnWriteArrayList<>();
        Handler handler = new Handler() {
            @Override
            public void publish(LogRecord r) {
                if (r.getMessage().contains("refus")) { // not the sandbox's creation
                    messages.add(MessageFormat.format(r.getMessage(), r.getParameters()));
                }
            }

            @Override
            public void flush() {}

            @Override
            public void close() {}
        };
        handler.setLevel(Level.ALL);
        logger.addHandler(handler);
        logger.setLevel(Level.FINE);
        try (Sandbox sandbox = Sandbox.builder().build()) {
            sandbox.exec("x = 1");
            assertEquals(List.of(), messages);
            sandbox.exec("try:\n    (lambda: 0).__globals__\nexcept AttributeError:\n    pass\n");
            assertEquals(1, messages.size(), messages.toString());
            assertTrue(messages.get(0).endsWith("refused object.__getattr__ __globals__"), messages.toString());
            // Logged once: the next call adds only its own.
            assertThrows(PythonException.class, () -> sandbox.exec("(lambda: 0).__builtins__"));
            assertEquals(2, messages.size(), messages.toString());
            assertTrue(messages.get(1).endsWith("refused object.__getattr__ __builtins__"), messages.toString());
        } finally {
            logger.removeHandler(handler);
            logger.setLevel(level);
        }
    }

    @Test
    void aClosedSandboxHasNoReport() {
        Sandbox sandbox = Sandbox.builder().build();
        sandbox.close();
        assertThrows(IllegalStateException.class, sandbox::denials);
    }

    @Test
    void theRecordChecksItsArguments() {
        assertThrows(IllegalArgumentException.class, () -> new Denials(-1, List.of()));
        assertThrows(NullPointerException.class, () -> new Denials(0, null));
        List<String> events = new java.util.ArrayList<>(List.of("open"));
        Denials d = new Denials(1, events);
        events.add("later");
        assertEquals(List.of("open"), d.recent());
        assertThrows(UnsupportedOperationException.class, () -> d.recent().add("x"));
    }
}
