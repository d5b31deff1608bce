package org.objcap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.FutureTask;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.objcap.cli.ObjcapCommand;

/**
 * The objcap command's exit codes and messages. The command itself runs in
 * this JVM; its sandbox runs in a worker process unless {@code --in-process}
 * is given.
 */
class CliTest {
    @TempDir
    Path dir;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int runWithStdin(String stdin, String... args) {
        return ObjcapCommand.execute(
                args,
                new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)),
                new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    private int run(String... args) {
        return runWithStdin("", args);
    }

    private String out() {
        return out.toString(StandardCharsets.UTF_8);
    }

    private String err() {
        return err.toString(StandardCharsets.UTF_8);
    }

    private Path script(String name, String source) throws IOException {
        return Files.writeString(dir.resolve(name), source);
    }

    @Test
    void readAndWriteGrantDirectories() throws IOException {
        Path in = Files.createDirectories(dir.resolve("in"));
        Path outDir = Files.createDirectories(dir.resolve("out"));
        Files.writeString(in.resolve("n.txt"), "41");
        Path p = script(
                "grants.py",
                "n = int(src.open('n.txt').read())\n"
                        + "with dst.open('m.txt', 'w') as f:\n    f.write(str(n + 1))\n"
                        + "try:\n    src.open('x', 'w')\nexcept PermissionError:\n"
                        + "    print('read-only')\n");
        assertEquals(
                0, run("run", "--read", "src=" + in, "--write", "dst=" + outDir, "--in-process", p.toString()), err());
        assertEquals("read-only\n", out());
        assertEquals("42", Files.readString(outDir.resolve("m.txt")));
    }

    /**
     * The traceback is part of the call's output: the script's output and
     * its error report stay within --max-output, plus one line saying the
     * report was cut, whatever names and messages the script made.
     */
    @Test
    void theErrorReportSharesTheOutputLimit() throws IOException {
        Path p = script(
                "big.py",
                "print('o' * 6000)\n"
                        + "Big = type('E' * 10**6, (Exception,), {})\n"
                        + "def deep(n):\n"
                        + "    if n == 0:\n        raise Big('m' * 10**6)\n"
                        + "    return deep(n - 1)\n"
                        + "deep(300)\n");
        assertEquals(ObjcapCommand.RAISED, run("run", "--in-process", "--max-output", "10", p.toString()));
        long written = out.size() + err.size();
        String lastLine = err().lines().reduce((a, b) -> b).orElse("");
        assertEquals("objcap: the error report was cut at the output limit (--max-output)", lastLine);
        assertTrue(written <= 10 * 1024 + lastLine.length() + 2, () -> written + " bytes");
        // Unlimited output: the whole report, its fields still bounded.
        out.reset();
        err.reset();
        assertEquals(ObjcapCommand.RAISED, run("run", "--in-process", "--max-output", "0", p.toString()));
        assertTrue(err().contains("characters)"), "names are cut with a marker");
        assertTrue(err.size() < 2_000_000, () -> err.size() + " bytes");
        // So is the text of a SystemExit (found by review: printed whole).
        out.reset();
        err.reset();
        Path exit = script("exit.py", "print('x' * 900)\nraise SystemExit('Z\\n' * 40000)\n");
        assertEquals(1, run("run", "--in-process", "--max-output", "1", exit.toString()));
        assertTrue(out.size() + err.size() <= 1024 + 80, () -> out.size() + err.size() + " bytes");
    }

    @Test
    void aBadGrantSaysHowToWriteIt() throws IOException {
        Path p = script("ok.py", "pass\n");
        assertEquals(2, run("run", "--read", "nodir", p.toString()));
        assertTrue(err().contains("expected NAME=DIR"), err());
        err.reset();
        assertEquals(2, run("run", "--read", "d=" + dir.resolve("missing"), p.toString()));
        assertTrue(err().contains("is not an existing directory"), err());
        err.reset();
        assertEquals(2, run("run", "--write", "not-a-name=" + dir, p.toString()));
        assertTrue(err().contains("is not a usable Python name"), err());
    }

    @Test
    void successIsZero() throws IOException {
        Path p = script("ok.py", "print('hi from the cli', 6 * 7)\n");
        assertEquals(0, run("run", p.toString()), err());
        assertEquals("hi from the cli 42\n", out());
        assertEquals("", err());
    }

    @Test
    void inProcessFlagAndTimeoutAreAccepted() throws IOException {
        Path p = script("ok.py", "print('é😀')\n");
        assertEquals(0, run("run", "--in-process", "--timeout", "30", p.toString()), err());
        assertEquals("é😀\n", out());
    }

    @Test
    void stdinScript() {
        assertEquals(0, runWithStdin("x = 6\nprint(x * 7)\n", "run", "-"), err());
        assertEquals("42\n", out());
    }

