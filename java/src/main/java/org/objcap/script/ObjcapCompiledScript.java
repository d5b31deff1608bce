package org.objcap.script;

import javax.script.CompiledScript;
import javax.script.ScriptContext;
import javax.script.ScriptEngine;
import javax.script.ScriptException;

/**
 * A script compiled by {@link ObjcapScriptEngine#compile(String)}: Python
 * compiles it once in each sandbox it runs in, and keeps the code there.
 */
final class ObjcapCompiledScript extends CompiledScript {
    private final ObjcapScriptEngine engine;
    private final String source;
    private final String fileName;

    ObjcapCompiledScript(ObjcapScriptEngine engine, String source, String fileName) {
        this.engine = engine;
        this.source = source;
        this.fileName = fileName;
    }

    @Override
    public Object eval(ScriptContext context) throws ScriptException {
        return engine.execute(source, fileName, this, context);
    }

    @Override
    public ScriptEngine getEngine() {
        return engine;
    }

    String source() {
        return source;
    }

    /** The file name the script was compiled with (the context's at compile time). */
    String fileName() {
        return fileName;
    }
}
