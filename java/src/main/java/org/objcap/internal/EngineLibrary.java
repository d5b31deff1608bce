package org.objcap.internal;

import com.sun.jna.Callback;
import com.sun.jna.Library;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.IntByReference;
import com.sun.jna.ptr.LongByReference;
import com.sun.jna.ptr.PointerByReference;
import java.lang.reflect.Proxy;
import org.objcap.SandboxException;

/**
 * The symbols of {@code native/include/objcap.h} as JNA binds them: the
 * library interface {@link Lib} (every C function, one to one), the two C
 * callback types, the direct mapping of the calls on every round trip, the
 * loading of {@code libobjcap.so}, and the copying of buffers in and out of
 * native memory. Public because JNA proxies its interfaces; the operations
 * built on it are in {@link NativeEngine} and {@link NativeGrants}.
 *
 * <p>The jar carries one engine per CPython minor version, {@code
 * linux-x86-64/cp3XX/libobjcap.so}; the JVM loads the one of the CPython it
 * runs ({@link #load}), extracted and checked by {@link JarBinary}.
 */
public final class EngineLibrary {
    private EngineLibrary() {}

    /** The C functions, one to one. Public because JNA proxies it. */
    public interface Lib extends Library {
        /**
         * {@code objcap_version}.
         *
         * @return a static C string
         */
        Pointer objcap_version();

        /**
         * {@code objcap_runtime_start}.
         *
         * @param stdlibDir the standard library, or NULL for the build's CPython
         * @param dynloadDir its lib-dynload, or NULL for the build's CPython
         * @param out error buffer
         * @param outLen its length
         * @return the status
         */
        int objcap_runtime_start(String stdlibDir, String dynloadDir, PointerByReference out, LongByReference outLen);

        /**
         * {@code objcap_sandbox_create}.
         *
         * @param options MessagePack options map
         * @param optionsLen its length
         * @param onOutput output callback, or null
         * @param user passed to the callback
         * @param sandbox receives the handle
         * @param out error buffer
         * @param outLen its length
         * @return the status
         */
        int objcap_sandbox_create(
                Pointer options,
                long optionsLen,
                OutputCallback onOutput,
                Pointer user,
                LongByReference sandbox,
                PointerByReference out,
                LongByReference outLen);

        /**
         * {@code objcap_sandbox_destroy}.
         *
         * @param sandbox the handle
         * @return the status
         */
        int objcap_sandbox_destroy(long sandbox);

        /**
         * {@code objcap_exec}.
         *
         * @param sandbox the handle
         * @param source UTF-8 source
         * @param sourceLen its length
         * @param filename UTF-8 file name
         * @param filenameLen its length
         * @param out result buffer
         * @param outLen its length
         * @return the status
         */
        int objcap_exec(
                long sandbox,
                Pointer source,
                long sourceLen,
                Pointer filename,
                long filenameLen,
                PointerByReference out,
                LongByReference outLen);

        /**
         * {@code objcap_eval}.
         *
         * @param sandbox the handle
         * @param expression UTF-8 expression
         * @param len its length
         * @param out result buffer
         * @param outLen its length
         * @return the status
         */
        int objcap_eval(long sandbox, Pointer expression, long len, PointerByReference out, LongByReference outLen);

        /**
         * {@code objcap_call}.
         *
         * @param sandbox the handle
         * @param name UTF-8 global name
         * @param nameLen its length
         * @param args MessagePack array
         * @param argsLen its length
         * @param out result buffer
         * @param outLen its length
         * @return the status
         */
        int objcap_call(
                long sandbox,
                Pointer name,
                long nameLen,
                Pointer args,
                long argsLen,
                PointerByReference out,
                LongByReference outLen);

        /**
         * {@code objcap_set}.
         *
         * @param sandbox the handle
         * @param name UTF-8 global name
         * @param nameLen its length
         * @param value MessagePack value
         * @param valueLen its length
         * @param out result buffer
         * @param outLen its length
         * @return the status
         */
        int objcap_set(
                long sandbox,
                Pointer name,
                long nameLen,
                Pointer value,
                long valueLen,
                PointerByReference out,
                LongByReference outLen);