    @Test
    void raisingScriptIsOneWithTraceback() throws IOException {
        Path p = script("raises.py", "def f():\n    raise ValueError('bad value')\n\nf()\n");
        assertEquals(1, run("run", p.toString()));
        String e = err();
        assertTrue(e.startsWith("Traceback (most recent call last):\n"), e);
        assertTrue(e.contains("File \"" + p + "\", line 4, in <module>"), e);
        assertTrue(e.contains("File \"" + p + "\", line 2, in f"), e);
        assertTrue(e.endsWith("ValueError: bad value\n"), e);
    }

    @Test
    void syntaxErrorIsOne() throws IOException {
        Path p = script("syntax.py", "x = (1,\n");
        assertEquals(1, run("run", p.toString()));
        assertTrue(err().contains("SyntaxError"), err());
        assertTrue(err().contains("line 1"), err());
    }

    @Test
    void missingFileIsTwo() {
        String missing = dir.resolve("nope.py").toString();
        assertEquals(2, run("run", missing));
        assertEquals("objcap: cannot read " + missing + ": No such file\n", err());
    }

    @Test
    void invalidUtf8IsTwo() throws IOException {
        Path p = dir.resolve("latin1.py");
        Files.write(p, new byte[] {'x', '=', '\'', (byte) 0xE9, '\''});
        assertEquals(2, run("run", p.toString()));
        assertTrue(err().contains("not valid UTF-8"), err());
    }

    @Test
    void usageErrorsAreTwo() {
        assertEquals(2, run("run", "--bogus", "x.py"));
        assertTrue(err().contains("--bogus"), err());
        assertEquals(2, run("run"));
        assertEquals(2, run());
        assertEquals(2, run("frobnicate"));
        assertEquals(2, run("run", "--timeout", "-1", "x.py"));
        assertEquals(2, run("run", "--timeout", "soon", "x.py"));
    }

    @Test
    void timeLimitIsThree() throws IOException {
        Path p = script("loop.py", "while True:\n    pass\n");
        assertEquals(3, run("run", "--timeout", "0.5", p.toString()));
        String e = err().strip();
        assertEquals(
                "objcap: time limit exceeded: the call ran longer than its time limit" + " (500 ms) [--timeout]", e);
    }

    /** Runs a script that must hit a limit; returns the one line on stderr. */
    private String limitLine(String source, String... options) throws IOException {
        Path p = script("bomb.py", source);
        String[] args = new String[options.length + 2];
        args[0] = "run";
        System.arraycopy(options, 0, args, 1, options.length);
        args[args.length - 1] = p.toString();
        assertEquals(3, run(args), err());
        String e = err();
        assertTrue(e.endsWith("\n"), e);
        assertEquals(1, e.strip().lines().count(), e);
        err.reset();
        return e.strip();
    }

    @Test
    void everyLimitIsThreeWithOneLineNamingIt() throws IOException {
        assertEquals(
                "objcap: CPU time limit exceeded: the call used more CPU time than its" + " limit (300 ms) [--cpu]",
                limitLine("while True:\n    pass\n", "--cpu", "0.3"));
        assertEquals(
                "objcap: memory limit exceeded: the sandbox needed more memory than its" + " limit (50 MiB) [--memory]",
                limitLine("x = []\nwhile True:\n    x.append(bytearray(10**6))\n", "--in-process", "--memory", "50"));
        assertEquals(
                "objcap: output limit exceeded: the call wrote more output than its"
                        + " limit (1 KiB); the output was cut there [--max-output]",
                limitLine("while True:\n    print('x' * 99)\n", "--max-output", "1"));
        assertEquals(1024, out.size());
        out.reset();
        assertEquals(
                "objcap: recursion limit exceeded: the call recursed deeper than its"
                        + " recursion limit (100 frames): RecursionError: maximum recursion depth"
                        + " exceeded [--recursion]",
                limitLine("def f(n):\n    return f(n + 1)\nf(0)\n", "--recursion", "100"));
        assertEquals(
                "objcap: time limit exceeded: the call ran longer than its time limit" + " (200 ms) [--timeout]",
                limitLine("import time\ntime.sleep(100)\n", "--in-process", "--timeout", "0.2"));
        // The defaults apply without any option.
        assertEquals(
                "objcap: memory limit exceeded: the sandbox needed more memory than its"
                        + " limit (512 MiB) [--memory]",
                limitLine("y = 'a' * 10**10\n"));
    }

