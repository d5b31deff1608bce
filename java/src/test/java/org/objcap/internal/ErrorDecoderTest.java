package org.objcap.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.objcap.Limit;
import org.objcap.LimitExceededException;
import org.objcap.PythonException;
import org.objcap.PythonFrame;
import org.objcap.PythonSyntaxException;
import org.objcap.SandboxCrashedException;
import org.objcap.SandboxException;

/** Status codes and error maps become the documented exceptions. */
class ErrorDecoderTest {
    private final ValueCodec codec = new ValueCodec(null);

    private byte[] error(int status, Object... keyValues) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("status", status);
        for (int i = 0; i < keyValues.length; i += 2) {
            m.put((String) keyValues[i], keyValues[i + 1]);
        }
        return codec.encode(m);
    }

    @Test
    void pythonErrorWithTraceback() {
        byte[] data = error(
                3,
                "type",
                "ZeroDivisionError",
                "message",
                "division by zero",
                "traceback",
                List.of(
                        Arrays.asList("calc.py", 5, "outer", "return inner()"),
                        Arrays.asList("calc.py", 2, "inner", null)));
        PythonException e = (PythonException) ErrorDecoder.toException(3, data);
        assertSame(PythonException.class, e.getClass());
        assertEquals("ZeroDivisionError", e.getPythonType());
        assertEquals("division by zero", e.getPythonMessage());
        assertEquals("ZeroDivisionError: division by zero", e.getMessage());
        assertEquals(
                List.of(
                        new PythonFrame("calc.py", 5, "outer", "return inner()"),
                        new PythonFrame("calc.py", 2, "inner", null)),
                e.getPythonTraceback());
        assertEquals(
                "Traceback (most recent call last):\n"
                        + "  File \"calc.py\", line 5, in outer\n"
                        + "    return inner()\n"
                        + "  File \"calc.py\", line 2, in inner\n"
                        + "ZeroDivisionError: division by zero\n",
                e.formatTraceback());
    }

    @Test
    void emptyMessageShowsTypeOnly() {
        PythonException e =
                (PythonException) ErrorDecoder.toException(3, error(3, "type", "StopIteration", "message", ""));
        assertEquals("StopIteration", e.getMessage());
        assertEquals("StopIteration\n", e.formatTraceback());
    }

    @Test
    void syntaxError() {
        byte[] data = error(
                3,
                "type",
                "SyntaxError",
                "message",
                "invalid syntax",
                "syntax",
                Arrays.asList("bad.py", 2, 8, "b = 2 +* 3\n"));
        PythonSyntaxException e = assertInstanceOf(PythonSyntaxException.class, ErrorDecoder.toException(3, data));
        assertEquals("bad.py", e.getFileName());
        assertEquals(2, e.getLine());
        assertEquals(8, e.getColumn());
        assertEquals("b = 2 +* 3\n", e.getText());
        assertEquals(
                "  File \"bad.py\", line 2\n" + "    b = 2 +* 3\n" + "           ^\n" + "SyntaxError: invalid syntax\n",
                e.formatTraceback());
    }

    @Test
    void limits() {
        LimitExceededException e = assertInstanceOf(
                LimitExceededException.class,
                ErrorDecoder.toException(5, error(5, "type", "TIME", "message", "took too long")));
        assertEquals(Limit.TIME, e.getLimit());
        assertEquals("took too long", e.getMessage());
        for (Limit l : Limit.values()) {
            assertEquals(
                    l, ((LimitExceededException) ErrorDecoder.toException(5, error(5, "type", l.name()))).getLimit());
        }
        assertNull(((LimitExceededException) ErrorDecoder.toException(5, error(5, "type", "FOO"))).getLimit());
    }

    @Test
    void limitsCarryTheirConfiguredValue() {
        Map<Limit, Long> configured = Map.of(
                Limit.TIME,
                200L,
                Limit.CPU,
                2000L,
                Limit.MEMORY,
                512L << 20,
                Limit.OUTPUT,
                1000L,
                Limit.RECURSION,
                300L);
        Map<Limit, String> expected = Map.of(
                Limit.TIME, "the call ran longer than its time limit (200 ms)",
                Limit.CPU, "the call used more CPU time than its limit (2 s)",
                Limit.MEMORY, "the sandbox needed more memory than its limit (512 MiB)",
                Limit.OUTPUT, "the call wrote more output than its limit (1000 bytes);" + " the output was cut there");
        for (Map.Entry<Limit, String> e : expected.entrySet()) {
            LimitExceededException x = (LimitExceededException) ErrorDecoder.toException(
                    5, error(5, "type", e.getKey().name(), "message", "engine words"), configured::get);
            assertEquals(e.getKey(), x.getLimit());
            assertEquals(configured.get(e.getKey()), x.getConfiguredValue());
            assertEquals(e.getValue(), x.getMessage());
            assertFalse(x.isSandboxClosed());
            assertNull(x.getCause());
        }
        LimitExceededException killed = (LimitExceededException) ErrorDecoder.toException(
                5, error(5, "closed", true, "type", "TIME", "message", "killed"), configured::get);
        assertTrue(killed.isSandboxClosed());
        assertEquals(
                "the call ran longer than its time limit (200 ms); the worker was killed,"
                        + " so the sandbox is closed",
                killed.getMessage());
        // A limit this version does not know keeps the engine's words and name.
        LimitExceededException unknown = (LimitExceededException)
                ErrorDecoder.toException(5, error(5, "type", "DISK", "message", "too much disk"), configured::get);
        assertNull(unknown.getLimit());
        assertEquals(0, unknown.getConfiguredValue());
        assertEquals("too much disk (DISK)", unknown.getMessage());
    }

    @Test
    void anUncaughtRecursionErrorIsTheRecursionLimit() {
        byte[] data = error(
                3,
                "type",
                "RecursionError",
                "message",
                "maximum recursion depth exceeded",
                "traceback",
                List.of(Arrays.asList("r.py", 2, "down", "return down(n - 1)")));
        LimitExceededException e = assertInstanceOf(
                LimitExceededException.class,
                ErrorDecoder.toException(3, data, limit -> limit == Limit.RECURSION ? 300 : 0));
        assertEquals(Limit.RECURSION, e.getLimit());
        assertEquals(300, e.getConfiguredValue());
        assertFalse(e.isSandboxClosed());
        assertEquals(
                "the call recursed deeper than its recursion limit (300 frames):"
                        + " RecursionError: maximum recursion depth exceeded",
                e.getMessage());
        PythonException python = e.getPythonException();
        assertSame(python, e.getCause());
        assertEquals("RecursionError", python.getPythonType());
        assertEquals(List.of(new PythonFrame("r.py", 2, "down", "return down(n - 1)")), python.getPythonTraceback());
        // Without known limits the value is unknown, but the limit is still named.
        LimitExceededException plain =
                assertInstanceOf(LimitExceededException.class, ErrorDecoder.toException(3, data));
        assertEquals(Limit.RECURSION, plain.getLimit());
        assertEquals(0, plain.getConfiguredValue());
        assertEquals(
                "the call recursed deeper than its recursion limit:"
                        + " RecursionError: maximum recursion depth exceeded",
                plain.getMessage());
        // Other exceptions, subclasses named otherwise included, stay Python exceptions.
        assertSame(
                PythonException.class,
                ErrorDecoder.toException(3, error(3, "type", "MemoryError"), limit -> 1)
                        .getClass());
        assertSame(
                PythonException.class,
                ErrorDecoder.toException(3, error(3, "type", "DeepError"), limit -> 1)
                        .getClass());
    }

    @Test
    void otherStatuses() {
        assertInstanceOf(IllegalArgumentException.class, ErrorDecoder.toException(1, null));
        assertInstanceOf(IllegalStateException.class, ErrorDecoder.toException(2, null));
        IllegalArgumentException value = assertInstanceOf(
                IllegalArgumentException.class, ErrorDecoder.toException(4, error(4, "message", "too deep")));
        assertEquals("too deep", value.getMessage());
        assertInstanceOf(SandboxCrashedException.class, ErrorDecoder.toException(6, null));
        assertSame(SandboxException.class, ErrorDecoder.toException(7, null).getClass());
        assertSame(SandboxException.class, ErrorDecoder.toException(8, null).getClass());
        assertSame(SandboxException.class, ErrorDecoder.toException(99, null).getClass());
    }

    @Test
    void closedMapsCloseTheSandbox() {
        byte[] killed = error(
                5,
                "closed",
                true,
                "type",
                "TIME",
                "message",
                "the call ran past its time limit; the worker was killed");
        assertTrue(ErrorDecoder.closesSandbox(5, killed));
        LimitExceededException limit =
                assertInstanceOf(LimitExceededException.class, ErrorDecoder.toException(5, killed));
        assertEquals(Limit.TIME, limit.getLimit());
        assertEquals(
                "the call ran past its time limit; the worker was killed;" + " the sandbox is closed",
                limit.getMessage());
        byte[] gone = error(2, "closed", true, "message", "the worker is gone");
        assertTrue(ErrorDecoder.closesSandbox(2, gone));
        assertEquals(
                "sandbox is closed: the worker is gone",
                ErrorDecoder.toException(2, gone).getMessage());
        // A crash always closes; other errors do not unless they say so.
        assertTrue(ErrorDecoder.closesSandbox(6, null));
        assertFalse(ErrorDecoder.closesSandbox(5, error(5, "type", "TIME")));
        assertFalse(ErrorDecoder.closesSandbox(3, error(3, "closed", false)));
        assertFalse(ErrorDecoder.closesSandbox(2, new byte[] {(byte) 0xC1}));
    }

    @Test
    void crashesNameTheSignalOrExitStatus() {
        SandboxCrashedException segv = (SandboxCrashedException) ErrorDecoder.toException(
                6,
                error(
                        6,
                        "closed",
                        true,
                        "type",
                        "SandboxCrashed",
                        "message",
                        "the sandbox's worker process was killed by signal 11 (SIGSEGV)"));
        assertEquals("the sandbox's worker process was killed by signal 11 (SIGSEGV)", segv.getDetail());
        assertEquals(
                "the sandbox's worker process was killed by signal 11 (SIGSEGV);" + " the sandbox is closed",
                segv.getMessage());
        assertEquals(OptionalInt.of(11), segv.getSignal());
        assertEquals(Optional.of("SIGSEGV"), segv.getSignalName());
        assertEquals(OptionalInt.empty(), segv.getExitStatus());
        SandboxCrashedException exited = (SandboxCrashedException)
                ErrorDecoder.toException(6, error(6, "message", "the sandbox's worker process exited with status 2"));
        assertEquals(OptionalInt.of(2), exited.getExitStatus());
        assertEquals(OptionalInt.empty(), exited.getSignal());
        assertEquals(Optional.empty(), exited.getSignalName());
        SandboxCrashedException unnamed =
                new SandboxCrashedException("the sandbox's worker process was killed by signal 64 (SIG?)");
        assertEquals(OptionalInt.of(64), unnamed.getSignal());
        assertEquals(Optional.empty(), unnamed.getSignalName());
        assertEquals("sandbox crashed", ((SandboxCrashedException) ErrorDecoder.toException(6, null)).getDetail());
    }

    @Test
    void garbledErrorMapKeepsTheStatus() {
        assertInstanceOf(IllegalStateException.class, ErrorDecoder.toException(2, new byte[] {(byte) 0xC1}));
    }
}
