package org.objcap;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;

/**
 * Authority that the host hands a sandbox by reference, under a global
 * name: the only way a script gets to touch anything outside its
 * interpreter (paper 5.3). Make one with {@link Capabilities} and grant it
 * with {@link Sandbox.Builder#grant(String, Capability)} or
 * {@link Sandbox#grant(String, Capability)}.
 *
 * <p>In the sandbox each capability is an object of a C type with no
 * introspectable state: it cannot be constructed, subclassed, copied or
 * pickled, and shows neither the host path nor a file descriptor.
 */
public sealed interface Capability permits Capability.Directory, Capability.Function, Capability.Value {

    /**
     * A directory, read-only or read-write. In the sandbox it has
     * {@code open(path, mode='r', encoding=None, newline=None, errors=None)},
     * {@code listdir(path='.')}, {@code exists(path)}, {@code stat(path)}
     * (with {@code size}, {@code mtime}, {@code is_dir}), and
     * {@code mkdir(path)}, {@code remove(path)}, {@code rename(src, dst)}
     * (which raise {@code PermissionError} on a read-only grant). Paths are
     * relative to the directory and resolved by the kernel beneath it
     * ({@code openat2} with {@code RESOLVE_BENEATH}): {@code ..}, absolute
     * paths and symbolic links that lead outside fail with
     * {@code PermissionError}; links that stay inside work. Only regular
     * files can be opened; text files default to UTF-8.
     *
     * @param path the directory, absolute and without symbolic links
     *     (resolved on construction)
     * @param access what the sandbox may do in it
     */
    record Directory(Path path, Access access) implements Capability {
        /**
         * Checks and resolves the directory.
         *
         * @param path an existing directory
         * @param access what the sandbox may do in it
         * @throws IllegalArgumentException if it does not exist or is not a
         *     directory
         */
        public Directory {
            Objects.requireNonNull(path, "path");
            Objects.requireNonNull(access, "access");
            if (!Files.isDirectory(path)) {
                throw new IllegalArgumentException("not a directory: " + path);
            }
            try {
                path = path.toRealPath();
            } catch (IOException e) {
                throw new IllegalArgumentException("cannot resolve " + path + ": " + e, e);
            }
        }
    }

    /**
     * A Java function the sandbox can call.
     *
     * @param function what runs when Python calls it
     */
    record Function(HostFunction function) implements Capability {
        /**
         * Wraps a function.
         *
         * @param function not null
         */
        public Function {
            Objects.requireNonNull(function, "function");
        }
    }

    /**
     * A value, copied into the sandbox when granted (converted as for
     * {@link Sandbox#set(String, Object)}). Revoking it removes the name
     * before the next call if the name still holds it; a copy the script
     * made stays, since a value is not a reference.
     *
     * @param value the value ({@code null} is {@code None})
     */
    record Value(Object value) implements Capability {}
}
