package org.objcap.script;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.AbstractMap;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.WeakHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import java.util.function.Supplier;
import javax.script.Bindings;
import javax.script.ScriptContext;
import org.objcap.PythonException;
import org.objcap.PythonReference;
import org.objcap.Sandbox;
import org.objcap.SandboxException;

/**
 * The globals of one sandbox, as JSR-223 {@link Bindings}: a live view that
 * copies values in both directions. {@code put} copies a value into a global
 * of the sandbox's {@code __main__} module, {@code get} copies one out (as
 * {@link Sandbox#get(String)} does: functions, classes and other objects
 * that are not plain values come out as {@link org.objcap.PythonReference}s),
 * and what a script assigns is there for the next {@code get}. Keys are
 * Python identifiers; keys that start with {@code javax.script.} (such as
 * {@link javax.script.ScriptEngine#FILENAME}) are kept on the Java side and
 * never reach the script. Python's module names ({@code __name__},
 * {@code __builtins__}, ...) are left out of {@link #keySet()}.
 *
 * <p>The engine's default {@code ENGINE_SCOPE} is one of these, and so is
 * each {@link javax.script.ScriptEngine#createBindings()}: each has a
 * sandbox of its own, so scripts run with different bindings see nothing of
 * each other. The sandbox is made on first use, with the engine factory's
 * policy. {@link #close()} ends it (and its worker process); bindings that
 * become unreachable without being closed have their sandbox closed by the
 * garbage collector, later.
 *
 * <p>Each operation is a call into the sandbox: {@link #put} and
 * {@link #remove} return {@code null} rather than copy out a previous value
 * that nobody may want, and {@link #entrySet()} is a snapshot. Any thread
 * may use the bindings; operations run one at a time. Unlike other maps,
 * bindings are equal only to themselves.
 */
public final class SandboxBindings extends AbstractMap<String, Object> implements Bindings, AutoCloseable {
    private static final String HELPERS = readHelpers();

    private final ObjcapScriptEngineFactory factory;
    private final ContextOutput out;
    private final ContextOutput err;
    private final ReentrantLock lock = new ReentrantLock();
    /** The reserved keys; guarded by lock. */
    private final Map<String, Object> reserved = new LinkedHashMap<>();
    /** Made on first use; guarded by lock. */
    private Sandbox sandbox;
    /** Guarded by lock. */
    private boolean closed;
    /**
     * Compiled scripts' code in this sandbox; guarded by lock. Weak keys: the
     * code goes when the script does. Kept here rather than in the script, so
     * that a compiled script that lives on keeps no sandbox of bindings that
     * are gone.
     */
    private final Map<ObjcapCompiledScript, PythonReference> compiled = new WeakHashMap<>();
    /** Whether the sandbox's builtins hold GLOBAL_SCOPE values; guarded by lock. */
    private boolean globalScopeSet;

    /**
     * Creates bindings whose sandbox, once made, writes to these writers
     * between scripts (while a script runs, to its context's writers).
     */
    SandboxBindings(ObjcapScriptEngineFactory factory, Writer out, Writer err) {
        this.factory = factory;
        this.out = new ContextOutput(out);
        this.err = new ContextOutput(err);
    }

    @Override
    public Object get(Object key) {
        String name = PythonNames.checkKey(key);
        return locked(() -> {
            if (PythonNames.isReserved(name)) {
                return reserved.get(name);
            }
            try {
                return open().get(name);
            } catch (PythonException e) {
                if (isUndefined(e, name)) {
                    return null;
                }
                throw e;
            }
        });
    }

    /**
     * Copies a value into a global of the sandbox (or keeps a reserved key).
     *
     * @param name a Python identifier, or a key that starts with {@code javax.script.}
     * @param value the value, converted as {@link Sandbox#set(String, Object)} does
     * @return {@code null} for a global (the previous value is not copied
     *     out); the previous value for a reserved key
     * @throws IllegalArgumentException if the name cannot be a Python global,
     *     or the value cannot be converted to Python
     * @throws IllegalStateException if these bindings are closed
     */
    @Override
    public Object put(String name, Object value) {
        PythonNames.checkKey(name);
        return locked(() -> {
            if (PythonNames.isReserved(name)) {
                return reserved.put(name, value);
            }
            open().set(name, value);
            return null;
        });
    }

