package org.objcap;

import java.util.List;

/**
 * A Java function that sandboxed code may call, granted with
 * {@link Capabilities#function(HostFunction)}. Python calls it like any
 * function, with positional arguments only.
 *
 * <p>Arguments and the result cross by value, converted as for
 * {@link Sandbox#call(String, Object...)}. It runs while the sandbox's call
 * waits, on the thread running that call,
 * and its time counts toward the call's time limit. It must not call the
 * same sandbox: such a call fails with {@link IllegalStateException}, which
 * the script then sees as a {@code HostError}.
 */
@FunctionalInterface
public interface HostFunction {
    /**
     * Runs the function.
     *
     * @param args the Python arguments, converted to Java (an unmodifiable
     *     list; {@code None} is {@code null})
     * @return the result, converted to Python ({@code null} is {@code None})
     * @throws Exception any exception; the script sees a {@code HostError}
     *     whose {@code host_type} is the exception's class name and whose
     *     message is the exception's message (never its stack trace)
     */
    Object call(List<Object> args) throws Exception;
}
