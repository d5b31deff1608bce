package org.objcap.script;

import java.io.OutputStream;
import java.io.Writer;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.script.ScriptEngine;
import javax.script.ScriptEngineFactory;
import org.objcap.Sandbox;
import org.objcap.SandboxException;
import org.objcap.internal.NativeEngine;

/**
 * Makes {@link ObjcapScriptEngine}s: Python in objcap sandboxes, for
 * JSR-223 ({@code javax.script}). Registered as a service, so that
 * {@code new ScriptEngineManager().getEngineByName("objcap")} finds it (also
 * by the name {@code python-sandbox}, the extension {@code py} and the MIME
 * type {@code text/x-python}; it does not claim the name {@code python},
 * which is Jython's).
 *
 * <p>The service's engines have the safe defaults of {@link Sandbox.Builder}:
 * a confined worker process per sandbox, the default module whitelist, no
 * capabilities and the default limits. To set a policy, make a factory with
 * one:
 *
 * <pre>{@code
 * ScriptEngine engine = new ObjcapScriptEngineFactory(sandbox -> sandbox
 *         .timeout(Duration.ofSeconds(2))
 *         .memoryLimit(64 << 20)
 *         .allowModule("shlex")).getScriptEngine();
 * // or, for a ScriptEngineManager: manager.registerEngineName("objcap", factory)
 * }</pre>
 */
public final class ObjcapScriptEngineFactory implements ScriptEngineFactory {
    private static final List<String> NAMES = List.of("objcap", "python-sandbox");
    private static final List<String> EXTENSIONS = List.of("py");
    private static final List<String> MIME_TYPES = List.of("text/x-python");
    private static final String THREADING = "THREADING";

    private final Consumer<? super Sandbox.Builder> policy;

    /**
     * Creates a factory whose engines use objcap's defaults (see the class
     * comment). This is the one that {@code ScriptEngineManager} finds.
     */
    public ObjcapScriptEngineFactory() {
        this.policy = builder -> {};
    }

    /**
     * Creates a factory whose engines' sandboxes have a policy of the host's
     * choosing. The policy is applied to a fresh {@link Sandbox#builder()} for
     * every sandbox (each engine's bindings, each
     * {@link ScriptEngine#createBindings()}), and once now, to report a bad
     * policy here rather than at the first script. Output streams it sets
     * are replaced: scripts write to their {@code ScriptContext}'s writers.
     *
     * @param policy sets modules, limits, isolation and grants on a builder
     * @throws NullPointerException if {@code policy} is null
     * @throws IllegalArgumentException if the policy throws it (e.g. an
     *     unknown module)
     */
    public ObjcapScriptEngineFactory(Consumer<? super Sandbox.Builder> policy) {
        this.policy = Objects.requireNonNull(policy, "policy");
        policy.accept(Sandbox.builder());
    }

    /** {@return {@code objcap}} */
    @Override
    public String getEngineName() {
        return NAMES.get(0);
    }

    /** {@return objcap's version, e.g. {@code 0.1.0}} */
    @Override
    public String getEngineVersion() {
        return Versions.ENGINE;
    }

    /** {@return {@code py}} */
    @Override
    public List<String> getExtensions() {
        return EXTENSIONS;
    }

    /** {@return {@code text/x-python}} */
    @Override
    public List<String> getMimeTypes() {
        return MIME_TYPES;
    }

    /** {@return {@code objcap} and {@code python-sandbox}} */
    @Override
    public List<String> getNames() {
        return NAMES;
    }

    /** {@return {@code python}} */
    @Override
    public String getLanguageName() {
        return "python";
    }

    /** {@return the version of the embedded CPython, e.g. {@code 3.11.2}} */
    @Override
    public String getLanguageVersion() {
        return Versions.PYTHON;
    }

