package org.objcap.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One table of every interpreter {@code scripts/bench --all} measured: it
 * reads the {@code results.tsv} that {@link BenchmarkReport} wrote for each
 * and puts their figures side by side, three columns per interpreter
 * (objcap in-process, objcap process, that interpreter run plainly).
 * <pre>
 * InterpreterComparison --out FILE DIR...
 * </pre>
 */
public final class InterpreterComparison {
    private static final Pattern CPYTHON = Pattern.compile("\\(CPython (\\S+) from ([^;)]+)");

    private InterpreterComparison() {}

    /**
     * One interpreter's run.
     *
     * @param label its column heading
     * @param title the run's title line
     * @param cells by "section\tfigure": in-process, process, plain
     */
    record Run(String label, String title, Map<String, String[]> cells) {}

    /**
     * Writes the comparison.
     *
     * @param args {@code --out FILE} then the result directories
     * @throws IOException if a table cannot be read or the file written
     */
    public static void main(String[] args) throws IOException {
        if (args.length < 3 || !args[0].equals("--out")) {
            throw new IllegalArgumentException("usage: InterpreterComparison --out FILE DIR...");
        }
        List<Run> runs = new ArrayList<>();
        for (int i = 2; i < args.length; i++) {
            runs.add(read(Path.of(args[i]).resolve("results.tsv")));
        }
        Files.writeString(Path.of(args[1]), markdown(runs), StandardCharsets.UTF_8);
        System.out.println("written: " + args[1]);
    }

    /**
     * Reads one run's table.
     *
     * @param tsv what {@link Report#tsv()} wrote
     * @return the run
     * @throws IOException if it cannot be read or is not such a table
     */
    static Run read(Path tsv) throws IOException {
        List<String> lines = Files.readAllLines(tsv, StandardCharsets.UTF_8);
        if (lines.isEmpty()) {
            throw new IOException(tsv + " is empty");
        }
        Map<String, String[]> cells = new LinkedHashMap<>();
        for (String line : lines.subList(1, lines.size())) {
            String[] f = line.split("\t", -1);
            if (f.length != 5) {
                throw new IOException(tsv + ": not 5 cells: " + line);
            }
            cells.put(f[0] + "\t" + f[1], new String[] {f[2], f[3], f[4]});
        }
        return new Run(label(lines.get(0)), lines.get(0), cells);
    }

    /** "CPython 3.14.3 (Maven)" or "CPython 3.11.2 (installed)". */
    static String label(String title) {
        Matcher m = CPYTHON.matcher(title);
        if (!m.find()) {
            return "unknown CPython";
        }
        // The bundled one runs from its unpacked jar or from objcap's cache.
        String from = m.group(2);
        boolean maven = from.contains("org/bytedeco/cpython") || from.contains("/objcap/cpython-");
        return "CPython " + m.group(1) + (maven ? " (Maven)" : " (installed)");
    }

    /**
     * The side-by-side table, each run's title under it.
     *
     * @param runs the interpreters, in column order
     * @return Markdown
     */
    static String markdown(List<Run> runs) {
        StringBuilder b = new StringBuilder("objcap benchmarks per interpreter (scripts/bench --all)\n\n| Figure |");
        StringBuilder rule = new StringBuilder("|---|");
        for (Run r : runs) {
            b.append(' ').append(r.label()).append(" in-process | process | plain |");
            rule.append("---|---|---|");
        }
        b.append('\n').append(rule).append('\n');
        Map<String, Boolean> keys = new LinkedHashMap<>();
        runs.forEach(r -> r.cells().keySet().forEach(k -> keys.put(k, true)));
        String section = null;
        for (String key : keys.keySet()) {
            String[] sectionAndFigure = key.split("\t", 2);
            if (!sectionAndFigure[0].equals(section)) {
                section = sectionAndFigure[0];
                b.append("| **").append(escape(section)).append("** |").append(" |".repeat(3 * runs.size()));
                b.append('\n');
            }
            b.append("| ").append(escape(sectionAndFigure[1])).append(" |");
            for (Run r : runs) {
                String[] c = r.cells().getOrDefault(key, new String[] {Report.NONE, Report.NONE, Report.NONE});
                for (String cell : c) {
                    b.append(' ').append(escape(cell)).append(" |");
                }
            }
            b.append('\n');
        }
        b.append('\n');
        for (Run r : runs) {
            b.append("- ").append(r.label()).append(": ").append(r.title()).append('\n');
        }
        return b.toString();
    }

    private static String escape(String cell) {
        return cell.replace("|", "\\|");
    }
}
