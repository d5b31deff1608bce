package org.objcap.cli;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Counts what a sandbox wrote to the command's stdout and stderr during one
 * call, so that the traceback printed after it shares the call's
 * {@code --max-output}: the script's output and its error report together
 * stay within the limit, plus one line saying that the report was cut.
 */
final class OutputMeter {
    private final long limit; // 0: none
    private long written;

    OutputMeter(long limit) {
        this.limit = limit;
    }

    /** Starts the count of a new call. */
    synchronized void reset() {
        written = 0;
    }

    private synchronized void add(long n) {
        written += n;
    }

    /** The stream, counted. */
    OutputStream meter(OutputStream out) {
        return new FilterOutputStream(out) {
            @Override
            public void write(int b) throws IOException {
                out.write(b);
                add(1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                out.write(b, off, len);
                add(len);
            }
        };
    }

    /**
     * The report as it may still be printed: whole, or cut at what the
     * call's output left of the limit, with one line saying so.
     */
    synchronized String fit(String report) {
        if (limit <= 0) {
            return report;
        }
        long left = Math.max(0, limit - written);
        byte[] bytes = report.getBytes(StandardCharsets.UTF_8);
        if (bytes.length <= left) {
            return report;
        }
        // Cut on a character boundary: back off continuation bytes.
        int end = (int) left;
        while (end > 0 && (bytes[end] & 0xC0) == 0x80) {
            end--;
        }
        String head = new String(bytes, 0, end, StandardCharsets.UTF_8);
        return head + (head.isEmpty() || head.endsWith("\n") ? "" : "\n")
                + "objcap: the error report was cut at the output limit (--max-output)\n";
    }
}
