package org.objcap.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.objcap.PythonException;
import org.objcap.PythonFrame;
import org.objcap.PythonSyntaxException;
import org.objcap.Sandbox;
import org.objcap.SandboxException;
import org.objcap.internal.NativeEngine;

/**
 * The interactive console of {@code objcap repl}: reads lines, asks for
 * more ({@code ...}) until a statement is complete, runs it in the sandbox
 * as Python's console would (an expression's repr is printed, and is
 * {@code _}), and goes on after exceptions and limits. When a limit or a
 * crash closes the sandbox (a process-isolated worker that had to be
 * killed), it says so and starts a new one, without the old definitions.
 * End of input (Ctrl-D) ends it with status 0; {@code sys.exit(n)} with n.
 * Prompts and the banner go to stderr, as Python's do.
 */
final class Repl {
    /** The file name of the console's helper, whose frames the user never sees. */
    private static final String HELPERS_FILE = "<objcap>";

    private static final String HELPERS = readHelpers();
    /** push() results that are not exit statuses. */
    private static final int MORE = -2;

    private static final int DONE = -1;

    private final SandboxOptions options;
    private final BufferedReader in;
    private final PrintStream out;
    private final PrintStream err;
    private Sandbox sandbox;

    Repl(SandboxOptions options, BufferedReader in, PrintStream out, PrintStream err) {
        this.options = options;
        this.in = in;
        this.out = out;
        this.err = err;
    }

    /**
     * Runs the console until the input ends or the code exits.
     *
     * @param banner whether to say what runs where, first
     * @return the exit status
     */
    int run(boolean banner) throws IOException {
        try {
            sandbox = start();
        } catch (UsageException e) {
            err.println("objcap: " + e.getMessage());
            return ObjcapCommand.USAGE;
        } catch (SandboxException e) {
            err.println("objcap: " + e.getMessage());
            return ObjcapCommand.CRASHED;
        }
        try {
            if (banner) {
                err.println(banner());
            }
            return loop();
        } finally {
            sandbox.close();
        }
    }

    private int loop() throws IOException {
        List<String> lines = new ArrayList<>();
        while (true) {
            err.print(lines.isEmpty() ? ">>> " : "... ");
            err.flush();
            String line = in.readLine();
            if (line == null) {
                err.println();
                return ObjcapCommand.OK;
            }
            if (lines.isEmpty() && line.isBlank()) {
                continue;
            }
            lines.add(line);
            int result = push(String.join("\n", lines));
            if (result != MORE) {
                lines.clear();
            }
            if (result >= 0) {
                return result;
            }
        }
    }

    /** Runs the input if it is complete: MORE, DONE, or the status to exit with. */
    private int push(String source) {
        try {
            options.meter().reset(); // --max-output is per call
            return Boolean.FALSE.equals(sandbox.call("__objcap_push__", source)) ? MORE : DONE;
        } catch (PythonException e) {
            out.flush();
            int status = Failures.systemExitStatus(e, err, options.meter());
            if (status >= 0) {
                return status;
            }
            Failures.report(clean(e, source), err, options.meter());
        } catch (SandboxException e) {
            out.flush();
            Failures.report(e, err, options.meter());
        }
        return sandbox.isClosed() ? restart() : DONE;
    }

    private int restart() {
        err.println("objcap: starting a new sandbox; what was defined before is gone");
        try {
            sandbox = start();
            return DONE;
        } catch (UsageException | SandboxException e) {
            err.println("objcap: " + e.getMessage());
            return ObjcapCommand.CRASHED;
        }
    }

    private Sandbox start() throws UsageException {
        Sandbox s = options.build(out, err);
        try {
            s.exec(HELPERS, HELPERS_FILE);
        } catch (RuntimeException e) {
            s.close();
            throw e;
        }
        return s;
    }

    private String banner() {
        String where = sandbox.isolation().processIsolated()
                ? "sandboxed in a worker process"
                : "sandboxed in this JVM (--in-process)";
        String version;
        try {
            version = NativeEngine.version();
        } catch (SandboxException e) {
            version = "(version unknown)";
        }
        return "objcap " + version + ", " + where + ". Ctrl-D exits.";
    }

    /**
     * The exception as the user's code raised it: without the console's own
     * frames, and a syntax error with its line (the sandbox shows lines only
     * of code the host ran, and the console compiles inside it).
     */
    private static PythonException clean(PythonException e, String source) {
        List<PythonFrame> frames = e.getPythonTraceback().stream()
                .filter(f -> !HELPERS_FILE.equals(f.file()))
                .collect(Collectors.toList());
        if (e instanceof PythonSyntaxException s) {
            String text = s.getText() != null || s.getLine() < 1
                    ? s.getText()
                    : source.lines().skip(s.getLine() - 1L).findFirst().orElse(null);
            return new PythonSyntaxException(
                    s.getPythonType(), s.getPythonMessage(), frames, s.getFileName(), s.getLine(), s.getColumn(), text);
        }
        return new PythonException(e.getPythonType(), e.getPythonMessage(), frames);
    }

    private static String readHelpers() {
        try (InputStream helpers = Repl.class.getResourceAsStream("repl.py")) {
            if (helpers == null) {
                throw new IllegalStateException("repl.py is missing from the objcap jar");
            }
            return new String(helpers.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read repl.py from the objcap jar", e);
        }
    }
}
