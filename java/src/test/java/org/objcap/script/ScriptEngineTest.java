package org.objcap.script;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.StringReader;
import java.io.StringWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import javax.script.Bindings;
import javax.script.Compilable;
import javax.script.CompiledScript;
import javax.script.Invocable;
import javax.script.ScriptContext;
import javax.script.ScriptEngine;
import javax.script.ScriptEngineFactory;
import javax.script.ScriptEngineManager;
import javax.script.ScriptException;
import javax.script.SimpleBindings;
import javax.script.SimpleScriptContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * One test per promise of the JSR-223 engine, written against
 * {@code javax.script} only (the factory's policy constructor aside, which
 * is how a host sets a policy).
 */
class ScriptEngineTest {
    private ScriptEngineManager manager;
    private ScriptEngine engine;

    @BeforeEach
    void newEngine() {
        manager = new ScriptEngineManager();
        engine = manager.getEngineByName("objcap");
        assertNotNull(engine, "no engine named objcap");
    }

    @AfterEach
    void closeEngine() throws Exception {
        ((AutoCloseable) engine).close();
    }

    @Test
    void foundByItsNamesExtensionAndMimeTypeButNotAsPython() {
        for (ScriptEngine e : List.of(
                manager.getEngineByName("python-sandbox"),
                manager.getEngineByExtension("py"),
                manager.getEngineByMimeType("text/x-python"))) {
            assertEquals("objcap", e.getFactory().getEngineName());
        }
        ScriptEngineFactory factory = engine.getFactory();
        assertEquals(List.of("objcap", "python-sandbox"), factory.getNames());
        assertFalse(factory.getNames().contains("python"), "python is Jython's name");
        assertNull(manager.getEngineByName("python"));
        assertEquals("python", factory.getLanguageName());
        assertTrue(factory.getLanguageVersion().matches("3\\.1[1-4]\\.\\d+\\S*"), factory.getLanguageVersion());
        assertEquals(factory.getEngineVersion(), factory.getParameter(ScriptEngine.ENGINE_VERSION));
        assertEquals("objcap", factory.getParameter(ScriptEngine.NAME));
    }

    @Test
    void evalReturnsTheValueOfTheLastExpressionStatement() throws ScriptException {
        assertEquals(42L, engine.eval("x = 2\nx * 21"));
        assertEquals(
                List.of(1L, 4L), engine.eval("def sq(n):\n    return n * n\n\n" + "[sq(1),\n sq(2)]  # two lines\n"));
        assertEquals("a;b", engine.eval("';'.join(['a', 'b']); "));
        assertNull(engine.eval("y = 3"));
        assertNull(engine.eval("7\ny = 4"), "the last statement is not an expression");
        assertNull(engine.eval("if True:\n    5\n"), "only a top-level expression counts");
        assertNull(engine.eval(""));
        assertEquals(12L, engine.eval(new StringReader("y * x + 4")));
    }

    @Test
    void putAndGetCopyGlobalsByValue() throws ScriptException {
        List<String> names = new ArrayList<>(List.of("ada"));
        engine.put("names", names);
        engine.eval("names.append('grace')\ncount = len(names)");
        assertEquals(List.of("ada"), names, "Python changed a copy");
        assertEquals(List.of("ada", "grace"), engine.get("names"));
        assertEquals(2L, engine.get("count"));
        assertNull(engine.get("undefined"));
        @SuppressWarnings("unchecked")
        List<Object> out = (List<Object>) engine.get("names");
        out.clear();
        assertEquals(2L, engine.eval("len(names)"), "Java changed a copy");
        assertThrows(IllegalArgumentException.class, () -> engine.put("not-a-name", 1));
        assertThrows(IllegalArgumentException.class, () -> engine.put("class", 1));
        assertThrows(IllegalArgumentException.class, () -> engine.put("thread", new Thread()));
    }

