package org.objcap.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.objcap.Limit;
import org.objcap.LimitExceededException;
import org.objcap.PythonException;
import org.objcap.Sandbox;
import org.objcap.SandboxCrashedException;
import org.objcap.SandboxException;
import org.objcap.internal.NativeEngine;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * The {@code objcap} command: {@code objcap run [--in-process]
 * [--allow-weaker-isolation] [--timeout SECONDS] [--cpu SECONDS]
 * [--memory MB] [--max-output KB] [--recursion N] [--allow-module NAME]...
 * [--module-path DIR]... SCRIPT.py|-}.
 *
 * <p>The script runs in a confined worker process by default;
 * {@code --in-process} runs it inside this JVM instead. The limits default
 * to the API's ({@link Sandbox.Builder}): 30 s of wall-clock and of CPU
 * time, 512 MiB of memory, 10 MiB of output, recursion 1000; 0 lifts a
 * limit (but the recursion limit).
 *
 * <p>A script that hits a limit ends with status 3 and one line on stderr
 * that names the limit, e.g. {@code objcap: CPU time limit exceeded: the
 * call used more CPU time than its limit (2 s) [--cpu]}.
 *
 * <p>Exit status: 0 success, 1 the script raised, 2 usage or policy error,
 * 3 a limit was hit, 4 the sandbox crashed or the engine failed.
 */
