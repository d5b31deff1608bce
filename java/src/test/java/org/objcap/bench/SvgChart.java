package org.objcap.bench;

import java.util.List;
import java.util.Locale;

/**
 * The report as a chart: for each figure that has a target, a bar per mode
 * showing the figure as a share of its target, on a logarithmic scale with
 * the target at 1 (left of the line is a pass, right of it a miss). Plain
 * SVG, no dependency.
 */
public final class SvgChart {
    private static final int LABEL_WIDTH = 300;
    private static final int PLOT_WIDTH = 520;
    private static final int BAR = 11;
    private static final int ROW = 2 * BAR + 10;
    private static final int TOP = 58;
    private static final double MIN_SHARE = 1.0 / 8;
    private static final double MAX_SHARE = 32;
    private static final String IN_PROCESS_COLOR = "#4e79a7";
    private static final String PROCESS_COLOR = "#f28e2b";

    private SvgChart() {}

    /**
     * Draws the rows of a report that have a target.
     *
     * @param report the report
     * @return an SVG document
     */
    public static String render(Report report) {
        List<Report.Row> rows = report.rows().stream()
                .filter(r -> !Double.isNaN(r.inProcessShare()) || !Double.isNaN(r.processShare()) || !r.measured())
                .toList();
        int height = TOP + rows.size() * ROW + 40;
        int width = LABEL_WIDTH + PLOT_WIDTH + 250;
        StringBuilder b = new StringBuilder();
        b.append(String.format(
                Locale.ROOT,
                "<svg xmlns=\"http://www.w3.org/2000/svg\" "
                        + "width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
                        + "font-family=\"sans-serif\" font-size=\"12\">%n",
                width,
                height,
                width,
                height));
        b.append(String.format(Locale.ROOT, "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>%n", width, height));
        text(
                b,
                10,
                20,
                "bold",
                "start",
                "objcap: each figure as a share of its target " + "(left of the line: pass; log scale)");
        legend(b, 10, 40, IN_PROCESS_COLOR, "objcap in-process");
        legend(b, 160, 40, PROCESS_COLOR, "objcap process mode");
        for (double tick = MIN_SHARE; tick <= MAX_SHARE; tick *= 2) {
            double x = x(tick);
            String tickLabel = tick < 1 ? "1/" + Math.round(1 / tick) : Long.toString(Math.round(tick));
            b.append(String.format(
                    Locale.ROOT,
                    "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" " + "stroke=\"%s\" stroke-width=\"%s\"/>%n",
                    x,
                    TOP - 6,
                    x,
                    TOP + rows.size() * ROW,
                    tick == 1 ? "#c00" : "#ddd",
                    tick == 1 ? "2" : "1"));
            text(b, x, TOP + rows.size() * ROW + 16, "normal", "middle", tick == 1 ? "target" : tickLabel + "×");
        }
        int y = TOP;
        for (Report.Row r : rows) {
            text(b, LABEL_WIDTH - 8, y + BAR + 4, "normal", "end", shorten(r.figure()));
            bar(b, y, r.inProcessShare(), IN_PROCESS_COLOR, r.measured() ? r.inProcess() : Report.NOT_MEASURED);
            bar(b, y + BAR + 2, r.processShare(), PROCESS_COLOR, r.measured() ? r.process() : Report.NOT_MEASURED);
            y += ROW;
        }
        b.append("</svg>\n");
        return b.toString();
    }

    private static double x(double share) {
        double clamped = Math.max(MIN_SHARE, Math.min(MAX_SHARE, share));
        double span = Math.log(MAX_SHARE / MIN_SHARE);
        return LABEL_WIDTH + PLOT_WIDTH * Math.log(clamped / MIN_SHARE) / span;
    }

    private static void bar(StringBuilder b, int y, double share, String color, String label) {
        if (Double.isNaN(share)) {
            text(b, LABEL_WIDTH + 4, y + BAR - 2, "normal", "start", label);
            return;
        }
        double end = x(share);
        label = label.replaceFirst(" \\(p90 .*\\)$", "");
        b.append(String.format(
                Locale.ROOT,
                "<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"%d\" " + "fill=\"%s\"/>%n",
                LABEL_WIDTH,
                y,
                Math.max(1, end - LABEL_WIDTH),
                BAR,
                color));
        text(b, end + 4, y + BAR - 2, share > 1 ? "bold" : "normal", "start", label + (share > 1 ? " (miss)" : ""));
    }

    private static void legend(StringBuilder b, int x, int y, String color, String label) {
        b.append(String.format(
                Locale.ROOT,
                "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"12\" " + "fill=\"%s\"/>%n",
                x,
                y - 10,
                color));
        text(b, x + 16, y, "normal", "start", label);
    }

    private static void text(StringBuilder b, double x, double y, String weight, String anchor, String s) {
        b.append(String.format(
                Locale.ROOT,
                "<text x=\"%.1f\" y=\"%.1f\" font-weight=\"%s\" " + "text-anchor=\"%s\">%s</text>%n",
                x,
                y,
                weight,
                anchor,
                escape(s)));
    }

    private static String shorten(String s) {
        return s.length() > 44 ? s.substring(0, 43) + "…" : s;
    }

    private static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
