package org.objcap.cli;

import java.io.OutputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.objcap.Access;
import org.objcap.Capabilities;
import org.objcap.Capability;
import org.objcap.Sandbox;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;
import picocli.CommandLine.TypeConversionException;

/**
 * The policy options that {@code objcap run} and {@code objcap repl} share:
 * where the interpreter runs, its limits and its modules. Every default is
 * the API's ({@link Sandbox.Builder}).
 */
final class SandboxOptions {
    /** How the engine names a dangerous module it refused to whitelist. */
    private static final Pattern DANGEROUS = Pattern.compile("module '([^']+)' gives authority away");

    @Option(
            names = "--in-process",
            description = "Run the interpreter inside this JVM instead of in a confined "
                    + "worker process (faster to start; a crash takes the JVM down, so "
                    + "only for code that is fallible, not malicious).")
    boolean inProcess;

    @Option(
            names = "--python",
            paramLabel = "PATH",
            description = "Run the code on this installed CPython 3.11 to 3.14 (its "
                    + "interpreter, e.g. /usr/bin/python3.11) instead of the one objcap "
                    + "bundles.")
    Path python;

    @Option(
            names = "--allow-weaker-isolation",
            description =
                    "Run the worker process even if the kernel lacks seccomp or " + "Landlock (else that is refused).")
    boolean allowWeakerIsolation;

    @Option(
            names = "--timeout",
            paramLabel = "SECONDS",
            converter = Seconds.class,
            defaultValue = "" + Sandbox.DEFAULT_TIMEOUT_SECONDS,
            description = "Stop the code after this many seconds of wall-clock time "
                    + "(default: ${DEFAULT-VALUE}; 0: no limit).")
    double timeoutSeconds;

    @Option(
            names = "--cpu",
            paramLabel = "SECONDS",
            converter = Seconds.class,
            defaultValue = "" + Sandbox.DEFAULT_CPU_TIME_SECONDS,
            description =
                    "Stop the code after this many seconds of CPU time " + "(default: ${DEFAULT-VALUE}; 0: no limit).")
    double cpuSeconds;

    @Option(
            names = "--memory",
            paramLabel = "MB",
            converter = Amount.class,
            description =
                    "Let the code hold at most this many MiB of memory " + "(default: ${DEFAULT-VALUE}; 0: no limit).")
    long memoryMegabytes = Sandbox.DEFAULT_MEMORY_LIMIT >> 20;

    @Option(
            names = "--max-output",
            paramLabel = "KB",
            converter = Amount.class,
            description = "Cut the output (stdout and stderr together) after this many KiB "
                    + "and stop the code (default: ${DEFAULT-VALUE}; 0: no limit).")
    long maxOutputKilobytes = Sandbox.DEFAULT_MAX_OUTPUT >> 10;

    @Option(
            names = "--max-result",
            paramLabel = "KB",
            converter = Amount.class,
            description = "Refuse a value larger than this many KiB (encoded) out of the "
                    + "sandbox (default: ${DEFAULT-VALUE}; 0: no limit).")
    long maxResultKilobytes = Sandbox.DEFAULT_MAX_RESULT >> 10;

    /** What the sandbox wrote in its current call, against --max-output (set by build). */
    private OutputMeter meter = new OutputMeter(0);

    @Option(
            names = "--recursion",
            paramLabel = "N",
            converter = Recursion.class,
            description = "Python's recursion limit, 50 to 100000 (default: ${DEFAULT-VALUE}).")
    int recursionLimit = Sandbox.DEFAULT_RECURSION_LIMIT;

    @Option(
            names = "--allow-module",
            paramLabel = "NAME",
            description = "Let the code import this module too (repeatable). Modules "
                    + "that give authority away wholesale (os, sys, ...) are refused.")
    List<String> allowModules = new ArrayList<>();

    @Option(
            names = "--module-path",
            paramLabel = "DIR",
            description = "Let the code import the .py modules and packages in this " + "directory (repeatable).")
    List<String> modulePaths = new ArrayList<>();

    @Option(
            names = "--read",
            paramLabel = "NAME=DIR",
            description = "Give the code the directory DIR, read-only, as the object NAME "
                    + "(NAME.open(path), NAME.listdir(), ...; repeatable).")
    List<String> readGrants = new ArrayList<>();

    @Option(
            names = "--write",
            paramLabel = "NAME=DIR",
            description = "Give the code the directory DIR, read-write, as the object NAME "
                    + "(also NAME.open(path, 'w'), mkdir, remove, rename; repeatable).")
    List<String> writeGrants = new ArrayList<>();

    @Option(
            names = {"-v", "--verbose"},
            description = "Log start-up, each refusal, limits and crashes to stderr.")
    boolean verbose;

    /** Counts the output of the sandbox's calls (the last one built). */
    OutputMeter meter() {
        return meter;
    }