        /**
         * {@code objcap_get}.
         *
         * @param sandbox the handle
         * @param name UTF-8 global name
         * @param nameLen its length
         * @param out result buffer
         * @param outLen its length
         * @return the status
         */
        int objcap_get(long sandbox, Pointer name, long nameLen, PointerByReference out, LongByReference outLen);

        /**
         * {@code objcap_release}.
         *
         * @param sandbox the handle
         * @param reference the reference handle
         * @return the status
         */
        int objcap_release(long sandbox, long reference);

        /**
         * {@code objcap_denials}.
         *
         * @param sandbox the handle
         * @param out result buffer
         * @param outLen its length
         * @return the status
         */
        int objcap_denials(long sandbox, PointerByReference out, LongByReference outLen);

        /**
         * {@code objcap_isolation}.
         *
         * @param sandbox the handle
         * @param out result buffer
         * @param outLen its length
         * @return the status
         */
        int objcap_isolation(long sandbox, PointerByReference out, LongByReference outLen);

        /**
         * {@code objcap_module_kind}.
         *
         * @param name UTF-8 module name
         * @param len its length
         * @param kind receives the {@code objcap_module_kind}
         * @return the status
         */
        int objcap_module_kind(Pointer name, long len, IntByReference kind);

        /**
         * {@code objcap_free}.
         *
         * @param buffer a buffer returned by the library, or NULL
         */
        void objcap_free(Pointer buffer);

        /**
         * {@code objcap_set_host_handler}.
         *
         * @param sandbox the handle
         * @param handler the callback
         * @param user passed to it
         * @return the status
         */
        int objcap_set_host_handler(long sandbox, HostCallback handler, Pointer user);

        /**
         * {@code objcap_reply_set}.
         *
         * @param reply the reply of a running host function
         * @param data MessagePack bytes
         * @param len their length
         * @return the status
         */
        int objcap_reply_set(Pointer reply, Pointer data, long len);

        /**
         * {@code objcap_grant_directory}.
         *
         * @param sandbox the handle
         * @param name UTF-8 global name
         * @param nameLen its length
         * @param path UTF-8 absolute path
         * @param pathLen its length
         * @param access 0 read-only, 1 read-write
         * @param grant receives the grant's id
         * @param out error buffer
         * @param outLen its length
         * @return the status
         */
        int objcap_grant_directory(
                long sandbox,
                Pointer name,
                long nameLen,
                Pointer path,
                long pathLen,
                int access,
                LongByReference grant,
                PointerByReference out,
                LongByReference outLen);

        /**
         * {@code objcap_grant_function}.
         *
         * @param sandbox the handle
         * @param name UTF-8 global name
         * @param nameLen its length
         * @param function the number passed back to the host handler
         * @param grant receives the grant's id
         * @param out error buffer
         * @param outLen its length
         * @return the status
         */
        int objcap_grant_function(
                long sandbox,
                Pointer name,
                long nameLen,
                long function,
                LongByReference grant,
                PointerByReference out,
                LongByReference outLen);

        /**
         * {@code objcap_grant_value}.
         *
         * @param sandbox the handle
         * @param name UTF-8 global name
         * @param nameLen its length
         * @param value MessagePack value
         * @param valueLen its length
         * @param grant receives the grant's id
         * @param out error buffer
         * @param outLen its length
         * @return the status
         */
        int objcap_grant_value(
                long sandbox,
                Pointer name,
                long nameLen,
                Pointer value,
                long valueLen,
                LongByReference grant,
                PointerByReference out,
                LongByReference outLen);

        /**
         * {@code objcap_revoke}.
         *
         * @param sandbox the handle
         * @param grant the grant's id
         * @return the status
         */
        int objcap_revoke(long sandbox, long grant);
    }