    @Test
    void engineScopeBindingsAreALiveViewOfTheGlobals() throws ScriptException {
        Bindings globals = engine.getBindings(ScriptContext.ENGINE_SCOPE);
        engine.eval("a = 1\nimport json\ndef f():\n    pass\n");
        assertEquals(List.of("a", "json", "f"), new ArrayList<>(globals.keySet()));
        assertTrue(globals.containsKey("a"));
        assertFalse(globals.containsKey("b"));
        globals.put("b", "two");
        assertEquals("two", engine.eval("b"));
        globals.remove("a");
        ScriptException e = assertThrows(ScriptException.class, () -> engine.eval("a"));
        assertTrue(e.getMessage().startsWith("NameError: name 'a' is not defined"), e.getMessage());
        globals.put(ScriptEngine.FILENAME, "kept-in-java.py");
        assertEquals("kept-in-java.py", globals.get(ScriptEngine.FILENAME));
        assertEquals(false, engine.eval("'javax.script.filename' in globals()"));
        Map<String, Object> snapshot = Map.copyOf(globals);
        assertEquals(Set.of("b", "json", "f", ScriptEngine.FILENAME), snapshot.keySet());
        assertEquals("two", snapshot.get("b"));
        assertTrue(snapshot.get("json").toString().contains("module"), "a module is a reference");
        globals.clear();
        assertTrue(globals.isEmpty());
        assertEquals(false, engine.eval("'b' in globals()"));
    }

    @Test
    void globalScopeIsSeenBelowTheScriptsGlobals() throws ScriptException {
        manager.put("rate", 0.25);
        manager.put("len", "not the builtin");
        manager.put("javax.script.argv", new String[0]);
        assertEquals(2.5, engine.eval("rate * 10"));
        assertEquals(2L, engine.eval("len('ab')"), "a builtin is never replaced");
        engine.put("rate", 0.5);
        assertEquals(5.0, engine.eval("rate * 10"), "ENGINE_SCOPE hides GLOBAL_SCOPE");
        engine.getBindings(ScriptContext.ENGINE_SCOPE).remove("rate");
        manager.put("rate", 0.75);
        assertEquals(7.5, engine.eval("rate * 10"), "copied afresh for each script");
        manager.getBindings().remove("rate");
        assertThrows(ScriptException.class, () -> engine.eval("rate"));
        assertFalse(engine.getBindings(ScriptContext.ENGINE_SCOPE).containsKey("rate"));
    }

    @Test
    void createBindingsIsAFreshNamespaceThatKeepsWhatScriptsDefine() throws ScriptException {
        engine.eval("x = 'default'");
        Bindings fresh = engine.createBindings();
        assertEquals(false, engine.eval("'x' in globals()", fresh));
        engine.eval("x = 'fresh'\ndef twice(v):\n    return v * 2\n", fresh);
        assertEquals("freshfresh", engine.eval("twice(x)", fresh));
        assertEquals("fresh", fresh.get("x"));
        assertEquals("default", engine.eval("x"));
        assertThrows(ScriptException.class, () -> engine.eval("twice"));
    }

    @Test
    void otherBindingsAreCopiedInAndBack() throws ScriptException {
        Bindings plain =
                new SimpleBindings(new HashMap<>(Map.of("x", 2L, "gone", 1L, "javax.script.filename", "plain.py")));
        assertEquals(2L, engine.eval("y = x * 2\ndef f():\n    pass\ndel gone\nx", plain));
        assertEquals(Map.of("x", 2L, "y", 4L, "javax.script.filename", "plain.py"), plain);
        assertNull(engine.get("y"), "the engine's own globals are untouched");
        ScriptException e = assertThrows(ScriptException.class, () -> engine.eval("z = 1\nundefined_name", plain));
        assertEquals("plain.py", e.getFileName());
        assertEquals(1L, plain.get("z"), "copied back after an error too");
    }

    @Test
    void theContextsWritersAndReaderAreUsed() throws ScriptException {
        ScriptContext context = new SimpleScriptContext();
        context.setBindings(engine.createBindings(), ScriptContext.ENGINE_SCOPE);
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        context.setWriter(out);
        context.setErrorWriter(err);
        context.setReader(new StringReader("ada\ngrace\n"));
        engine.eval(
                "import sys\nfor line in sys.stdin:\n    print(line.strip().title())\n"
                        + "print('done', file=sys.stderr)\nprint('é😀')",
                context);
        assertEquals("Ada\nGrace\né😀\n", out.toString());
        assertEquals("done\n", err.toString());
        // The default context's reader is System.in: never read, never waited for.
        assertNull(assertTimeoutPreemptively(Duration.ofSeconds(20), () -> engine.eval("import sys\nsys.stdin")));
    }

