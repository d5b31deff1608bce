package org.objcap.script;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import javax.script.Bindings;
import javax.script.Compilable;
import javax.script.CompiledScript;
import javax.script.ScriptEngine;
import javax.script.ScriptEngineManager;
import javax.script.ScriptException;
import org.junit.jupiter.api.Test;
import org.objcap.WorkerProcesses;

/**
 * The engine's sandboxes end: when the engine is closed, and when an engine
 * that nobody closed becomes unreachable. Each sandbox is a worker process
 * by default, so the workers tell.
 */
class ScriptEngineSandboxesTest {
    @Test
    void closingTheEngineEndsTheWorkersOfAllItsBindings() throws Exception {
        List<Long> before = WorkerProcesses.pids();
        ScriptEngine engine = new ScriptEngineManager().getEngineByName("objcap");
        engine.eval("1");
        engine.eval("2", engine.createBindings());
        assertEquals(2, newWorkers(before).size(), "one worker per bindings");
        ((AutoCloseable) engine).close();
        assertEquals(List.of(), awaitGone(before));
        assertThrows(IllegalStateException.class, () -> engine.eval("1"));
    }

    @Test
    void theWorkersOfAnEngineNobodyClosedEndOnceItIsUnreachable() throws Exception {
        List<Long> before = WorkerProcesses.pids();
        useAndForgetAnEngine();
        assertEquals(List.of(), awaitGone(before), "a leaked engine kept its workers");
    }

    private static void useAndForgetAnEngine() throws ScriptException {
        ScriptEngine engine = new ScriptEngineManager().getEngineByName("objcap");
        engine.put("x", 20);
        CompiledScript plusOne = ((Compilable) engine).compile("x + 1");
        assertEquals(21L, plusOne.eval());
        Bindings other = engine.createBindings();
        other.put("x", 1);
        assertEquals(2L, plusOne.eval(other));
        engine.eval("def f():\n    return x\n");
        assertNotNull(engine.get("f"), "a reference into the sandbox, forgotten too");
    }

    private static List<Long> newWorkers(List<Long> before) {
        List<Long> now = new ArrayList<>(WorkerProcesses.pids());
        now.removeAll(before);
        return now;
    }

    /** Waits up to 20 s for the workers made since {@code before} to go; returns those left. */
    private static List<Long> awaitGone(List<Long> before) throws InterruptedException {
        long until = System.nanoTime() + 20_000_000_000L;
        List<Long> left = newWorkers(before);
        while (!left.isEmpty() && System.nanoTime() < until) {
            System.gc();
            Thread.sleep(50);
            left = newWorkers(before);
        }
        return left;
    }
}
