package org.objcap.script;

import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Reader;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.WeakHashMap;
import javax.script.AbstractScriptEngine;
import javax.script.Bindings;
import javax.script.Compilable;
import javax.script.CompiledScript;
import javax.script.Invocable;
import javax.script.ScriptContext;
import javax.script.ScriptEngine;
import javax.script.ScriptEngineFactory;
import javax.script.ScriptException;
import org.objcap.PythonException;
import org.objcap.PythonReference;
import org.objcap.Sandbox;
import org.objcap.SandboxException;

/**
 * objcap's JSR-223 script engine: Python run in sandboxes. Get one from
 * {@code new ScriptEngineManager().getEngineByName("objcap")}, or from an
 * {@link ObjcapScriptEngineFactory} that sets a policy.
 *
 * <p><b>Where scripts run.</b> A script runs in the sandbox behind its
 * context's {@code ENGINE_SCOPE} bindings. The engine's own bindings, and
 * every {@link #createBindings()}, are {@link SandboxBindings}: each has a
 * sandbox of its own, so {@code eval(script, engine.createBindings())} runs
 * in a fresh, empty namespace that keeps what the script defines for the next
 * {@code eval} with the same bindings, and sees nothing of the engine's
 * default namespace. Any other {@link Bindings} (a {@code SimpleBindings},
 * say) works by copy: the script runs in a new sandbox made for that one
 * call, with the entries copied in as globals; afterwards its globals that
 * are plain values are copied back (functions, classes, modules and the
 * names the script deleted are removed), and that sandbox is closed. That is
 * slower (a new sandbox each time), but keeps scripts apart.
 *
 * <p><b>Scopes.</b> {@code put}/{@code get} and {@code ENGINE_SCOPE}
 * bindings are the script's globals, copied by value. {@code GLOBAL_SCOPE}
 * (e.g. a {@code ScriptEngineManager}'s bindings) is visible to scripts
 * below their globals: its entries are copied into the sandbox's builtins
 * before each script, so a global of the same name hides them and a
 * script's assignments go to its globals; Python's own builtins are never
 * replaced.
 *
 * <p><b>Results and errors.</b> {@code eval} returns the value of the
 * script's last statement if that is an expression (as Python's REPL shows
 * it), else {@code null}. A Python exception, a syntax error, a limit that
 * was hit and a crash all throw {@link ScriptException}: its file, line and
 * (for a syntax error) column say where, and its cause is the
 * {@link PythonException} (with Python's traceback), the
 * {@link org.objcap.LimitExceededException} or the
 * {@link org.objcap.SandboxCrashedException}. A crash, or a limit that
 * killed the worker, leaves the bindings unusable:
 * {@link IllegalStateException} from then on.
 *
 * <p><b>The context.</b> The script's {@code sys.stdout} and
 * {@code sys.stderr} go to the context's writer and error writer. Its
 * {@code sys.stdin} reads the context's reader, which is read in full before
 * the script starts (a sandbox cannot wait for the host); an
 * {@link InputStreamReader}, which is what a {@code SimpleScriptContext}
 * has over {@code System.in} by default, is never read (wrap it, e.g. in a
 * {@code BufferedReader}, to give it to scripts). The context's
 * {@link ScriptEngine#FILENAME} attribute names the script in tracebacks
 * (default {@code <script>}).
 *
 * <p><b>Closing.</b> Script engines are not {@code Closeable} in JSR-223,
 * but each sandbox holds an interpreter and, by default, a worker process.
 * This engine is {@link AutoCloseable}: {@link #close()} ends the sandboxes
 * of the bindings it made. Sandboxes that are never closed end when the
 * garbage collector finds their bindings unreachable.
 *
 * <p>The engine is thread-safe: calls in one sandbox run one at a time,
 * calls in different bindings may run at once.
 */
public final class ObjcapScriptEngine extends AbstractScriptEngine implements Compilable, Invocable, AutoCloseable {
    private static final String DEFAULT_FILE_NAME = "<script>";

    private final ObjcapScriptEngineFactory factory;
    /** The bindings this engine made, to close them with it. */
    private final Set<SandboxBindings> made =
            Collections.synchronizedSet(Collections.newSetFromMap(new WeakHashMap<>()));

