package org.objcap;

import java.nio.file.Path;

/**
 * Makes {@link Capability capabilities}, the authority a host grants a
 * sandbox:
 *
 * <pre>{@code
 * Sandbox sandbox = Sandbox.builder()
 *         .grant("data", Capabilities.directory(Path.of("in"), Access.READ_ONLY))
 *         .grant("out", Capabilities.directory(Path.of("out"), Access.READ_WRITE))
 *         .grant("lookup", Capabilities.function(args -> prices.get(args.get(0))))
 *         .grant("limit", Capabilities.value(100))
 *         .build();
 * }</pre>
 */
public final class Capabilities {
    private Capabilities() {}

    /**
     * A directory the sandbox may read, or read and write; see
     * {@link Capability.Directory}.
     *
     * @param dir an existing directory (resolved now, symbolic links and
     *     all)
     * @param access {@link Access#READ_ONLY} or {@link Access#READ_WRITE}
     * @return the capability
     * @throws IllegalArgumentException if {@code dir} is not a directory
     */
    public static Capability directory(Path dir, Access access) {
        return new Capability.Directory(dir, access);
    }

    /**
     * A Java function the sandbox may call; see {@link HostFunction}.
     *
     * @param function the function
     * @return the capability
     */
    public static Capability function(HostFunction function) {
        return new Capability.Function(function);
    }

    /**
     * A value copied into the sandbox; see {@link Capability.Value}.
     *
     * @param value the value
     * @return the capability
     */
    public static Capability value(Object value) {
        return new Capability.Value(value);
    }
}
