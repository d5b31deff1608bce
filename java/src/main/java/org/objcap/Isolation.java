package org.objcap;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * How a sandbox is isolated from the host, as its engine reported it when the
 * sandbox was created ({@link Sandbox#isolation()}).
 *
 * <p>A process-isolated sandbox runs its interpreter in an
 * {@code objcap-worker} process of its own, confined by the kernel: a
 * seccomp system-call allowlist, a Landlock file-system ruleset,
 * {@code no_new_privs} and resource limits. An in-process sandbox runs inside
 * this JVM; it reports {@code pid} -1 and no confinement.
 *
 * @param mode {@value #PROCESS} or {@value #IN_PROCESS}
 * @param pid the worker's process id, or -1 in process
 * @param seccomp whether the worker runs under a seccomp filter
 * @param landlockAbi the Landlock ABI version the worker is confined with,
 *     0 for none
 * @param noNewPrivileges whether the worker has {@code no_new_privs} set
 * @param rlimits whether the worker runs under resource limits
 * @param capabilitiesDropped whether the worker dropped every capability
 *     (those of a host that runs as root)
 * @param namespaces whether the worker runs in mount, network, IPC and UTS
 *     namespaces of its own, its file system holding only the directories
 *     it may use (a user namespace too when the host is not root)
 */
public record Isolation(
        String mode,
        long pid,
        boolean seccomp,
        int landlockAbi,
        boolean noNewPrivileges,
        boolean rlimits,
        boolean capabilitiesDropped,
        boolean namespaces) {
    /** The mode of a sandbox whose interpreter runs in a worker process. */
    public static final String PROCESS = "process";
    /** The mode of a sandbox whose interpreter runs inside this JVM. */
    public static final String IN_PROCESS = "in-process";

    /**
     * Creates a report, checking the mode.
     *
     * @param mode {@value #PROCESS} or {@value #IN_PROCESS}
     * @param pid the worker's process id, or -1 in-process
     * @param seccomp whether the worker runs under a seccomp filter
     * @param landlockAbi the Landlock ABI version, 0 for none
     * @param noNewPrivileges whether the worker has {@code no_new_privs} set
     * @param rlimits whether the worker runs under resource limits
     * @param capabilitiesDropped whether the worker dropped every capability
     * @param namespaces whether the worker runs in namespaces of its own
     * @throws NullPointerException if {@code mode} is null
     */
    public Isolation {
        Objects.requireNonNull(mode, "mode");
    }

    /**
     * Tells whether the interpreter runs in a worker process of its own.
     *
     * @return {@code true} for the {@value #PROCESS} mode
     */
    public boolean processIsolated() {
        return PROCESS.equals(mode);
    }

    /**
     * Tells whether Landlock also scopes the worker (ABI 6 and later): no
     * signal to a process outside it, no connection to an abstract Unix
     * socket outside it.
     *
     * @return {@code true} if the worker is scoped
     */
    public boolean landlockScoped() {
        return landlockAbi >= 6;
    }

    /**
     * Names the kernel confinements that a process-isolated sandbox lacks
     * ({@code seccomp}, {@code Landlock}); empty when both are active or
     * the sandbox runs in process.
     *
     * @return the missing confinements, in a fixed order
     */
    public List<String> missingConfinements() {
        List<String> missing = new ArrayList<>();
        if (processIsolated()) {
            if (!seccomp) {
                missing.add("seccomp");
            }
            if (landlockAbi <= 0) {
                missing.add("Landlock");
            }
        }
        return List.copyOf(missing);
    }

    /** The isolation of an in-process sandbox. */
    static Isolation inProcess() {
        return new Isolation(IN_PROCESS, -1, false, 0, false, false, false, false);
    }

    /** Reads the engine's map (see {@code objcap_isolation} in objcap.h). */
    static Isolation fromEngine(Object decoded) {
        if (!(decoded instanceof Map<?, ?> map)) {
            throw new SandboxException("the engine reported its isolation in an unknown form");
        }
        Object mode = map.get("mode");
        if (!PROCESS.equals(mode)) {
            if (IN_PROCESS.equals(mode)) {
                return inProcess();
            }
            throw new SandboxException("the engine reported an unknown isolation mode: " + mode);
        }
        return new Isolation(
                PROCESS,
                number(map.get("pid"), -1),
                Boolean.TRUE.equals(map.get("seccomp")),
                (int) Math.max(0, Math.min(Integer.MAX_VALUE, number(map.get("landlock"), 0))),
                Boolean.TRUE.equals(map.get("no_new_privs")),
                Boolean.TRUE.equals(map.get("rlimits")),
                Boolean.TRUE.equals(map.get("capabilities_dropped")),
                Boolean.TRUE.equals(map.get("namespaces")));
    }

    private static long number(Object o, long fallback) {
        return o instanceof Long l ? l : fallback;
    }
}
