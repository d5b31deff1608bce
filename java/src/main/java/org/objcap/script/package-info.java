/**
 * objcap as a JSR-223 ({@code javax.script}) script engine: Python in
 * sandboxes, found by {@code new ScriptEngineManager().getEngineByName("objcap")}.
 *
 * <pre>{@code
 * ScriptEngine engine = new ScriptEngineManager().getEngineByName("objcap");
 * engine.put("prices", List.of(3.5, 12.0));
 * Object total = engine.eval("sum(prices)");               // 15.5
 * engine.eval("def tax(x):\n    return round(x * 0.2, 2)\n");
 * Object t = ((Invocable) engine).invokeFunction("tax", 10); // 2.0
 * }</pre>
 *
 * <p>{@link org.objcap.script.ObjcapScriptEngine} says how bindings, scopes,
 * results, errors and the script context map to Python, and how sandboxes
 * are closed; {@link org.objcap.script.ObjcapScriptEngineFactory} how to set
 * a policy.
 */
package org.objcap.script;
