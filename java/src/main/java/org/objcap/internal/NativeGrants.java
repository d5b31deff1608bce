package org.objcap.internal;

import static org.objcap.internal.EngineLibrary.copy;
import static org.objcap.internal.EngineLibrary.lib;
import static org.objcap.internal.EngineLibrary.take;

import com.sun.jna.CallbackThreadInitializer;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.LongByReference;
import com.sun.jna.ptr.PointerByReference;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.objcap.internal.EngineLibrary.HostCallback;
import org.objcap.internal.NativeEngine.Result;

/**
 * The JNA binding of what the host gives a sandbox: grants of a directory,
 * a host function or a value, their revocation, and the host-function
 * callback ({@code objcap_host_fn}) through which the engine runs a granted
 * function, with the handler that serves each sandbox's functions. The
 * symbols are bound in {@link EngineLibrary}; the other operations on a
 * sandbox handle are in {@link NativeEngine}.
 */
public final class NativeGrants {
    /** The one host-function callback of all sandboxes (see NativeEngine's CALLBACK). */
    private static final HostCallback HOST_CALLBACK = new HostDispatch();

    /** Host handlers by the id passed as the callback's user pointer. */
    private static final Map<Long, HostHandler> HANDLERS = new ConcurrentHashMap<>();

    /** Handler ids by sandbox handle, forgotten when the sandbox is destroyed. */
    private static final Map<Long, Long> HANDLER_OF_SANDBOX = new ConcurrentHashMap<>();

    static {
        // As the output callback's (NativeEngine): a daemon, not detached.
        Native.setCallbackThreadInitializer(
                HOST_CALLBACK, new CallbackThreadInitializer(true, false, "objcap-sandbox"));
    }

    private NativeGrants() {}

    /** Serves one sandbox's host functions. */
    @FunctionalInterface
    public interface HostHandler {
        /**
         * Runs host function {@code function}.
         *
         * @param function the number it was granted with
         * @param args MessagePack array of the arguments
         * @return {@code OBJCAP_OK} with a MessagePack value, or
         *     {@code OBJCAP_ERR_PYTHON} with an error map
         *     {@code {"type", "message"}}
         */
        Result call(long function, byte[] args);
    }

    private static final class HostDispatch implements HostCallback {
        @Override
        public int invoke(Pointer user, long function, Pointer args, long len, Pointer reply) {
            try {
                HostHandler handler = HANDLERS.get(Pointer.nativeValue(user));
                if (handler == null || len < 0 || len > Integer.MAX_VALUE) {
                    return ErrorDecoder.STATE;
                }
                byte[] bytes = args == null ? new byte[0] : args.getByteArray(0, (int) len);
                Result result = handler.call(function, bytes);
                byte[] data = result.data() == null ? new byte[0] : result.data();
                try (Memory m = copy(data)) {
                    lib().objcap_reply_set(reply, m, data.length);
                }
                return result.status();
            } catch (RuntimeException | Error e) {
                // Nothing may unwind into the engine's C frames. The
                // handler turns a host function's own exceptions into
                // errors; what fails here (a StackOverflowError when the
                // thread's stack is nearly used up) becomes HostError
                // ("the host function failed") in the script, not a
                // refusal.
                return ErrorDecoder.RUNTIME;
            }
        }
    }

    /**
     * Sets the handler of a sandbox's host functions
     * ({@code objcap_set_host_handler}).
     *
     * @param sandbox the handle
     * @param handler serves its host functions until it is destroyed
     * @return the status
     */
    public static int setHostHandler(long sandbox, HostHandler handler) {
        long id = NativeEngine.NEXT_SINK.incrementAndGet();
        HANDLERS.put(id, handler);
        int status = lib().objcap_set_host_handler(sandbox, HOST_CALLBACK, new Pointer(id));
        if (status == ErrorDecoder.OK) {
            HANDLER_OF_SANDBOX.put(sandbox, id);
        } else {
            HANDLERS.remove(id);
        }
        return status;
    }

    /**
     * Grants a directory ({@code objcap_grant_directory}).
     *
     * @param sandbox the handle
     * @param name UTF-8 global name
     * @param path UTF-8 absolute path
     * @param writable read-write rather than read-only
     * @param grant receives the grant's id
     * @return the result
     */
    public static Result grantDirectory(long sandbox, byte[] name, byte[] path, boolean writable, long[] grant) {
        PointerByReference out = new PointerByReference();
        LongByReference outLen = new LongByReference();
        LongByReference id = new LongByReference();
        try (Memory n = copy(name);
                Memory p = copy(path)) {
            int status = lib().objcap_grant_directory(
                            sandbox, n, name.length, p, path.length, writable ? 1 : 0, id, out, outLen);
            grant[0] = id.getValue();
            return new Result(status, take(out, outLen));
        }
    }

    /**
     * Grants a host function ({@code objcap_grant_function}).
     *
     * @param sandbox the handle
     * @param name UTF-8 global name
     * @param function the number the handler receives
     * @param grant receives the grant's id
     * @return the result
     */
    public static Result grantFunction(long sandbox, byte[] name, long function, long[] grant) {
        PointerByReference out = new PointerByReference();
        LongByReference outLen = new LongByReference();
        LongByReference id = new LongByReference();
        try (Memory n = copy(name)) {
            int status = lib().objcap_grant_function(sandbox, n, name.length, function, id, out, outLen);
            grant[0] = id.getValue();
            return new Result(status, take(out, outLen));
        }
    }

    /**
     * Grants a value ({@code objcap_grant_value}).
     *
     * @param sandbox the handle
     * @param name UTF-8 global name
     * @param value MessagePack value
     * @param grant receives the grant's id
     * @return the result
     */
    public static Result grantValue(long sandbox, byte[] name, byte[] value, long[] grant) {
        PointerByReference out = new PointerByReference();
        LongByReference outLen = new LongByReference();
        LongByReference id = new LongByReference();
        try (Memory n = copy(name);
                Memory v = copy(value)) {
            int status = lib().objcap_grant_value(sandbox, n, name.length, v, value.length, id, out, outLen);
            grant[0] = id.getValue();
            return new Result(status, take(out, outLen));
        }
    }

    /**
     * Revokes a grant ({@code objcap_revoke}); safe while a call runs.
     *
     * @param sandbox the handle
     * @param grant the grant's id
     * @return the status
     */
    public static int revoke(long sandbox, long grant) {
        return lib().objcap_revoke(sandbox, grant);
    }

    /**
     * Forgets the handler of a destroyed sandbox, which the engine no longer
     * calls.
     */
    static void forgetHostHandler(long sandbox) {
        Long handlerId = HANDLER_OF_SANDBOX.remove(sandbox);
        if (handlerId != null) {
            HANDLERS.remove(handlerId);
        }
    }
}
