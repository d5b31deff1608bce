package org.objcap.cli;

import java.io.InputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.objcap.SandboxException;
import org.objcap.internal.NativeEngine;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.MissingParameterException;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.TypeConversionException;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * The {@code objcap} command: {@code objcap run [OPTIONS] SCRIPT.py|-} runs
 * a script in a sandbox, {@code objcap repl [OPTIONS]} is an interactive
 * console in one. Both take the policy options of the API's
 * {@link org.objcap.Sandbox.Builder}, with its defaults: a confined worker
 * process ({@code --in-process} runs the interpreter inside this JVM),
 * 30 s of wall-clock and of CPU time, 512 MiB of memory, 10 MiB of output,
 * recursion 1000 (0 lifts a limit, but the recursion limit), the default
 * module whitelist ({@code --allow-module}, {@code --module-path} add to
 * it). Options can be read from a file: {@code objcap run @policy.txt
 * script.py} (one or more options per line, {@code #} starts a comment).
 *
 * <p>A script that hits a limit ends with status 3 and one line on stderr
 * that names the limit and its option, e.g. {@code objcap: CPU time limit
 * exceeded: the call used more CPU time than its limit (2 s) [--cpu]}.
 *
 * <p>Exit status: 0 success, 1 the script raised, 2 usage or policy error,
 * 3 a limit was hit, 4 the sandbox crashed or the engine failed; a script's
 * {@code sys.exit(n)} exits with n, as in Python.
 */
@Command(
        name = "objcap",
        mixinStandardHelpOptions = true,
        versionProvider = ObjcapCommand.Version.class,
        description = "Runs Python code in an objcap sandbox: only the authority you grant, " + "within limits.",
        commandListHeading = "%nCommands:%n",
        footerHeading = "%nExamples:%n",
        footer = {
            "  objcap run examples/hello.py",
            "  objcap run --timeout 2 --memory 64 script.py",
            "  objcap repl",
            "  objcap run --help     (every option, with its default)"
        },
        exitCodeListHeading = "%nExit status:%n",
        exitCodeList = {
            "0:success",
            "1:the script raised an exception",
            "2:usage or policy error",
            "3:a limit was hit",
            "4:the sandbox crashed or the engine failed",
            "n:the script called sys.exit(n)"
        })
public final class ObjcapCommand implements Callable<Integer> {
    /** Exit status: success. */
    public static final int OK = 0;
    /** Exit status: the script raised an exception. */
    public static final int RAISED = 1;
    /** Exit status: bad usage, unreadable script, or refused input. */
    public static final int USAGE = 2;
    /** Exit status: a limit was hit. */
    public static final int LIMIT = 3;
    /** Exit status: the sandbox crashed or the engine failed. */
    public static final int CRASHED = 4;

    private final PrintStream err;

    private ObjcapCommand(PrintStream err) {
        this.err = err;
    }

    /**
     * Runs the command and exits the JVM with its status.
     *
     * @param args the command line
     */
    public static void main(String[] args) {
        System.exit(execute(args, System.in, System.out, System.err));
    }

    /**
     * Runs the command without exiting, reading {@code -} and the console's
     * input from {@code System.in}.
     *
     * @param args the command line
     * @param out receives the script's stdout and help/version text
     * @param err receives the script's stderr and error messages
     * @return the exit status
     */
    public static int execute(String[] args, PrintStream out, PrintStream err) {
        return execute(args, System.in, out, err);
    }

    /**
     * Runs the command without exiting.
     *
     * @param args the command line
     * @param in where a script named {@code -}, and the console's input, is read from
     * @param out receives the script's stdout and help/version text
     * @param err receives the script's stderr, the console's prompts and
     *     error messages
     * @return the exit status
     */
    public static int execute(String[] args, InputStream in, PrintStream out, PrintStream err) {
        String missing = missingArgumentFile(args);
        if (missing != null) {
            err.println("objcap: cannot read the argument file " + missing
                    + " (an argument that starts with @ names a file of options; write @@ for"
                    + " a literal @)");
            return USAGE;
        }
        CommandLine cli = new CommandLine(new ObjcapCommand(err));
        cli.addSubcommand("run", new RunCommand(in, out, err));
        cli.addSubcommand("repl", new ReplCommand(in, out, err));
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        cli.setParameterExceptionHandler((e, ignored) -> {
            err.println(describe(e));
            return USAGE;
        });
        int status = cli.execute(args);
        out.flush();
        err.flush();
        return status;
    }

    @Override
    public Integer call() {
        err.println("objcap: missing command (try: objcap run SCRIPT.py, objcap repl, or" + " objcap --help)");
        return USAGE;
    }

    /** An {@code @file} argument whose file cannot be read, or null. */
    private static String missingArgumentFile(String[] args) {
        for (String arg : args) {
            if (arg.length() > 1 && arg.startsWith("@") && !arg.startsWith("@@")) {
                try {
                    if (!Files.isReadable(Path.of(arg.substring(1)))) {
                        return arg.substring(1);
                    }
                } catch (InvalidPathException e) {
                    return arg.substring(1);
                }
            }
        }
        return null;
    }

    /** One line for a bad command line, in words, pointing at the fix. */
    static String describe(ParameterException e) {
        String command = e.getCommandLine().getCommandSpec().qualifiedName();
        String help = ". See " + command + " --help.";
        if (e instanceof UnmatchedArgumentException u && !u.getUnmatched().isEmpty()) {
            String arg = u.getUnmatched().get(0);
            String guess = u.getSuggestions().isEmpty()
                    ? null
                    : "; did you mean " + String.join(" or ", u.getSuggestions()) + "?";
            if (arg.startsWith("-") && arg.length() > 1) {
                return command + ": unknown option " + arg + (guess != null ? guess : help);
            }
            if (e.getCommandLine().getParent() == null) {
                return command + ": unknown command '" + arg + "'"
                        + (guess != null ? guess : "; the commands are run and repl" + help);
            }
            return command + ": unexpected argument '" + arg + "'" + help;
        }
        if (e instanceof MissingParameterException m && !m.getMissing().isEmpty()) {
            ArgSpec missing = m.getMissing().get(0);
            if (missing instanceof OptionSpec option) {
                return command + ": " + option.longestName() + " needs a value (" + option.paramLabel() + ")" + help;
            }
            return command + ": which script? Give a .py file, or - for standard input" + help;
        }
        if (e.getArgSpec() instanceof OptionSpec option && e.getCause() instanceof TypeConversionException conversion) {
            return command + ": " + option.longestName() + " " + e.getValue() + ": " + conversion.getMessage() + help;
        }
        String message = e.getMessage();
        return command + ": " + Character.toLowerCase(message.charAt(0)) + message.substring(1) + help;
    }

    /** Reports the versions of the tool, of the embedded CPython and of Java. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String engine;
            String origin;
            try {
                engine = NativeEngine.version();
                origin = "CPython from " + NativeEngine.python().origin();
            } catch (SandboxException e) {
                engine = "unavailable: " + e.getMessage();
                origin = "CPython unavailable";
            }
            return new String[] {
                "objcap " + engine,
                origin,
                "Java " + System.getProperty("java.version") + " on " + System.getProperty("os.name") + " "
                        + System.getProperty("os.arch")
            };
        }
    }
}