    @Test
    void zeroLiftsALimitAndBadValuesAreTwo() throws IOException {
        Path p = script("ok.py", "print(len('a' * 10**6))\n");
        assertEquals(
                0,
                run(
                        "run",
                        "--in-process",
                        "--timeout",
                        "0",
                        "--cpu",
                        "0",
                        "--memory",
                        "0",
                        "--max-output",
                        "0",
                        "--recursion",
                        "50",
                        p.toString()),
                err());
        assertEquals("1000000\n", out());
        for (String[] bad : List.of(
                new String[] {"--cpu", "-1"},
                new String[] {"--memory", "-5"},
                new String[] {"--max-output", "-1"},
                new String[] {"--recursion", "49"},
                new String[] {"--recursion", "100001"},
                new String[] {"--memory", "lots"},
                new String[] {"--cpu", "NaN"},
                new String[] {"--timeout", "-0.5"})) {
            err.reset();
            assertEquals(2, run("run", bad[0], bad[1], p.toString()), String.join(" ", bad));
            assertTrue(err().contains(bad[0]), err());
        }
    }

    @Test
    void aCrashedWorkerIsFourNamingTheSignal() throws IOException {
        Path p = script(
                "crash.py",
                "print('before the crash')\n" + "x = [1]\nfor i in range(1000000):\n    x = map(abs, x)\nnext(x)\n");
        assertEquals(4, run("run", p.toString()));
        assertEquals("before the crash\n", out());
        String e = err().strip();
        assertEquals(1, e.lines().count(), e);
        assertTrue(e.startsWith("objcap: the sandbox crashed: "), e);
        assertTrue(e.contains("signal 11 (SIGSEGV)"), e);
    }

    @Test
    void aCLevelEndlessComputationIsThreeAndTheCommandReturns() throws IOException {
        Path p = script("power.py", "9**9**9\n");
        long start = System.nanoTime();
        assertEquals(3, run("run", "--timeout", "0.5", p.toString()));
        // 9**9**9 would run for hours; the bound leaves room for a loaded
        // machine to start the worker and kill it.
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertTrue(millis < 10_000, "returned after " + millis + " ms");
        String e = err().strip();
        assertTrue(e.startsWith("objcap: time limit"), e);
        assertTrue(e.contains("closed"), e);
        assertEquals(1, e.lines().count(), e);
    }

    /** Runs the command on another thread; tells whether a worker appeared meanwhile. */
    private boolean aWorkerRanDuring(String... args) throws Exception {
        List<Long> before = WorkerProcesses.pids();
        FutureTask<Integer> task = new FutureTask<>(() -> run(args));
        new Thread(task).start();
        boolean seen = false;
        while (!task.isDone()) {
            seen |= WorkerProcesses.pids().stream().anyMatch(pid -> !before.contains(pid));
            Thread.sleep(20);
        }
        assertEquals(0, task.get(), err());
        return seen;
    }

    @Test
    void processModeIsTheDefaultAndInProcessOptsOut() throws Exception {
        Path p = script("nap.py", "import time\ntime.sleep(0.4)\nprint('awake')\n");
        assertTrue(aWorkerRanDuring("run", p.toString()), "no worker process ran the script");
        assertTrue(aWorkerRanDuring("run", "--allow-weaker-isolation", p.toString()));
        assertFalse(aWorkerRanDuring("run", "--in-process", p.toString()), "--in-process started a worker");
        assertEquals("awake\nawake\nawake\n", out());
        assertEquals(List.of(), WorkerProcesses.awaitNone(20_000), "a worker was left behind");
        out.reset();
        assertEquals(0, run("run", "--help"));
        assertTrue(out().contains("--in-process"), out());
        assertTrue(out().contains("--allow-weaker-isolation"), out());
    }

    @Test
    void helpAndVersion() {
        assertEquals(0, run("--help"));
        assertTrue(out().contains("Usage: objcap"), out());
        out.reset();
        assertEquals(0, run("run", "--help"));
        for (String option :
                List.of("--timeout=SECONDS", "--cpu=SECONDS", "--memory=MB", "--max-output=KB", "--recursion=N")) {
            assertTrue(out().contains(option), out());
        }
        assertTrue(out().contains("default: 512"), out());
        assertTrue(out().contains("objcap run @policy.txt script.py"), "the @file example");
        out.reset();
        assertEquals(0, run("repl", "--help"));
        assertTrue(out().startsWith("Usage: objcap repl "), out());
        assertTrue(out().contains("--quiet") && out().contains("--timeout=SECONDS"), out());
        assertTrue(out().contains("Ctrl-D exits"), out());
        out.reset();
        assertEquals(0, run("--help"));
        assertTrue(out().contains("  run   ") && out().contains("  repl  "), out());
        out.reset();
        assertEquals(0, run("--version"));
        assertTrue(out().startsWith("objcap 0.1.0"), out());
    }

    @Test
    void aTypoInAFlagSaysWhichFlagWasMeant() throws IOException {
        Path p = script("ok.py", "print(1)\n");
        assertEquals(2, run("run", "--timout", "1", p.toString()));
        assertEquals("objcap run: unknown option --timout; did you mean --timeout?\n", err());
        assertEquals("", out(), "no usage dump");
    }

