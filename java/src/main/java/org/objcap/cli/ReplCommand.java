package org.objcap.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code objcap repl [OPTIONS]}: an interactive console in a sandbox. */
@Command(
        name = "repl",
        mixinStandardHelpOptions = true,
        versionProvider = ObjcapCommand.Version.class,
        description = {
            "Starts an interactive Python console in a sandbox.",
            "Expressions print their repr; errors, syntax errors and limits are reported and "
                    + "the console goes on (a sandbox that a limit or a crash closed is replaced "
                    + "by a new, empty one). Ctrl-D exits with status 0, sys.exit(n) with n."
        },
        footerHeading = "%nExamples:%n",
        footer = {"  objcap repl", "  objcap repl --in-process --timeout 5 --allow-module shlex"})
final class ReplCommand implements Callable<Integer> {
    @Mixin
    SandboxOptions options;

    @Option(
            names = {"-q", "--quiet"},
            description = "Do not print the banner.")
    boolean quiet;

    private final InputStream in;
    private final PrintStream out;
    private final PrintStream err;

    ReplCommand(InputStream in, PrintStream out, PrintStream err) {
        this.in = in;
        this.out = out;
        this.err = err;
    }

    @Override
    public Integer call() throws IOException {
        BufferedReader lines = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
        try (CliLogging logging = new CliLogging(options.verbose, err)) {
            return new Repl(options, lines, out, err).run(!quiet);
        }
    }
}
