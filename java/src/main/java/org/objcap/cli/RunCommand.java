package org.objcap.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.objcap.PythonException;
import org.objcap.Sandbox;
import org.objcap.SandboxException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** {@code objcap run [OPTIONS] SCRIPT.py|-}. */
@Command(
        name = "run",
        mixinStandardHelpOptions = true,
        versionProvider = ObjcapCommand.Version.class,
        description = "Runs a Python script in a sandbox.",
        footerHeading = "%nExamples:%n",
        footer = {
            "  objcap run examples/hello.py",
            "  objcap run --timeout 2 --memory 64 --allow-module shlex script.py",
            "  objcap run @policy.txt script.py      (options read from policy.txt)",
            "  echo 'print(6 * 7)' | objcap run -"
        })
final class RunCommand implements Callable<Integer> {
    @Mixin
    SandboxOptions options;

    @Parameters(index = "0", paramLabel = "SCRIPT", description = "The script to run (UTF-8), or - for standard input.")
    String script;

    private final InputStream in;
    private final PrintStream out;
    private final PrintStream err;

    RunCommand(InputStream in, PrintStream out, PrintStream err) {
        this.in = in;
        this.out = out;
        this.err = err;
    }

    @Override
    public Integer call() {
        boolean stdin = "-".equals(script);
        String source;
        try {
            source = decode(stdin ? in.readAllBytes() : Files.readAllBytes(Path.of(script)));
        } catch (IOException e) {
            err.println("objcap: cannot read " + script + ": " + describe(e));
            return ObjcapCommand.USAGE;
        } catch (InvalidPathException e) {
            err.println("objcap: cannot read " + script + ": invalid file name");
            return ObjcapCommand.USAGE;
        }
        try (CliLogging logging = new CliLogging(options.verbose, err)) {
            return run(source, stdin ? "<stdin>" : script);
        }
    }

    private int run(String source, String fileName) {
        Sandbox sandbox;
        try {
            sandbox = options.build(out, err);
        } catch (UsageException e) {
            err.println("objcap: " + e.getMessage());
            return ObjcapCommand.USAGE;
        } catch (SandboxException e) {
            err.println("objcap: " + e.getMessage());
            return ObjcapCommand.CRASHED;
        }
        try (sandbox) {
            sandbox.exec(source, fileName);
            return ObjcapCommand.OK;
        } catch (PythonException e) {
            out.flush();
            int status = Failures.systemExitStatus(e, err, options.meter());
            return status >= 0 ? status : Failures.report(e, err, options.meter());
        } catch (SandboxException e) {
            out.flush();
            return Failures.report(e, err, options.meter());
        } catch (IllegalArgumentException | IllegalStateException e) {
            err.println("objcap: " + e.getMessage());
            return ObjcapCommand.USAGE;
        }
    }

    private static String decode(byte[] bytes) throws CharacterCodingException {
        String text = StandardCharsets.UTF_8
                .newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT)
                .decode(ByteBuffer.wrap(bytes))
                .toString();
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