    /**
     * Deletes a global of the sandbox (or a reserved key).
     *
     * @param key the name
     * @return {@code null} for a global (the value is not copied out); the
     *     previous value for a reserved key
     */
    @Override
    public Object remove(Object key) {
        String name = PythonNames.checkKey(key);
        return locked(() -> {
            if (PythonNames.isReserved(name)) {
                return reserved.remove(name);
            }
            helper(open(), "__objcap_delete__", name);
            return null;
        });
    }

    @Override
    public boolean containsKey(Object key) {
        String name = PythonNames.checkKey(key);
        return locked(() -> PythonNames.isReserved(name)
                ? reserved.containsKey(name)
                : Boolean.TRUE.equals(helper(open(), "__objcap_has__", name)));
    }

    /**
     * Returns the names of the sandbox's globals, without Python's module
     * names ({@code __name__}, ...), and the reserved keys.
     *
     * @return a snapshot
     */
    @Override
    public Set<String> keySet() {
        return locked(() -> {
            Set<String> keys = new LinkedHashSet<>();
            if (helper(open(), "__objcap_names__") instanceof List<?> names) {
                for (Object name : names) {
                    keys.add((String) name);
                }
            }
            keys.addAll(reserved.keySet());
            return Collections.unmodifiableSet(keys);
        });
    }

    /**
     * Returns the globals and their values, copied out now.
     *
     * @return an unmodifiable snapshot
     */
    @Override
    public Set<Map.Entry<String, Object>> entrySet() {
        return locked(() -> {
            Map<String, Object> copy = new LinkedHashMap<>();
            for (String name : keySet()) {
                copy.put(name, get(name));
            }
            return Collections.unmodifiableMap(copy).entrySet();
        });
    }

    @Override
    public int size() {
        return keySet().size();
    }

    @Override
    public boolean containsValue(Object value) {
        return entrySet().stream().anyMatch(e -> Objects.equals(e.getValue(), value));
    }

    @Override
    public void clear() {
        locked(() -> {
            for (String name : keySet()) {
                remove(name);
            }
            return null;
        });
    }

    /**
     * Closes the sandbox behind these bindings and ends its worker process.
     * Later use throws {@link IllegalStateException}. Does nothing if
     * already closed.
     */
    @Override
    public void close() {
        locked(() -> {
            closed = true;
            if (sandbox != null) {
                sandbox.close();
            }
            return null;
        });
    }

    /**
     * Tells whether these bindings can no longer be used: closed, or their
     * sandbox crashed or was killed at a limit.
     *
     * @return {@code true} if closed
     */
    public boolean isClosed() {
        return locked(() -> closed || sandbox != null && sandbox.isClosed());
    }

    /**
     * Bindings are equal only to themselves: two sandboxes are two
     * namespaces, whatever they hold.
     *
     * @param o the other object
     * @return whether it is this object
     */
    @Override
    public boolean equals(Object o) {
        return this == o;
    }

    /**
     * Returns the identity hash code, consistent with {@link #equals(Object)}.
     *
     * @return the identity hash code
     */
    @Override
    public int hashCode() {
        return System.identityHashCode(this);
    }

    @Override
    public String toString() {
        return "SandboxBindings[" + (sandbox == null ? "no sandbox yet" : sandbox) + "]";
    }

    /**
     * Runs engine work in the sandbox, with its output going to the
     * context's writers and the context's {@code GLOBAL_SCOPE} visible.
     */
    <T> T run(ScriptContext context, Function<Sandbox, T> work) {
        return locked(() -> {
            Sandbox s = open();
            Writer idleOut = out.retarget(context.getWriter());
            Writer idleErr = err.retarget(context.getErrorWriter());
            try {
                setGlobalScope(s, context.getBindings(ScriptContext.GLOBAL_SCOPE));
                return work.apply(s);
            } finally {
                out.retarget(idleOut);
                err.retarget(idleErr);
            }
        });
    }