    /** The engine's host-function callback ({@code objcap_host_fn}). */
    public interface HostCallback extends Callback {
        /**
         * Runs a host function.
         *
         * @param user the handler id given with the callback
         * @param function the function's number
         * @param args MessagePack array of the arguments
         * @param len its length
         * @param reply where the result goes ({@code objcap_reply_set})
         * @return {@code OBJCAP_OK}, or {@code OBJCAP_ERR_PYTHON} with an
         *     error map as the reply
         */
        int invoke(Pointer user, long function, Pointer args, long len, Pointer reply);
    }

    /** {@code objcap_output_fn}. Public because JNA calls it reflectively. */
    public interface OutputCallback extends Callback {
        /**
         * Receives output.
         *
         * @param user the user pointer given at creation (unused)
         * @param stream {@link NativeEngine#STDOUT} or {@link NativeEngine#STDERR}
         * @param data UTF-8 bytes
         * @param len their count
         */
        void invoke(Pointer user, int stream, Pointer data, long len);
    }

    /**
     * The calls on every round trip, bound by JNA's direct mapping: arrays
     * instead of Memory and ByReference objects, and no proxy, which cuts
     * several microseconds off each call. {@code out} is an {@code uint8_t**}
     * and {@code out_len} a {@code size_t*}: on this 64-bit platform a
     * one-element {@code long[]} holds either. If the binding fails, the
     * interface mapping serves instead.
     */
    static final class Direct {
        static final boolean READY;

        static {
            boolean ready = false;
            try {
                // The very library the interface mapping loaded (an
                // extracted copy): one engine, one registry.
                NativeLibrary engine = ((Library.Handler) Proxy.getInvocationHandler(lib())).getNativeLibrary();
                Native.register(Direct.class, engine);
                ready = true;
            } catch (UnsatisfiedLinkError | RuntimeException e) {
                // The interface mapping still works.
            }
            READY = ready;
        }

        static native int objcap_call(
                long sandbox, byte[] name, long nameLen, byte[] args, long argsLen, long[] out, long[] outLen);

        static native int objcap_eval(long sandbox, byte[] expression, long len, long[] out, long[] outLen);

        // The same two into a thread's scratch, every pointer an address (CallScratch).
        static native int objcap_call_into(
                long sandbox,
                long name,
                long nameLen,
                long args,
                long argsLen,
                long buffer,
                long capacity,
                long out,
                long outLen);

        static native int objcap_eval_into(
                long sandbox, long expression, long len, long buffer, long capacity, long out, long outLen);

        static native void objcap_free(long buffer);

        /** Copies and frees a buffer the engine returned. */
        static byte[] take(long address, long len) {
            if (address == 0) {
                return null;
            }
            try {
                if (len < 0 || len > Integer.MAX_VALUE - 8) {
                    throw new SandboxException("the engine returned a buffer of " + len + " bytes");
                }
                return new Pointer(address).getByteArray(0, (int) len);
            } finally {
                objcap_free(address);
            }
        }
    }

    /** The one engine of this JVM, its CPython, and how that CPython's start went. */
    private static volatile Lib loaded;

    private static CPythonInstall loadedPython;
    private static NativeLibrary libpython;
    private static CPythonInstall libpythonOf;
    private static int startStatus;
    private static byte[] startError;

