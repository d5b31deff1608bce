package org.objcap.script;

import java.io.IOException;
import java.io.OutputStream;
import java.io.Writer;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * A sandbox's stdout or stderr: decodes its UTF-8 and writes it to the
 * {@link Writer} of the script context that runs at the time.
 *
 * <p>The engine's output callback keeps this stream reachable for as long
 * as the sandbox lives, so it must not refer to the sandbox, the bindings
 * or the engine, or no unused sandbox would ever be collected.
 */
final class ContextOutput extends OutputStream {
    private final CharsetDecoder decoder = StandardCharsets.UTF_8
            .newDecoder()
            .onMalformedInput(CodingErrorAction.REPLACE)
            .onUnmappableCharacter(CodingErrorAction.REPLACE);
    /** The start of a character split across writes (at most 3 bytes). */
    private final ByteBuffer pending = ByteBuffer.allocate(8);

    private Writer target;

    ContextOutput(Writer target) {
        this.target = target;
    }

    /**
     * Sends later output to another writer.
     *
     * @return the writer it replaces
     */
    synchronized Writer retarget(Writer writer) {
        Writer previous = target;
        if (pending.position() > 0) {
            // The output was cut inside a character (at the output limit).
            pending.clear();
            write(previous, "\uFFFD");
        }
        target = writer;
        return previous;
    }

    @Override
    public void write(int b) {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public synchronized void write(byte[] bytes, int offset, int length) {
        ByteBuffer in = ByteBuffer.allocate(pending.position() + length);
        in.put(pending.flip()).put(bytes, offset, length).flip();
        pending.clear();
        CharBuffer out = CharBuffer.allocate(in.remaining());
        decoder.reset().decode(in, out, false);
        pending.put(in);
        write(target, out.flip().toString());
    }

    private static void write(Writer writer, String text) {
        if (writer == null || text.isEmpty()) {
            return;
        }
        try {
            writer.write(text);
            writer.flush();
        } catch (IOException e) {
            // A failing host writer must not fail the script (as for Sandbox's streams).
        }
    }
}
