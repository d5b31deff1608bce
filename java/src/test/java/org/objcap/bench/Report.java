package org.objcap.bench;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The one table of {@code scripts/bench}: a row per figure, with objcap
 * in-process, objcap in process mode, plain CPython where it applies, the
 * target, and whether it was met; rendered as text and as Markdown.
 *
 * @param title what was measured where: date, versions, machine
 * @param rows the figures, grouped by section in order
 * @param notes sentences printed under the table
 */
public record Report(String title, List<Row> rows, List<String> notes) {
    /** A cell or a target that does not apply. */
    public static final String NONE = "—";
    /** The verdict of a figure that could not be measured yet. */
    public static final String NOT_MEASURED = "not measured yet";

    /**
     * One figure.
     *
     * @param section the group it belongs to (Interpreter overhead, ...)
     * @param figure what was measured
     * @param inProcess objcap in-process
     * @param process objcap in process mode
     * @param plain plain CPython, or {@link #NONE}
     * @param target the target, or {@link #NONE}
     * @param inProcessShare in-process figure / its target: at most 1 is a
     *     pass; NaN when there is no target or no figure
     * @param processShare the same in process mode
     * @param measured false for a figure whose benchmark does not exist yet
     */
    public record Row(
            String section,
            String figure,
            String inProcess,
            String process,
            String plain,
            String target,
            double inProcessShare,
            double processShare,
            boolean measured) {
        /**
         * A row that has a figure in both modes.
         *
         * @return the row
         */
        static Row of(
                String section,
                String figure,
                String inProcess,
                String process,
                String plain,
                String target,
                double inProcessShare,
                double processShare) {
            return new Row(section, figure, inProcess, process, plain, target, inProcessShare, processShare, true);
        }

        /**
         * Pass, miss (and where), or no target.
         *
         * @return the verdict
         */
        public String verdict() {
            if (!measured) {
                return NOT_MEASURED;
            }
            boolean inMiss = inProcessShare > 1;
            boolean procMiss = processShare > 1;
            if (inMiss && procMiss) {
                return "miss (both)";
            }
            if (inMiss || procMiss) {
                return "miss (" + (inMiss ? Mode.IN_PROCESS : Mode.PROCESS) + ")";
            }
            return Double.isNaN(inProcessShare) && Double.isNaN(processShare) ? NONE : "pass";
        }

        String[] cells() {
            return new String[] {figure, inProcess, process, plain, target, verdict()};
        }
    }

    private static final String[] HEADER = {
        "Figure", "objcap in-process", "objcap process", "plain CPython", "Target", "Verdict"
    };

    /**
     * The table as Markdown, title and notes included.
     *
     * @return Markdown text
     */
    public String markdown() {
        StringBuilder b = new StringBuilder();
        b.append(title).append("\n\n");
        b.append("| ").append(String.join(" | ", HEADER)).append(" |\n");
        b.append("|---|---|---|---|---|---|\n");
        String section = null;
        for (Row r : rows) {
            if (!r.section().equals(section)) {
                section = r.section();
                b.append("| **").append(section).append("** | | | | | |\n");
            }
            String[] cells = r.cells();
            for (int i = 0; i < cells.length; i++) {
                cells[i] = cells[i].replace("|", "\\|");
            }
            if (r.verdict().startsWith("miss")) {
                cells[5] = "**" + cells[5] + "**";
            }
            b.append("| ").append(String.join(" | ", cells)).append(" |\n");
        }
        b.append('\n');
        for (String note : notes) {
            b.append("- ").append(note).append('\n');
        }
        // Paths inside the checkout are written relative to it: the table is committed.
        return b.toString().replace(Path.of("").toAbsolutePath() + "/", "");
    }

    /**
     * The table for other programs ({@link InterpreterComparison}): the
     * title on the first line, then one line per row: section, figure,
     * in-process, process, plain, tab-separated (no cell holds a tab).
     *
     * @return tab-separated text
     */
    public String tsv() {
        StringBuilder b = new StringBuilder(title).append('\n');
        for (Row r : rows) {
            String[] cells = {r.section(), r.figure(), r.inProcess(), r.process(), r.plain()};
            for (String cell : cells) {
                if (cell.contains("\t") || cell.contains("\n")) {
                    throw new IllegalStateException("a cell holds a tab or a line break: " + cell);
                }
            }
            b.append(String.join("\t", cells)).append('\n');
        }
        return b.toString();
    }

    /**
     * The table as aligned plain text, for a terminal.
     *
     * @return text
     */
    public String text() {
        List<String[]> lines = new ArrayList<>();
        lines.add(HEADER);
        String section = null;
        for (Row r : rows) {
            if (!r.section().equals(section)) {
                section = r.section();
                lines.add(new String[] {section, "", "", "", "", ""});
            }
            String[] cells = r.cells();
            cells[0] = "  " + cells[0];
            lines.add(cells);
        }
        int[] width = new int[HEADER.length];
        for (String[] l : lines) {
            for (int i = 0; i < l.length; i++) {
                width[i] = Math.max(width[i], l[i].length());
            }
        }
        StringBuilder b = new StringBuilder(title).append('\n');
        for (String[] l : lines) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < l.length; i++) {
                line.append(String.format(Locale.ROOT, "%-" + (width[i] + 2) + "s", l[i]));
            }
            b.append(line.toString().stripTrailing()).append('\n');
        }
        for (String note : notes) {
            b.append("* ").append(note).append('\n');
        }
        return b.toString();
    }
}