    @Test
    void badCommandLinesGetOneLineThatPointsAtTheFix() {
        assertEquals(2, run("run"));
        assertEquals(
                "objcap run: which script? Give a .py file, or - for standard input." + " See objcap run --help.\n",
                err());
        err.reset();
        assertEquals(2, run("frobnicate"));
        assertEquals(
                "objcap: unknown command 'frobnicate'; the commands are run and repl." + " See objcap --help.\n",
                err());
        err.reset();
        assertEquals(2, run("run", "--memory", "lots", "x.py"));
        assertEquals(
                "objcap run: --memory lots: give a whole number, 0 or more (0: no limit)."
                        + " See objcap run --help.\n",
                err());
        err.reset();
        assertEquals(2, run("run", "--timeout"));
        assertEquals("objcap run: --timeout needs a value (SECONDS). See objcap run --help.\n", err());
    }

    @Test
    void anArgumentFileHoldsAPolicy() throws IOException {
        Path policy = Files.writeString(
                dir.resolve("policy.txt"), "# the policy for slow scripts\n--timeout 0.5\n--allow-module shlex\n");
        Path p = script("slow.py", "import shlex\nprint(shlex.split('a b'))\nwhile True:\n" + "    pass\n");
        assertEquals(3, run("run", "@" + policy, p.toString()), err());
        assertEquals("['a', 'b']\n", out());
        assertTrue(err().contains("(500 ms) [--timeout]"), err());
        err.reset();
        assertEquals(2, run("run", "@" + dir.resolve("nope.txt"), p.toString()));
        assertTrue(err().startsWith("objcap: cannot read the argument file "), err());
    }

    @Test
    void sysExitExitsWithItsStatusAsInPython() throws IOException {
        assertEquals(
                5, run("run", script("five.py", "import sys\nsys.exit(5)\n").toString()));
        assertEquals(0, run("run", script("zero.py", "import sys\nsys.exit()\n").toString()));
        assertEquals("", err());
        assertEquals(1, run("run", script("bye.py", "raise SystemExit('bye')\n").toString()));
        assertEquals("bye\n", err());
    }

    @Test
    void aRefusedImportPointsAtAllowModule() throws IOException {
        assertEquals(1, run("run", script("os.py", "import shlex\n").toString()));
        assertTrue(
                err().endsWith("ModuleNotFoundError: import of 'shlex' is not allowed in this"
                        + " sandbox\nobjcap: --allow-module NAME lets the code import a module (but not"
                        + " one that gives authority away, like os or sys)\n"),
                err());
    }

    @Test
    void versionNamesTheEmbeddedCPythonAndItsOrigin() {
        assertEquals(0, run("--version"));
        assertTrue(
                out().matches("objcap \\S+ \\(CPython 3\\.\\d+\\.\\d+[^)]*\\)\nCPython from \\S.*\nJava .*\n"), out());
        String named = System.getProperty("objcap.python", "");
        String origin = named.isBlank() ? "CPython from org.bytedeco:cpython:" : "CPython from " + named;
        assertTrue(out().contains("\n" + origin), out());
    }

    @Test
    void pythonPicksAnInstalledCPython() throws IOException {
        Path p = script("version.py", "import sys\nprint(sys.version_info[:2])\n");
        Path python = Path.of("/usr/bin/python3.11");
        assumeTrue(Files.isExecutable(python), "no Debian python3.11 here");
        assertEquals(0, run("run", "--python", python.toString(), p.toString()), err());
        assertEquals("(3, 11)\n", out());
        assertEquals(2, run("run", "--python", dir.resolve("missing").toString(), p.toString()));
        assertTrue(err().contains("--python " + dir.resolve("missing") + ": not an executable file"), err());
    }

    @Test
    void verboseLogsEachSandboxItsRefusalsAndItsLimits() throws IOException {
        Path p = script("probe.py", "try:\n    import os\nexcept ImportError:\n    pass\n" + "while True:\n    pass\n");
        assertEquals(3, run("run", "-v", "--timeout", "0.3", p.toString()));
        List<String> lines = err().lines().collect(Collectors.toList());
        assertTrue(lines.stream().anyMatch(l -> l.matches("objcap: Sandbox\\[process \\d+ .*created.*")), err());
        assertTrue(lines.stream().anyMatch(l -> l.endsWith(": refused import os")), err());
        assertTrue(lines.stream().anyMatch(l -> l.matches("objcap: Sandbox\\[.*: the call ran longer.*")), err());
        err.reset();
        assertEquals(3, run("run", "--timeout", "0.3", p.toString()));
        assertEquals(1, err().lines().count(), "without -v only the command's own line: " + err());
    }
}
