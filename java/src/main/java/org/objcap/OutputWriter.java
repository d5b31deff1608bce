package org.objcap;

import static org.objcap.SandboxLifecycle.DELIVERING_FOR;

import java.io.IOException;
import java.io.OutputStream;
import org.objcap.internal.NativeEngine;

/** Writes a sandbox's output to the host's streams. */
final class OutputWriter implements NativeEngine.OutputSink {
    private final Object token;
    private final OutputStream stdout;
    private final OutputStream stderr;

    OutputWriter(Object token, OutputStream stdout, OutputStream stderr) {
        this.token = token;
        this.stdout = stdout;
        this.stderr = stderr;
    }

    @Override
    public void write(int stream, byte[] data) {
        OutputStream target = stream == NativeEngine.STDERR ? stderr : stdout;
        DELIVERING_FOR.set(token);
        try {
            target.write(data);
            // The host should see output while the call still runs.
            target.flush();
        } catch (IOException e) {
            // A failing host stream must not fail the sandboxed code.
        } finally {
            DELIVERING_FOR.remove();
        }
    }
}