    ObjcapScriptEngine(ObjcapScriptEngineFactory factory) {
        this.factory = factory;
        context.setBindings(createBindings(), ScriptContext.ENGINE_SCOPE);
    }

    /**
     * Runs a script and returns the value of its last statement if that is
     * an expression.
     *
     * @param script Python source
     * @param context where it runs (see the class comment)
     * @return the value, copied to Java as {@link Sandbox#eval(String)} does,
     *     or {@code null}
     * @throws ScriptException if the script raised, does not compile, hit a
     *     limit or crashed its sandbox
     * @throws IllegalArgumentException if a binding cannot be copied to Python
     * @throws IllegalStateException if the bindings are closed
     */
    @Override
    public Object eval(String script, ScriptContext context) throws ScriptException {
        Objects.requireNonNull(script, "script");
        Objects.requireNonNull(context, "context");
        return execute(script, fileName(context), null, context);
    }

    /**
     * Reads a script to its end and runs it, as {@link #eval(String, ScriptContext)}.
     *
     * @param reader the script's source
     * @param context where it runs
     * @return the value of the last expression statement, or {@code null}
     * @throws ScriptException if the reader fails, or as {@link #eval(String, ScriptContext)}
     */
    @Override
    public Object eval(Reader reader, ScriptContext context) throws ScriptException {
        return eval(readAll(Objects.requireNonNull(reader, "reader"), "the script"), context);
    }

    /**
     * Returns new bindings with a sandbox of their own (made on first use).
     * Close them ({@link SandboxBindings#close()}) when done, or close the
     * engine.
     *
     * @return new, empty {@link SandboxBindings}
     */
    @Override
    public Bindings createBindings() {
        SandboxBindings bindings = factory.newBindings(context.getWriter(), context.getErrorWriter());
        made.add(bindings);
        return bindings;
    }

    @Override
    public ScriptEngineFactory getFactory() {
        return factory;
    }

    /**
     * Compiles a script once, to run it many times. A syntax error is
     * reported now; the script is compiled in each sandbox it runs in once.
     *
     * @param script Python source
     * @return the compiled script
     * @throws ScriptException if it does not compile
     */
    @Override
    public CompiledScript compile(String script) throws ScriptException {
        Objects.requireNonNull(script, "script");
        ObjcapCompiledScript compiled = new ObjcapCompiledScript(this, script, fileName(context));
        Bindings scope = context.getBindings(ScriptContext.ENGINE_SCOPE);
        try {
            if (scope instanceof SandboxBindings bindings) {
                bindings.run(context, s -> bindings.prepare(s, compiled));
            } else {
                try (SandboxBindings check = factory.newBindings(null, null)) {
                    check.run(context, s -> check.prepare(s, compiled));
                }
            }
        } catch (SandboxException e) {
            throw ScriptErrors.toScriptException(e, script, compiled.fileName());
        }
        return compiled;
    }

    /**
     * Reads a script to its end and compiles it.
     *
     * @param script the script's source
     * @return the compiled script
     * @throws ScriptException if the reader fails or the script does not compile
     */
    @Override
    public CompiledScript compile(Reader script) throws ScriptException {
        return compile(readAll(Objects.requireNonNull(script, "script"), "the script"));
    }

    /**
     * Calls a function that a script defined in the engine's bindings.
     *
     * @param name the function's name (any callable global)
     * @param args the arguments, copied to Python
     * @return the return value, copied to Java
     * @throws NoSuchMethodException if there is no such callable global
     * @throws ScriptException if the function raised, hit a limit or crashed
     *     the sandbox
     */
    @Override
    public Object invokeFunction(String name, Object... args) throws ScriptException, NoSuchMethodException {
        Objects.requireNonNull(name, "name");
        return invoke(null, name, args);
    }

    /**
     * Calls a method of a Python object that a script returned.
     *
     * @param thiz the object, a {@link PythonReference} from the engine's bindings
     * @param name the method's name
     * @param args the arguments, copied to Python
     * @return the return value, copied to Java
     * @throws NoSuchMethodException if the object has no such method
     * @throws ScriptException if the method raised, hit a limit or crashed
     *     the sandbox
     * @throws IllegalArgumentException if {@code thiz} is not a
     *     {@link PythonReference} of the engine's bindings' sandbox
     */
    @Override
    public Object invokeMethod(Object thiz, String name, Object... args) throws ScriptException, NoSuchMethodException {
        Objects.requireNonNull(name, "name");
        return invoke(pythonObject(thiz), name, args);
    }