    /**
     * Returns the engine's JSR-223 parameters. {@code THREADING} is
     * {@code MULTITHREADED}: any thread may run scripts; those in one
     * bindings' sandbox run one at a time and see each other's effects.
     *
     * @param key {@link ScriptEngine#ENGINE}, {@link ScriptEngine#ENGINE_VERSION},
     *     {@link ScriptEngine#NAME}, {@link ScriptEngine#LANGUAGE},
     *     {@link ScriptEngine#LANGUAGE_VERSION} or {@code THREADING}
     * @return the value, or {@code null} for another key
     */
    @Override
    public Object getParameter(String key) {
        switch (Objects.requireNonNull(key, "key")) {
            case ScriptEngine.ENGINE:
                return getEngineName();
            case ScriptEngine.ENGINE_VERSION:
                return getEngineVersion();
            case ScriptEngine.NAME:
                return getEngineName();
            case ScriptEngine.LANGUAGE:
                return getLanguageName();
            case ScriptEngine.LANGUAGE_VERSION:
                return getLanguageVersion();
            case THREADING:
                return "MULTITHREADED";
            default:
                return null;
        }
    }

    /** {@return {@code obj.m(arg, ...)}} */
    @Override
    public String getMethodCallSyntax(String obj, String m, String... args) {
        return obj + "." + m + "(" + String.join(", ", args) + ")";
    }

    /** {@return a {@code print(...)} of the text as a Python string literal} */
    @Override
    public String getOutputStatement(String toDisplay) {
        return "print(" + pythonString(toDisplay) + ")";
    }

    /** {@return the statements, one per line} */
    @Override
    public String getProgram(String... statements) {
        return String.join("\n", statements) + "\n";
    }

    /**
     * Returns a new engine with its own (not yet made) sandbox.
     *
     * @return the engine, an {@link ObjcapScriptEngine}
     */
    @Override
    public ScriptEngine getScriptEngine() {
        return new ObjcapScriptEngine(this);
    }

    /** New bindings with this factory's policy; their sandbox is made on first use. */
    SandboxBindings newBindings(Writer out, Writer err) {
        return new SandboxBindings(this, out, err);
    }

    /** A sandbox with the policy, writing to the given streams. */
    Sandbox newSandbox(OutputStream out, OutputStream err) {
        Sandbox.Builder builder = Sandbox.builder();
        policy.accept(builder);
        return builder.stdout(out).stderr(err).build();
    }

    /** A Python string literal that evaluates to the text. */
    static String pythonString(String text) {
        StringBuilder literal = new StringBuilder("'");
        text.codePoints().forEach(c -> {
            switch (c) {
                case '\\':
                    literal.append("\\\\");
                    break;
                case '\'':
                    literal.append("\\'");
                    break;
                case '\n':
                    literal.append("\\n");
                    break;
                case '\r':
                    literal.append("\\r");
                    break;
                case '\t':
                    literal.append("\\t");
                    break;
                default:
                    if (c < 0x20 || c == 0x7f) {
                        literal.append(String.format("\\x%02x", c));
                    } else if (Character.isSurrogate((char) c) && c <= 0xFFFF) {
                        literal.append(String.format("\\u%04x", c)); // a lone surrogate
                    } else {
                        literal.appendCodePoint(c);
                    }
            }
        });
        return literal.append('\'').toString();
    }

    /** The versions, read from the native library once, when first asked for. */
    private static final class Versions {
        static final String ENGINE;
        static final String PYTHON;

        static {
            // e.g. "0.1.0 (CPython 3.14.3 from /path/libpython3.14.so.1.0; ...)"
            String engine = "unknown";
            String python = "unknown";
            try {
                Matcher m = Pattern.compile("^(\\S+) \\(CPython ([^\\s;)]+)").matcher(NativeEngine.version());
                if (m.find()) {
                    engine = m.group(1);
                    python = m.group(2);
                }
            } catch (SandboxException e) {
                // No native library: the first script will say why.
            }
            ENGINE = engine;
            PYTHON = python;
        }
    }
}
