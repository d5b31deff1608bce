package org.objcap;

import java.lang.System.Logger.Level;
import java.util.List;
import java.util.function.Supplier;

/**
 * Logs each new refusal of one sandbox at {@code DEBUG} on the
 * {@code org.objcap} {@link System.Logger}. When that level is off it costs
 * one {@code isLoggable} check per call.
 */
final class DenialLog {
    private static final System.Logger LOGGER = System.getLogger("org.objcap");

    private long logged; // guarded by this

    /**
     * Logs the refusals that are new since the last time.
     *
     * @param sandbox the sandbox, named in the messages by its {@code toString()}
     * @param denials reads the sandbox's current report; called only when
     *     logging is on
     */
    void logNew(Object sandbox, Supplier<Denials> denials) {
        if (!LOGGER.isLoggable(Level.DEBUG)) {
            return;
        }
        Denials d;
        try {
            d = denials.get();
        } catch (RuntimeException e) {
            return; // logging must not fail the call (e.g. a crashed sandbox)
        }
        synchronized (this) {
            long fresh = d.count() - logged;
            if (fresh <= 0) {
                return;
            }
            logged = d.count();
            List<String> recent = d.recent();
            int shown = (int) Math.min(fresh, recent.size());
            if (fresh > shown) {
                LOGGER.log(Level.DEBUG, "{0}: {1} refusals not kept", sandbox, fresh - shown);
            }
            for (String event : recent.subList(recent.size() - shown, recent.size())) {
                LOGGER.log(Level.DEBUG, "{0}: refused {1}", sandbox, event);
            }
        }
    }
}
