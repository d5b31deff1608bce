package org.objcap.cli;

import java.io.PrintStream;
import java.text.MessageFormat;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * Where objcap's log goes while a command runs. The commands print their
 * own line for a limit or a crash, so the library's warnings would say it
 * twice: unless {@code --verbose} is given, the {@code org.objcap} logger
 * is quiet (if the user configured java.util.logging, it is left alone).
 * With {@code --verbose}, start-up, refusals, limits and crashes go to the
 * command's stderr, one line each. {@link #close()} puts things back.
 */
final class CliLogging implements AutoCloseable {
    /** Held, because java.util.logging keeps loggers only weakly. */
    private final Logger logger = Logger.getLogger("org.objcap");

    private final Level level;
    private final boolean useParentHandlers;
    private Handler handler;

    CliLogging(boolean verbose, PrintStream err) {
        level = logger.getLevel();
        useParentHandlers = logger.getUseParentHandlers();
        if (verbose) {
            handler = new LineHandler(err);
            logger.addHandler(handler);
            logger.setUseParentHandlers(false);
            logger.setLevel(Level.FINE);
        } else if (System.getProperty("java.util.logging.config.file") == null
                && System.getProperty("java.util.logging.config.class") == null) {
            logger.setUseParentHandlers(false);
        }
    }

    @Override
    public void close() {
        if (handler != null) {
            logger.removeHandler(handler);
        }
        logger.setLevel(level);
        logger.setUseParentHandlers(useParentHandlers);
    }

    /** {@code objcap: <message>}, one line per record. */
    private static final class LineHandler extends Handler {
        private final PrintStream err;

        LineHandler(PrintStream err) {
            this.err = err;
            setLevel(Level.ALL);
        }

        @Override
        public void publish(LogRecord record) {
            String message = record.getParameters() == null
                    ? record.getMessage()
                    : MessageFormat.format(record.getMessage(), record.getParameters());
            err.println("objcap: " + message);
        }

        @Override
        public void flush() {
            err.flush();
        }

        @Override
        public void close() {
            flush();
        }
    }
}