    @Test
    void compiledScriptsRunManyTimesInAnyBindings() throws ScriptException {
        CompiledScript counter = ((Compilable) engine).compile("n = n + 1\nn");
        engine.put("n", 0);
        assertEquals(1L, counter.eval());
        assertEquals(2L, counter.eval());
        Bindings other = engine.createBindings();
        other.put("n", 100);
        assertEquals(101L, counter.eval(other));
        assertEquals(3L, counter.eval());
        assertSame(engine, counter.getEngine());
        ScriptException e =
                assertThrows(ScriptException.class, () -> ((Compilable) engine).compile("ok = 1\nbad = (1 +\n"));
        assertEquals(2, e.getLineNumber());
    }

    @Test
    void invokeFunctionAndInvokeMethodCallPython() throws Exception {
        engine.eval("def area(w, h):\n    return w * h\n"
                + "class Greeter:\n    def greet(self, name):\n        return 'hi ' + name\n"
                + "greeter = Greeter()\nnot_callable = 3\n");
        Invocable invocable = (Invocable) engine;
        assertEquals(12L, invocable.invokeFunction("area", 3, 4));
        assertEquals("hi ada", invocable.invokeMethod(engine.get("greeter"), "greet", "ada"));
        assertThrows(NoSuchMethodException.class, () -> invocable.invokeFunction("missing"));
        assertThrows(NoSuchMethodException.class, () -> invocable.invokeFunction("not_callable"));
        assertThrows(NoSuchMethodException.class, () -> invocable.invokeMethod(engine.get("greeter"), "wave"));
        assertThrows(IllegalArgumentException.class, () -> invocable.invokeMethod("a Java string", "upper"));
        ScriptException e = assertThrows(ScriptException.class, () -> invocable.invokeFunction("area", 3));
        assertTrue(e.getMessage().startsWith("TypeError: "), e.getMessage());
    }

    /** What a host might want a script to implement. */
    public interface Pricing {
        double price(String item, int quantity);

        int discountPercent(long total);

        default String currency() {
            return "EUR";
        }
    }

    @Test
    void getInterfaceImplementsAJavaInterfaceWithScriptFunctions() throws ScriptException {
        Invocable invocable = (Invocable) engine;
        engine.eval("def price(item, quantity):\n    return 2 * quantity\n");
        assertNull(invocable.getInterface(Pricing.class), "discountPercent is missing");
        engine.eval("def discount_percent(total):\n    return 10\n"
                + "def discountPercent(total):\n    return 10 if total > 100 else 1 // 0\n");
        Pricing pricing = invocable.getInterface(Pricing.class);
        assertEquals(6.0, pricing.price("apple", 3), "a Python int becomes a double");
        assertEquals(10, pricing.discountPercent(500));
        assertEquals("EUR", pricing.currency());
        RuntimeException e = assertThrows(RuntimeException.class, () -> pricing.discountPercent(5));
        assertTrue(e.getMessage().startsWith("ZeroDivisionError"), e.getMessage());

        engine.eval("class Shop:\n    def price(self, item, quantity):\n        return 1.5\n"
                + "    def discountPercent(self, total):\n        return 0\nshop = Shop()\n");
        Pricing shop = invocable.getInterface(engine.get("shop"), Pricing.class);
        assertEquals(1.5, shop.price("pear", 1));
        assertThrows(IllegalArgumentException.class, () -> invocable.getInterface(String.class));
    }