    /**
     * Builds a sandbox with these options.
     *
     * @throws UsageException if the policy is refused (a bad module or directory)
     * @throws org.objcap.SandboxException if the sandbox cannot be made
     */
    Sandbox build(OutputStream out, OutputStream err) throws UsageException {
        meter = new OutputMeter(maxOutputKilobytes > Long.MAX_VALUE >> 10 ? Long.MAX_VALUE : maxOutputKilobytes << 10);
        Sandbox.Builder builder = Sandbox.builder().stdout(meter.meter(out)).stderr(meter.meter(err));
        if (python != null) {
            try {
                builder.python(python);
            } catch (IllegalArgumentException e) {
                throw new UsageException("--python " + python + ": " + e.getMessage());
            }
        }
        if (inProcess) {
            builder.inProcess();
        }
        // A command runs one sandbox: a zygote would only add its own start.
        builder.freshWorker();
        if (allowWeakerIsolation) {
            builder.allowWeakerIsolation();
        }
        addLimits(builder);
        addModules(builder);
        addGrants(builder, "--read", readGrants, Access.READ_ONLY);
        addGrants(builder, "--write", writeGrants, Access.READ_WRITE);
        try {
            return builder.build();
        } catch (IllegalArgumentException e) {
            throw new UsageException(refused(e));
        }
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
            builder.memoryLimit(memoryMegabytes > Long.MAX_VALUE >> 20 ? Long.MAX_VALUE : memoryMegabytes << 20);
        }
        if (maxOutputKilobytes == 0) {
            builder.unlimitedOutput();
        } else {
            builder.maxOutput(maxOutputKilobytes > Long.MAX_VALUE >> 10 ? Long.MAX_VALUE : maxOutputKilobytes << 10);
        }
        if (maxResultKilobytes == 0) {
            builder.unlimitedResultSize();
        } else {
            builder.maxResultSize(
                    maxResultKilobytes > Long.MAX_VALUE >> 10 ? Long.MAX_VALUE : maxResultKilobytes << 10);
        }
        builder.recursionLimit(recursionLimit);
    }

    /** Adds --allow-module and --module-path. */
    private void addModules(Sandbox.Builder builder) throws UsageException {
        for (String dir : modulePaths) {
            try {
                builder.allowSourcePath(Path.of(dir));
            } catch (IllegalArgumentException e) { // also InvalidPathException
                throw new UsageException("--module-path " + dir + ": not an existing directory");
            }
        }
        for (String name : allowModules) {
            try {
                builder.allowModule(name);
            } catch (IllegalArgumentException e) {
                throw new UsageException("--allow-module " + name + ": " + e.getMessage() + " (check the name)");
            }
        }
    }

    /** Adds --read and --write: NAME=DIR, each a directory capability. */
    private static void addGrants(Sandbox.Builder builder, String flag, List<String> grants, Access access)
            throws UsageException {
        for (String grant : grants) {
            int eq = grant.indexOf('=');
            if (eq <= 0 || eq == grant.length() - 1) {
                throw new UsageException(flag + " " + grant + ": expected NAME=DIR, e.g. " + flag + " data=./input");
            }
            String name = grant.substring(0, eq);
            String dir = grant.substring(eq + 1);
            if (!name.matches("[A-Za-z_][A-Za-z0-9_]*") || name.startsWith("__")) {
                throw new UsageException(
                        flag + " " + grant + ": " + name + " is not a usable Python name (letters, digits, _)");
            }
            Capability directory;
            try {
                directory = Capabilities.directory(Path.of(dir), access);
            } catch (IllegalArgumentException e) { // also InvalidPathException
                throw new UsageException(flag + " " + grant + ": " + dir + " is not an existing directory");
            }
            try {
                builder.grant(name, directory);
            } catch (IllegalArgumentException e) {
                throw new UsageException(flag + " " + grant + ": " + e.getMessage());
            }
        }
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

    /** Positive seconds as a duration, at least a nanosecond. */
    private static Duration duration(double seconds) {
        return Duration.ofNanos(Math.max(1, (long) Math.min(seconds * 1e9, Long.MAX_VALUE)));
    }

    /**
     * {@code value} parsed, if it parses and is accepted; else the hint,
     * which says what to give.
     */
    private static <T> T parsed(String value, Function<String, T> parse, Predicate<T> accepted, String hint) {
        try {
            T parsed = parse.apply(value);
            if (accepted.test(parsed)) {
                return parsed;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new TypeConversionException(hint);
    }

    /** Seconds: a number, 0 or more. */
    static final class Seconds implements ITypeConverter<Double> {
        @Override
        public Double convert(String value) {
            return parsed(
                    value,
                    Double::parseDouble,
                    s -> s >= 0 && !s.isInfinite(), // NaN fails too
                    "give a number of seconds, 0 or more (0: no limit)");
        }
    }

    /** MiB or KiB: a whole number, 0 or more. */
    static final class Amount implements ITypeConverter<Long> {
        @Override
        public Long convert(String value) {
            return parsed(value, Long::parseLong, a -> a >= 0, "give a whole number, 0 or more (0: no limit)");
        }
    }

    /** A recursion limit the builder takes. */
    static final class Recursion implements ITypeConverter<Integer> {
        @Override
        public Integer convert(String value) {
            return parsed(
                    value, Integer::parseInt, n -> n >= 50 && n <= 100_000, "give a whole number from 50 to 100000");
        }
    }
}
