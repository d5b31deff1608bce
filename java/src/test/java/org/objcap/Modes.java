package org.objcap;

/** The two modes a test runs a sandbox in, by {@link Isolation}'s names. */
final class Modes {
    private Modes() {}

    /**
     * A builder in one mode.
     *
     * @param mode {@link Isolation#IN_PROCESS} or {@link Isolation#PROCESS}
     */
    static Sandbox.Builder builder(String mode) {
        Sandbox.Builder builder = Sandbox.builder();
        return Isolation.IN_PROCESS.equals(mode) ? builder.inProcess() : builder;
    }
}
