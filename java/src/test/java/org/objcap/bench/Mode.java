package org.objcap.bench;

import java.io.OutputStream;
import org.objcap.Sandbox;

/** Where a sandbox's interpreter runs: the two columns of every figure. */
public enum Mode {
    /** Inside the JVM ({@link Sandbox.Builder#inProcess()}). */
    IN_PROCESS("in-process"),
    /** In a confined worker process (the default). */
    PROCESS("process");

    private final String label;

    Mode(String label) {
        this.label = label;
    }

    /**
     * A builder for this mode with default limits and output discarded.
     *
     * @return a new builder
     */
    public Sandbox.Builder builder() {
        Sandbox.Builder b =
                Sandbox.builder().stdout(OutputStream.nullOutputStream()).stderr(OutputStream.nullOutputStream());
        return this == IN_PROCESS ? b.inProcess() : b;
    }

    /**
     * Builds a sandbox of this mode with default settings.
     *
     * @return a new sandbox
     */
    public Sandbox build() {
        return builder().build();
    }

    @Override
    public String toString() {
        return label;
    }
}