    /**
     * Returns the Java interface implemented by the script's functions of
     * the same names, in the engine's bindings. Default methods run their
     * Java code. A Python exception propagates as the (unchecked)
     * {@link PythonException} unless the method declares
     * {@link ScriptException}; return values are converted to the method's
     * return type where a number fits ({@code int} from a Python
     * {@code int}, {@code double} from {@code int} or {@code float}).
     *
     * @param <T> the interface
     * @param clasz the interface
     * @return the implementation, or {@code null} if a function is missing
     * @throws IllegalArgumentException if {@code clasz} is not an interface
     */
    @Override
    public <T> T getInterface(Class<T> clasz) {
        return implementation(null, clasz);
    }

    /**
     * Returns the Java interface implemented by the methods of a Python
     * object, as {@link #getInterface(Class)}.
     *
     * @param <T> the interface
     * @param thiz the object, a {@link PythonReference} from the engine's bindings
     * @param clasz the interface
     * @return the implementation, or {@code null} if a method is missing
     * @throws IllegalArgumentException if {@code clasz} is not an interface or
     *     {@code thiz} is not a {@link PythonReference}
     */
    @Override
    public <T> T getInterface(Object thiz, Class<T> clasz) {
        return implementation(pythonObject(thiz), clasz);
    }

    /**
     * Closes the sandboxes of the bindings this engine made (its own and
     * those of {@link #createBindings()}), ending their worker processes.
     * The engine cannot run scripts in them afterwards.
     */
    @Override
    public void close() {
        List<SandboxBindings> all;
        synchronized (made) {
            all = new ArrayList<>(made);
        }
        all.forEach(SandboxBindings::close);
    }

    /** Runs a script's source, or a compiled script, in the context's sandbox. */
    Object execute(String source, String fileName, ObjcapCompiledScript compiled, ScriptContext context)
            throws ScriptException {
        String stdin = stdin(context);
        Bindings scope = context.getBindings(ScriptContext.ENGINE_SCOPE);
        if (scope instanceof SandboxBindings bindings) {
            return runIn(bindings, source, fileName, compiled, stdin, context);
        }
        if (scope == null) {
            throw new IllegalArgumentException("the context has no ENGINE_SCOPE bindings");
        }
        return runInCopy(scope, source, fileName, compiled, stdin, context);
    }

    private Object runIn(
            SandboxBindings bindings,
            String source,
            String fileName,
            ObjcapCompiledScript compiled,
            String stdin,
            ScriptContext context)
            throws ScriptException {
        try {
            return bindings.run(
                    context,
                    s -> compiled != null
                            ? bindings.runCompiled(s, compiled, stdin)
                            : bindings.helper(s, "__objcap_eval__", source, fileName, stdin));
        } catch (SandboxException e) {
            throw ScriptErrors.toScriptException(e, source, fileName);
        } catch (IllegalArgumentException e) {
            // The bindings' values went in before; what fails now is the result.
            ScriptException failure =
                    new ScriptException("the script's value cannot be copied to Java: " + e.getMessage());
            failure.initCause(e);
            throw failure;
        }
    }

    /** Runs with other bindings: copies them into a sandbox made for this call, and back. */
    private Object runInCopy(
            Bindings scope,
            String source,
            String fileName,
            ObjcapCompiledScript compiled,
            String stdin,
            ScriptContext context)
            throws ScriptException {
        Map<String, Object> copiedIn = new LinkedHashMap<>();
        scope.forEach((name, value) -> {
            if (name != null && PythonNames.isIdentifier(name)) {
                copiedIn.put(name, value);
            }
        });
        try (SandboxBindings copy = factory.newBindings(context.getWriter(), context.getErrorWriter())) {
            copiedIn.forEach((name, value) -> {
                try {
                    copy.put(name, value);
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException(
                            "binding '" + name + "' cannot be copied to Python: " + e.getMessage(), e);
                }
            });
            try {
                return runIn(copy, source, fileName, compiled, stdin, context);
            } finally {
                if (!copy.isClosed()) {
                    copyBack(copy, scope, copiedIn.keySet());
                }
            }
        }
    }

