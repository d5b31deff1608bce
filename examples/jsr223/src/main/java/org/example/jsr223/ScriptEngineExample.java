package org.example.jsr223;

import java.util.List;
import javax.script.Invocable;
import javax.script.ScriptEngine;
import javax.script.ScriptEngineManager;
import javax.script.ScriptException;

/**
 * objcap as a JSR-223 script engine: only javax.script in the code, the
 * objcap jar on the class path. Scripts run in a sandbox with objcap's
 * defaults (a confined worker process, the default module whitelist, no
 * files, 30 s per call).
 *
 * <p>Run: {@code mvn -q compile exec:java}.
 */
public final class ScriptEngineExample {
    /** What the host asks a script to implement. */
    public interface Greeter {
        String greet(String name);
    }

    private ScriptEngineExample() {}

    public static void main(String[] args) throws Exception {
        ScriptEngine engine = new ScriptEngineManager().getEngineByName("objcap");
        try {
            engine.put("prices", List.of(3.5, 12.0, 7.25)); // copied into Python
            System.out.println("total: " + engine.eval("sum(prices)")); // the last expression

            engine.eval("def tax(amount, rate=0.2):\n"
                    + "    return round(amount * rate, 2)\n"
                    + "def greet(name):\n"
                    + "    return f'Hello, {name}!'\n");
            Invocable functions = (Invocable) engine;
            System.out.println("tax: " + functions.invokeFunction("tax", 22.75));
            System.out.println(functions.getInterface(Greeter.class).greet("JSR-223"));

            try {
                engine.eval("open('/etc/passwd').read()");
            } catch (ScriptException e) { // what the script raised, with file and line
                System.out.println("refused: " + e.getMessage());
            }
        } finally {
            // Engines are not Closeable in JSR-223; objcap's ends its sandboxes.
            if (engine instanceof AutoCloseable sandboxes) {
                sandboxes.close();
            }
        }
    }
}