    /**
     * Calls one of the engine's helpers, putting them back first if a
     * script deleted them (by clearing its globals).
     */
    Object helper(Sandbox s, String name, Object... args) {
        try {
            return s.call(name, args);
        } catch (PythonException e) {
            if (!isUndefined(e, name)) {
                throw e;
            }
            s.exec(HELPERS, ScriptErrors.HELPERS_FILE);
            return s.call(name, args);
        }
    }

    /**
     * Compiles a script in this sandbox, once: the compiled code stays in the
     * sandbox for as long as both the bindings and the script live.
     *
     * @return the compiled code
     */
    PythonReference prepare(Sandbox s, ObjcapCompiledScript script) {
        PythonReference code = compiled.get(script);
        if (code == null) {
            Object made = helper(s, "__objcap_compile__", script.source(), script.fileName());
            if (!(made instanceof PythonReference reference)) {
                throw new SandboxException("a script replaced the engine's __objcap_compile__");
            }
            code = reference;
            compiled.put(script, code);
        }
        return code;
    }

    /** Runs a compiled script, compiling it in this sandbox first if needed. */
    Object runCompiled(Sandbox s, ObjcapCompiledScript script, String stdin) {
        return helper(s, "__objcap_run__", prepare(s, script), stdin);
    }

    /**
     * Makes the values of {@code GLOBAL_SCOPE} visible to scripts: copied
     * into the sandbox's builtins, where a global of the same name hides
     * them (as ENGINE_SCOPE hides GLOBAL_SCOPE) and a real builtin is never
     * replaced. Keys that are not Python names are left out, and so are
     * values that do not convert to Python.
     */
    private void setGlobalScope(Sandbox s, Bindings global) {
        Map<String, Object> values = new LinkedHashMap<>();
        if (global != null) {
            global.forEach((name, value) -> {
                if (name != null && PythonNames.isIdentifier(name)) {
                    values.put(name, value);
                }
            });
        }
        if (values.isEmpty() && !globalScopeSet) {
            return; // the usual case costs no call
        }
        try {
            helper(s, "__objcap_global_scope__", values);
        } catch (IllegalArgumentException e) {
            values.values().removeIf(value -> !convertible(s, value));
            helper(s, "__objcap_global_scope__", values);
        }
        globalScopeSet = !values.isEmpty();
    }

    private boolean convertible(Sandbox s, Object value) {
        try {
            helper(s, "__objcap_has__", value);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /** The sandbox, made now if this is the first use. */
    private Sandbox open() {
        if (closed) {
            throw new IllegalStateException("these bindings are closed");
        }
        if (sandbox == null) {
            Sandbox s = factory.newSandbox(out, err);
            try {
                s.exec(HELPERS, ScriptErrors.HELPERS_FILE);
            } catch (RuntimeException e) {
                s.close();
                throw e;
            }
            sandbox = s;
        } else if (sandbox.isClosed()) {
            throw new IllegalStateException("the sandbox behind these bindings is gone (its"
                    + " worker crashed or was killed at a limit), and its globals with it: use"
                    + " new bindings (ScriptEngine.createBindings()) or a new engine");
        }
        return sandbox;
    }

    private <T> T locked(Supplier<T> work) {
        lock.lock();
        try {
            return work.get();
        } finally {
            lock.unlock();
        }
    }

    /** Whether a call failed because the global {@code name} does not exist. */
    private static boolean isUndefined(PythonException e, String name) {
        return "NameError".equals(e.getPythonType())
                && e.getPythonTraceback().isEmpty()
                && e.getPythonMessage().equals("name '" + name + "' is not defined");
    }

    private static String readHelpers() {
        try (InputStream in = SandboxBindings.class.getResourceAsStream("engine.py")) {
            if (in == null) {
                throw new IllegalStateException("engine.py is missing from the objcap jar");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read engine.py from the objcap jar", e);
        }
    }
}