    /** Copies a script's plain values back; removes the names it deleted or rebound to objects. */
    private static void copyBack(SandboxBindings from, Bindings to, Set<String> copiedIn) {
        Set<String> copied = new HashSet<>();
        for (String name : from.keySet()) {
            if (PythonNames.isReserved(name)) {
                continue;
            }
            Object value;
            try {
                value = from.get(name);
            } catch (RuntimeException e) {
                continue; // a value too deeply nested for Java stays behind
            }
            if (!(value instanceof PythonReference)) { // it would not outlive the sandbox
                to.put(name, value);
                copied.add(name);
            }
        }
        for (String name : copiedIn) {
            if (!copied.contains(name)) {
                to.remove(name);
            }
        }
    }

    private Object invoke(PythonReference target, String name, Object[] args)
            throws ScriptException, NoSuchMethodException {
        try {
            return call(bindings(), target, name, args);
        } catch (PythonException e) {
            if (ScriptErrors.isNoSuchMethod(e)) {
                throw new NoSuchMethodException(
                        target == null
                                ? "the script defines no function '" + name + "'"
                                : "the " + target.typeName() + " object has no method '" + name + "'");
            }
            throw ScriptErrors.toScriptException(e, null, null);
        } catch (SandboxException e) {
            throw ScriptErrors.toScriptException(e, null, null);
        }
    }

    /**
     * Calls a function (target null) or a method in the bindings' sandbox.
     * Unchecked: a Python exception comes without the helpers' frames.
     */
    Object call(SandboxBindings bindings, PythonReference target, String name, Object[] args) {
        List<Object> arguments = args == null ? List.of() : Arrays.asList(args);
        try {
            return bindings.run(context, s -> bindings.helper(s, "__objcap_invoke__", target, name, arguments));
        } catch (PythonException e) {
            throw ScriptErrors.withoutHelperFrames(e, null);
        }
    }

    private <T> T implementation(PythonReference target, Class<T> type) {
        if (type == null || !type.isInterface()) {
            throw new IllegalArgumentException("not an interface: " + type);
        }
        Bindings scope = context.getBindings(ScriptContext.ENGINE_SCOPE);
        if (!(scope instanceof SandboxBindings bindings)) {
            return null; // plain bindings hold no functions
        }
        List<String> names = InterfaceProxy.abstractMethodNames(type);
        Object implemented = bindings.run(context, s -> bindings.helper(s, "__objcap_implements__", target, names));
        if (!Boolean.TRUE.equals(implemented)) {
            return null;
        }
        return InterfaceProxy.create(this, bindings, target, type);
    }

    /** The engine's bindings, which hold the functions that invoke* calls. */
    private SandboxBindings bindings() throws NoSuchMethodException {
        Bindings scope = context.getBindings(ScriptContext.ENGINE_SCOPE);
        if (scope instanceof SandboxBindings bindings) {
            return bindings;
        }
        throw new NoSuchMethodException("the engine's ENGINE_SCOPE bindings are not objcap's"
                + " (use createBindings()), so no script function lives in them");
    }

    private static PythonReference pythonObject(Object thiz) {
        if (thiz instanceof PythonReference reference) {
            return reference;
        }
        throw new IllegalArgumentException("thiz must be a Python object that a script"
                + " returned (a PythonReference), not "
                + (thiz == null ? "null" : "a " + thiz.getClass().getName()));
    }

    private static String fileName(ScriptContext context) {
        Object name = context.getAttribute(ScriptEngine.FILENAME);
        return name == null ? DEFAULT_FILE_NAME : name.toString();
    }

    /** The script's standard input: the context's reader, read now; null for none. */
    private static String stdin(ScriptContext context) throws ScriptException {
        Reader reader = context.getReader();
        if (reader == null || reader instanceof InputStreamReader) {
            return null;
        }
        return readAll(reader, "the context's reader");
    }

    private static String readAll(Reader reader, String what) throws ScriptException {
        StringBuilder text = new StringBuilder();
        char[] buffer = new char[8192];
        try {
            for (int n; (n = reader.read(buffer)) != -1; ) {
                text.append(buffer, 0, n);
            }
        } catch (IOException e) {
            ScriptException failure = new ScriptException("cannot read " + what + ": " + e);
            failure.initCause(e);
            throw failure;
        }
        return text.toString();
    }
}