    @Test
    void errorsAreScriptExceptionsWithFileLineAndColumn() {
        engine.put(ScriptEngine.FILENAME, "rules.py");
        ScriptException syntax = assertThrows(ScriptException.class, () -> engine.eval("x = 1\ny = (1,\n"));
        assertEquals("rules.py", syntax.getFileName());
        assertEquals(2, syntax.getLineNumber());
        assertEquals(5, syntax.getColumnNumber());
        assertEquals(
                "SyntaxError: '(' was never closed in rules.py at line number 2" + " at column number 5",
                syntax.getMessage());

        ScriptException raised =
                assertThrows(ScriptException.class, () -> engine.eval("def f(n):\n    return 10 / n\n\nf(0)\n"));
        assertEquals("rules.py", raised.getFileName());
        assertEquals(2, raised.getLineNumber());
        assertEquals(-1, raised.getColumnNumber());
        assertTrue(raised.getMessage().startsWith("ZeroDivisionError: division by zero"));
        String traceback = raised.getCause().toString();
        assertFalse(traceback.contains("<objcap>"), "the engine's own frames are hidden");
    }

    @Test
    void threadingParameterTellsTheTruth() throws Exception {
        assertEquals("MULTITHREADED", engine.getFactory().getParameter("THREADING"));
        engine.put("counter", 0);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                done.add(pool.submit(() -> {
                    for (int i = 0; i < 25; i++) {
                        engine.eval("counter += 1");
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
        } finally {
            pool.shutdown();
        }
        assertEquals(100L, engine.get("counter"), "no update was lost");
    }

    @Test
    void safeByDefaultAndAPolicyThroughTheFactory() throws Exception {
        ScriptException open = assertThrows(ScriptException.class, () -> engine.eval("open('/etc/passwd').read()"));
        assertTrue(open.getMessage().startsWith("PermissionError"), open.getMessage());
        ScriptException os = assertThrows(ScriptException.class, () -> engine.eval("import os"));
        assertTrue(os.getMessage().startsWith("ModuleNotFoundError"), os.getMessage());
        assertThrows(ScriptException.class, () -> engine.eval("import shlex"));

        ScriptEngine limited = new ObjcapScriptEngineFactory(sandbox ->
                        sandbox.inProcess().timeout(Duration.ofSeconds(3)).allowModule("shlex"))
                .getScriptEngine();
        try {
            assertEquals(List.of("a", "b c"), limited.eval("import shlex\nshlex.split('a \"b c\"')"));
            ScriptException slow = assertThrows(ScriptException.class, () -> limited.eval("while True:\n    pass\n"));
            assertTrue(slow.getMessage().contains("time limit"), slow.getMessage());
            assertEquals(
                    "org.objcap.LimitExceededException",
                    slow.getCause().getClass().getName());
            assertEquals(1L, limited.eval("1"), "the sandbox stays usable");
        } finally {
            ((AutoCloseable) limited).close();
        }
        assertThrows(
                IllegalArgumentException.class,
                () -> new ObjcapScriptEngineFactory(sandbox -> sandbox.allowModule("no_such_mod")));
    }

    @Test
    void outputStatementProgramAndMethodCallSyntaxAreValidPython() throws ScriptException {
        ScriptEngineFactory factory = engine.getFactory();
        StringWriter out = new StringWriter();
        engine.getContext().setWriter(out);
        String text = "it's \"quoted\"\n\\ tab\t é \u0001";
        engine.eval(factory.getProgram(
                "s = 'abc'",
                factory.getOutputStatement(text),
                factory.getOutputStatement(factory.getMethodCallSyntax("s", "upper"))));
        assertEquals(text + "\ns.upper()\n", out.toString());
        assertEquals("ABC", engine.eval(factory.getMethodCallSyntax("s", "upper")));
    }

    @Test
    void aCrashIsAScriptExceptionAndLeavesTheBindingsClosed() throws ScriptException {
        engine.eval("x = 1");
        ScriptException crash = assertThrows(
                ScriptException.class,
                () -> engine.eval("y = [1]\nfor i in range(1000000):\n    y = map(abs, y)\nnext(y)\n"));
        assertEquals(
                "org.objcap.SandboxCrashedException",
                crash.getCause().getClass().getName());
        IllegalStateException gone = assertThrows(IllegalStateException.class, () -> engine.eval("x"));
        assertTrue(gone.getMessage().contains("createBindings()"), gone.getMessage());
        assertEquals(2L, engine.eval("1 + 1", engine.createBindings()), "new bindings work");
        assertInstanceOf(AutoCloseable.class, engine.createBindings());
    }
}