@Command(name = "objcap", mixinStandardHelpOptions = true,
        versionProvider = ObjcapCommand.Version.class,
        description = "Runs Python code in an objcap sandbox.",
        exitCodeListHeading = "%nExit status:%n",
        exitCodeList = {
            "0:success",
            "1:the script raised an exception",
            "2:usage or policy error",
            "3:a limit was hit",
            "4:the sandbox crashed or the engine failed"})
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
     * Runs the command without exiting, reading {@code -} from
     * {@code System.in}.
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
     * @param in where a script named {@code -} is read from
     * @param out receives the script's stdout and help/version text
     * @param err receives the script's stderr and error messages
     * @return the exit status
     */
    public static int execute(String[] args, InputStream in, PrintStream out, PrintStream err) {
        CommandLine cli = new CommandLine(new ObjcapCommand(err));
        cli.addSubcommand("run", new Run(in, out, err));
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        int status = cli.execute(args);
        out.flush();
        err.flush();
        return status;
    }

    @Override
    public Integer call() {
        err.println("objcap: missing command (try: objcap run SCRIPT.py, or objcap --help)");
        return USAGE;
    }

    /** {@code objcap run}. */
    @Command(name = "run", mixinStandardHelpOptions = true,
            versionProvider = ObjcapCommand.Version.class,
            description = "Runs a Python script in a sandbox.")
    static final class Run implements Callable<Integer> {
        /** How the engine names a dangerous module it refused to whitelist. */
        private static final Pattern DANGEROUS =
                Pattern.compile("module '([^']+)' gives authority away");

        @Option(names = "--in-process",
                description = "Run the interpreter inside this JVM instead of in a confined "
                        + "worker process (faster to start; a crash takes the JVM down, so "
                        + "only for code that is fallible, not malicious).")
        boolean inProcess;

        @Option(names = "--allow-weaker-isolation",
                description = "Run the worker process even if the kernel lacks seccomp or "
                        + "Landlock (else that is refused).")
        boolean allowWeakerIsolation;

        @Option(names = "--timeout", paramLabel = "SECONDS",
                description = "Stop the script after this many seconds of wall-clock time "
                        + "(default: ${DEFAULT-VALUE}; 0: no limit).")
        double timeoutSeconds = Sandbox.DEFAULT_TIMEOUT_SECONDS;

        @Option(names = "--cpu", paramLabel = "SECONDS",
                description = "Stop the script after this many seconds of CPU time "
                        + "(default: ${DEFAULT-VALUE}; 0: no limit).")
        double cpuSeconds = Sandbox.DEFAULT_CPU_TIME_SECONDS;

        @Option(names = "--memory", paramLabel = "MB",
                description = "Let the script hold at most this many MiB of memory "
                        + "(default: ${DEFAULT-VALUE}; 0: no limit).")
        long memoryMegabytes = Sandbox.DEFAULT_MEMORY_LIMIT >> 20;

        @Option(names = "--max-output", paramLabel = "KB",
                description = "Cut the script's output (stdout and stderr together) after "
                        + "this many KiB and stop it (default: ${DEFAULT-VALUE}; 0: no limit).")
        long maxOutputKilobytes = Sandbox.DEFAULT_MAX_OUTPUT >> 10;

        @Option(names = "--recursion", paramLabel = "N",
                description = "Python's recursion limit, 50 to 100000 "
                        + "(default: ${DEFAULT-VALUE}).")
        int recursionLimit = Sandbox.DEFAULT_RECURSION_LIMIT;

        @Option(names = "--allow-module", paramLabel = "NAME",
                description = "Let the script import this module too (repeatable). Modules "
                        + "that give authority away wholesale (os, sys, ...) are refused.")
        List<String> allowModules = new ArrayList<>();

        @Option(names = "--module-path", paramLabel = "DIR",
                description = "Let the script import the .py modules and packages in this "
                        + "directory (repeatable).")
        List<String> modulePaths = new ArrayList<>();

        @Parameters(index = "0", paramLabel = "SCRIPT",
                description = "The script to run (UTF-8), or - for standard input.")
        String script;

        private final InputStream in;
        private final PrintStream out;
        private final PrintStream err;

        Run(InputStream in, PrintStream out, PrintStream err) {
            this.in = in;
            this.out = out;
            this.err = err;
        }

        @Override
        public Integer call() {
            String problem = !(timeoutSeconds >= 0) ? "--timeout must be 0 or more seconds"
                    : !(cpuSeconds >= 0) ? "--cpu must be 0 or more seconds"
                    : memoryMegabytes < 0 ? "--memory must be 0 or more MiB"
                    : maxOutputKilobytes < 0 ? "--max-output must be 0 or more KiB"
                    : recursionLimit < 50 || recursionLimit > 100_000
                            ? "--recursion must be between 50 and 100000" : null;
            if (problem != null) {
                err.println("objcap: " + problem + (problem.startsWith("--recursion")
                        ? "" : " (0: no limit)"));
                return USAGE;
            }
            boolean stdin = "-".equals(script);
            String source;
            try {
                source = decode(stdin ? in.readAllBytes() : Files.readAllBytes(Path.of(script)));
            } catch (IOException e) {
                err.println("objcap: cannot read " + script + ": " + describe(e));
                return USAGE;
            } catch (InvalidPathException e) {
                err.println("objcap: cannot read " + script + ": invalid file name");
                return USAGE;
            }
            return run(source, stdin ? "<stdin>" : script);
        }

        /** Applies the limit options; 0 lifts a limit. */
        private void addLimits(Sandbox.Builder builder) {
            if (timeoutSeconds == 0) {
                builder.unlimitedTime();
            } else {
                builder.timeout(duration(timeoutSeconds));
            }
            if (cpuSeconds == 0) {
                builder.unlimitedCpuTime();
            } else {
                builder.cpuTime(duration(cpuSeconds));
            }
            if (memoryMegabytes == 0) {
                builder.unlimitedMemory();
            } else {
                builder.memoryLimit(memoryMegabytes > Long.MAX_VALUE >> 20
                        ? Long.MAX_VALUE : memoryMegabytes << 20);
            }
            if (maxOutputKilobytes == 0) {
                builder.unlimitedOutput();
            } else {
                builder.maxOutput(maxOutputKilobytes > Long.MAX_VALUE >> 10
                        ? Long.MAX_VALUE : maxOutputKilobytes << 10);
            }
            builder.recursionLimit(recursionLimit);
        }

        /** Positive seconds as a duration, at least a nanosecond. */
        private static Duration duration(double seconds) {
            return Duration.ofNanos(Math.max(1, (long) Math.min(seconds * 1e9, Long.MAX_VALUE)));
        }

        /** The one line for a limit that was hit, naming it and its option. */
        static String limitLine(LimitExceededException e) {
            Limit limit = e.getLimit();
            if (limit == null) {
                return "objcap: a limit was exceeded: " + e.getMessage();
            }
            String name;
            String option;
            switch (limit) {
                case TIME: name = "time limit"; option = "--timeout"; break;
                case CPU: name = "CPU time limit"; option = "--cpu"; break;
                case MEMORY: name = "memory limit"; option = "--memory"; break;
                case OUTPUT: name = "output limit"; option = "--max-output"; break;
                case RECURSION: default: name = "recursion limit"; option = "--recursion"; break;
            }
            // The message is one line but for a RecursionError's own text.
            String message = e.getMessage().replace('\n', ' ');
            return "objcap: " + name + " exceeded: " + message + " [" + option + "]";
        }

        /** Adds --allow-module and --module-path; null, or why not (one line). */
        private String addPolicy(Sandbox.Builder builder) {
            for (String dir : modulePaths) {
                try {
                    builder.allowSourcePath(Path.of(dir));
                } catch (IllegalArgumentException e) { // also InvalidPathException
                    return "--module-path " + dir + ": not an existing directory";
                }
            }
            for (String name : allowModules) {
                try {
                    builder.allowModule(name);
                } catch (IllegalArgumentException e) {
                    return "--allow-module " + name + ": " + e.getMessage()
                            + " (check the name)";
                }
            }
            return null;
        }

        /** The one-line message for a policy the engine refused. */
        private String refused(IllegalArgumentException e) {
            Matcher m = DANGEROUS.matcher(String.valueOf(e.getMessage()));
            if (m.find() && !allowModules.isEmpty()) {
                return "--allow-module " + m.group(1) + ": that module gives authority away "
                        + "wholesale and cannot be allowed from the command line; remove it";
            }
            return e.getMessage();
        }

        private int run(String source, String fileName) {
            Sandbox.Builder builder = Sandbox.builder().stdout(out).stderr(err);
            if (inProcess) {
                builder.inProcess();
            }
            if (allowWeakerIsolation) {
                builder.allowWeakerIsolation();
            }
            addLimits(builder);
            Sandbox sandbox;
            try {
                String problem = addPolicy(builder);
                if (problem != null) {
                    err.println("objcap: " + problem);
                    return USAGE;
                }
                sandbox = builder.build();
            } catch (IllegalArgumentException e) {
                err.println("objcap: " + refused(e));
                return USAGE;
            } catch (SandboxException e) {
                err.println("objcap: " + e.getMessage());
                return CRASHED;
            }
            try (sandbox) {
                sandbox.exec(source, fileName);
                return OK;
            } catch (PythonException e) {
                out.flush();
                err.print(e.formatTraceback());
                return RAISED;
            } catch (LimitExceededException e) {
                out.flush();
                err.println(limitLine(e));
                return LIMIT;
            } catch (SandboxCrashedException e) {
                out.flush();
                // One line, naming the signal (or exit status) the worker died of.
                err.println("objcap: the sandbox crashed: " + e.getDetail());
                return CRASHED;
            } catch (SandboxException e) {
                err.println("objcap: " + e.getMessage());
                return CRASHED;
            } catch (IllegalArgumentException | IllegalStateException e) {
                err.println("objcap: " + e.getMessage());
                return USAGE;
            }
        }

        private static String decode(byte[] bytes) throws CharacterCodingException {
            String text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes)).toString();
            // Editors may save a byte order mark, which is not Python source.
            return text.startsWith("\uFEFF") ? text.substring(1) : text;
        }

        private static String describe(IOException e) {
            if (e instanceof NoSuchFileException) {
                return "No such file";
            }
            if (e instanceof AccessDeniedException) {
                return "Permission denied";
            }
            if (e instanceof CharacterCodingException) {
                return "not valid UTF-8";
            }
            return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        }
    }

    /** Reports the versions of the tool and of the engine. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String engine;
            try {
                engine = NativeEngine.version();
            } catch (SandboxException e) {
                engine = "unavailable: " + e.getMessage();
            }
            return new String[] {"objcap " + engine};
        }
    }
}
