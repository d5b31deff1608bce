package org.objcap.cli;

import java.io.PrintStream;
import org.objcap.Limit;
import org.objcap.LimitExceededException;
import org.objcap.PythonException;
import org.objcap.SandboxCrashedException;
import org.objcap.SandboxException;

/** What the commands print when sandboxed code fails, and the status that follows. */
final class Failures {
    private Failures() {}

    /**
     * Prints a failure as the commands show it: a Python traceback, or one
     * line naming the limit or the crash.
     *
     * @return the exit status: {@link ObjcapCommand#RAISED},
     *     {@link ObjcapCommand#LIMIT} or {@link ObjcapCommand#CRASHED}
     */
    static int report(SandboxException e, PrintStream err, OutputMeter meter) {
        if (e instanceof PythonException p) {
            // Part of the call's output: within --max-output with what it wrote.
            err.print(meter.fit(p.formatTraceback()));
            String hint = hint(p);
            if (hint != null) {
                err.println(hint);
            }
            return ObjcapCommand.RAISED;
        }
        if (e instanceof LimitExceededException limit) {
            err.println(limitLine(limit));
            return ObjcapCommand.LIMIT;
        }
        if (e instanceof SandboxCrashedException crash) {
            // One line, naming the signal (or exit status) the worker died of.
            err.println("objcap: the sandbox crashed: " + crash.getDetail());
            return ObjcapCommand.CRASHED;
        }
        err.println("objcap: " + e.getMessage());
        return ObjcapCommand.CRASHED;
    }

    /**
     * The exit status a {@code SystemExit} asks for, as Python computes it:
     * none or {@code None} is 0, an integer is itself, anything else is
     * printed and gives 1.
     *
     * @return the status, or -1 if the exception is not a {@code SystemExit}
     */
    static int systemExitStatus(PythonException e, PrintStream err, OutputMeter meter) {
        if (!"SystemExit".equals(e.getPythonType())) {
            return -1;
        }
        String code = e.getPythonMessage();
        if (code.isEmpty() || code.equals("None") || code.equals("False")) {
            return 0;
        }
        if (code.equals("True")) {
            return 1;
        }
        if (code.matches("-?\\d{1,9}")) {
            return Integer.parseInt(code) & 0xff; // what the process would report
        }
        // The script's text: part of the call's output, like a traceback.
        err.print(meter.fit(code + "\n"));
        return 1;
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
            case TIME:
                name = "time limit";
                option = "--timeout";
                break;
            case CPU:
                name = "CPU time limit";
                option = "--cpu";
                break;
            case MEMORY:
                name = "memory limit";
                option = "--memory";
                break;
            case OUTPUT:
                name = "output limit";
                option = "--max-output";
                break;
            case RESULT:
                name = "result size limit";
                option = "--max-result";
                break;
            case RECURSION:
            default:
                name = "recursion limit";
                option = "--recursion";
                break;
        }
        // One line, however long the text a RecursionError carries.
        String message = e.getMessage().replace('\n', ' ');
        if (message.length() > 1000) {
            message = message.substring(0, 1000) + "...";
        }
        return "objcap: " + name + " exceeded: " + message + " [" + option + "]";
    }

    /** A line that points at the option behind a refusal, or null. */
    private static String hint(PythonException e) {
        if ("ModuleNotFoundError".equals(e.getPythonType())
                && e.getPythonMessage().endsWith("is not allowed in this sandbox")) {
            return "objcap: --allow-module NAME lets the code import a module (but not one that"
                    + " gives authority away, like os or sys)";
        }
        return null;
    }
}
