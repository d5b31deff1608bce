package org.objcap;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What a sandbox was refused so far: every attempt to reach a resource, a
 * frame or a module's globals that the sandbox stopped, as counted by its
 * audit hook. A host can log it to see what a script tried.
 *
 * @param count how many refusals there were since the sandbox was created
 * @param recent the latest refused events (at most 32), oldest first, such
 *     as {@code "open"} or {@code "object.__getattr__ __globals__"};
 *     unmodifiable
 * @see Sandbox#denials()
 */
public record Denials(long count, List<String> recent) {

    /**
     * Creates a report.
     *
     * @param count the number of refusals, not negative
     * @param recent the latest refused events, oldest first (copied)
     * @throws IllegalArgumentException if {@code count} is negative
     * @throws NullPointerException if {@code recent} or an element is null
     */
    public Denials {
        if (count < 0) {
            throw new IllegalArgumentException("count must not be negative: " + count);
        }
        recent = List.copyOf(Objects.requireNonNull(recent, "recent"));
    }

    /** Reads the engine's {@code {"count": int, "recent": [str...]}} map. */
    static Denials fromEngine(Object decoded) {
        if (!(decoded instanceof Map<?, ?> map)) {
            throw malformed();
        }
        long count;
        Object c = map.get("count");
        if (c instanceof Long n && n >= 0) {
            count = n;
        } else if (c instanceof BigInteger big && big.signum() > 0) {
            count = Long.MAX_VALUE; // beyond 2^63 refusals: saturate
        } else {
            throw malformed();
        }
        if (!(map.get("recent") instanceof List<?> list)) {
            throw malformed();
        }
        List<String> recent = new ArrayList<>(list.size());
        for (Object event : list) {
            if (!(event instanceof String s)) {
                throw malformed();
            }
            recent.add(s);
        }
        return new Denials(count, recent);
    }

    private static SandboxException malformed() {
        return new SandboxException("the engine sent a malformed denials report");
    }
}