    /**
     * Loads the engine for a CPython and starts that CPython, once per JVM:
     * its libpython first, global (extension modules resolve CPython's
     * symbols through it), then the engine of its version, which finds that
     * libpython already loaded by its name. Only one CPython can live in a
     * process, so a later call for another is refused.
     *
     * @param python the CPython to run in this JVM
     * @return the engine
     * @throws SandboxException if another CPython is loaded already, or the
     *     library cannot be loaded
     */
    static synchronized Lib load(CPythonInstall python) {
        if (loaded != null) {
            if (!loadedPython.sameLibrary(python)) {
                throw new SandboxException("this JVM already runs CPython " + loadedPython.version() + " ("
                        + loadedPython.origin() + "); one process holds one CPython, so a sandbox on "
                        + python.origin() + " must be process-isolated");
            }
            return loaded;
        }
        if (Native.SIZE_T_SIZE != 8) {
            throw new SandboxException("objcap needs a 64-bit JVM");
        }
        // A libpython stays loaded (and global) even when what follows
        // failed: a later attempt with another CPython would have bound its
        // engine to this one's symbols (found by review: a JVM crash after a
        // failed extraction of the cp311 engine).
        if (libpythonOf != null && !libpythonOf.sameLibrary(python)) {
            throw new SandboxException("this JVM loaded CPython " + libpythonOf.version() + " ("
                    + libpythonOf.origin() + ") already and could not use it; one process holds one "
                    + "CPython, so a sandbox on " + python.origin() + " must be process-isolated");
        }
        Lib lib;
        try {
            // The engine first: what can fail before any CPython is loaded.
            String engine = JarBinary.engine(python.abiTag()).verifiedPath();
            libpython = NativeLibrary.getInstance(
                    python.libpython().toString(), java.util.Map.of(Library.OPTION_OPEN_FLAGS, RTLD_NOW | RTLD_GLOBAL));
            libpythonOf = python;
            checkVersion(python);
            lib = Native.load(engine, Lib.class);
            FfmCalls.bind(engine);
            JniCalls.bind(engine);
        } catch (UnsatisfiedLinkError | IllegalArgumentException e) {
            throw new SandboxException(
                    "cannot load the objcap engine for CPython " + python.version() + ": " + e.getMessage(), e);
        }
        PointerByReference out = new PointerByReference();
        LongByReference outLen = new LongByReference();
        startStatus = lib.objcap_runtime_start(
                python.stdlib().toString(), python.dynload().toString(), out, outLen);
        loadedPython = python;
        loaded = lib;
        startError = take(out, outLen);
        return lib;
    }

    /**
     * The libpython is the version its interpreter said: the engine of
     * another version would find its own libpython missing and load a second
     * one, or call this one with another ABI (a crash, found by review).
     */
    private static void checkVersion(CPythonInstall python) {
        String actual;
        try {
            actual = libpython.getFunction("Py_GetVersion").invokeString(new Object[0], false);
        } catch (UnsatisfiedLinkError e) {
            throw new SandboxException(python.libpython() + " is not a libpython (no Py_GetVersion)", e);
        }
        String minor = python.version().substring(0, python.version().lastIndexOf('.') + 1);
        if (actual == null || !actual.startsWith(minor)) {
            throw new SandboxException(
                    python.libpython() + " is CPython " + (actual == null ? "?" : actual.split(" ")[0]) + ", not the "
                            + python.version() + " that " + python.origin() + " said");
        }
    }

    static boolean isLoaded() {
        return loaded != null;
    }

    private static final int RTLD_NOW = 0x2;
    private static final int RTLD_GLOBAL = 0x100;

    /**
     * The CPython this JVM runs, loading the default one if none is yet.
     *
     * @return its install
     */
    public static CPythonInstall python() {
        lib();
        synchronized (EngineLibrary.class) {
            return loadedPython;
        }
    }

    /** The status of the CPython start, and the error map if it failed. */
    static synchronized NativeEngine.Result started() {
        lib();
        return new NativeEngine.Result(startStatus, startError);
    }

    static Lib lib() {
        Lib lib = loaded;
        return lib != null ? lib : load(Interpreters.resolve(null));
    }

    /**
     * Copies bytes to native memory. Never zero-sized, so that an empty
     * input still passes a valid (non-NULL) pointer with length 0.
     */
    static Memory copy(byte[] bytes) {
        Memory m = new Memory(Math.max(1, bytes.length));
        m.write(0, bytes, 0, bytes.length);
        return m;
    }

    /** Copies a returned buffer into Java and frees it. */
    static byte[] take(PointerByReference out, LongByReference outLen) {
        Pointer p = out.getValue();
        if (p == null) {
            return null;
        }
        try {
            long n = outLen.getValue();
            if (n < 0 || n > Integer.MAX_VALUE - 8) {
                throw new SandboxException("the engine returned a buffer of " + n + " bytes");
            }
            return p.getByteArray(0, (int) n);
        } finally {
            lib().objcap_free(p);
        }
    }
}
