package org.example.formulas;

import java.awt.BorderLayout;
import java.awt.Dimension;
import java.awt.Font;
import java.awt.Rectangle;
import java.awt.Robot;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import javax.swing.BorderFactory;
import javax.swing.JButton;
import javax.swing.JFrame;
import javax.swing.JLabel;
import javax.swing.JPanel;
import javax.swing.JScrollPane;
import javax.swing.JTable;
import javax.swing.JTextArea;
import javax.swing.SwingUtilities;
import javax.swing.SwingWorker;
import javax.swing.table.DefaultTableModel;
import org.objcap.LimitExceededException;
import org.objcap.PythonException;
import org.objcap.Sandbox;

/**
 * A desktop editor whose users write formulas in Python over named cells.
 * Each run gets a fresh sandbox with limits: the formula sees copies of the
 * cells and nothing else (no files, no network, no host objects), and one
 * that loops or hoards memory is stopped while the window stays responsive.
 *
 * <p>Run: {@code mvn -q compile exec:java}. With {@code --demo DIR} it types
 * a few formulas itself, runs them, and writes what the window showed to
 * {@code DIR/window.txt} and a screenshot to {@code DIR/window.png}.
 */
public final class FormulaEditor {
    private final JFrame frame = new JFrame("Formulas in a sandbox");
    private final DefaultTableModel cells = new DefaultTableModel(new Object[] {"cell", "value"}, 0);
    private final JTextArea formula = new JTextArea("price * quantity * (1 - discount)", 3, 40);
    private final JButton run = new JButton("Run");
    private final JLabel result = new JLabel(" ");

    private FormulaEditor() {
        cells.addRow(new Object[] {"price", 12.5});
        cells.addRow(new Object[] {"quantity", 4});
        cells.addRow(new Object[] {"discount", 0.1});
        formula.setFont(new Font(Font.MONOSPACED, Font.PLAIN, 14));
        result.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
        result.setBorder(BorderFactory.createEmptyBorder(8, 8, 8, 8));
        run.addActionListener(e -> evaluate());

        JPanel editor = new JPanel(new BorderLayout(4, 4));
        editor.add(new JScrollPane(formula), BorderLayout.CENTER);
        editor.add(run, BorderLayout.EAST);
        frame.setLayout(new BorderLayout(4, 4));
        JTable table = new JTable(cells);
        table.setPreferredScrollableViewportSize(new Dimension(600, 3 * table.getRowHeight()));
        frame.add(new JScrollPane(table), BorderLayout.NORTH);
        frame.add(editor, BorderLayout.CENTER);
        frame.add(result, BorderLayout.SOUTH);
        frame.setDefaultCloseOperation(JFrame.DISPOSE_ON_CLOSE);
        frame.setSize(640, 320);
    }

    /** Evaluates the formula off the event thread and shows the outcome. */
    private void evaluate() {
        Map<String, Object> values = new LinkedHashMap<>();
        for (int row = 0; row < cells.getRowCount(); row++) {
            values.put(cells.getValueAt(row, 0).toString(), cells.getValueAt(row, 1));
        }
        String text = formula.getText();
        run.setEnabled(false);
        result.setText("running ...");
        new SwingWorker<String, Void>() {
            @Override
            protected String doInBackground() {
                return outcome(text, values);
            }

            @Override
            protected void done() {
                try {
                    result.setText(get());
                } catch (Exception e) {
                    result.setText("failed: " + e);
                }
                run.setEnabled(true);
            }
        }.execute();
    }

    /** What a formula comes to, in words for the window. */
    static String outcome(String text, Map<String, Object> values) {
        try (Sandbox sandbox = Sandbox.builder()
                .timeout(Duration.ofSeconds(1))
                .memoryLimit(64L << 20)
                .build()) {
            values.forEach(sandbox::set);
            return "= " + sandbox.eval(text);
        } catch (PythonException e) {
            return "error: " + e.getPythonType() + ": " + e.getPythonMessage();
        } catch (LimitExceededException e) {
            return "stopped: " + e.getMessage();
        }
    }

    public static void main(String[] args) throws Exception {
        FormulaEditor editor = onEventThread(FormulaEditor::new);
        SwingUtilities.invokeAndWait(() -> editor.frame.setVisible(true));
        if (args.length == 2 && args[0].equals("--demo")) {
            editor.demo(Path.of(args[1]));
        }
    }

    /** Types formulas, runs each, and writes down what the window showed. */
    private void demo(Path dir) throws Exception {
        Files.createDirectories(dir);
        List<String> shown = new ArrayList<>();
        String[] formulas = {
            "open('/etc/passwd').read()", "sum(range(10**12))", "price * quantity * (1 - discount)",
        };
        for (String f : formulas) {
            CompletableFuture<String> finished = new CompletableFuture<>();
            SwingUtilities.invokeAndWait(() -> {
                formula.setText(f);
                run.doClick();
                new Thread(() -> {
                            while (!run.isEnabled()) {
                                Thread.onSpinWait();
                            }
                            SwingUtilities.invokeLater(() -> finished.complete(result.getText()));
                        })
                        .start();
            });
            shown.add(f + " -> " + finished.get(60, TimeUnit.SECONDS));
        }
        Thread.sleep(500); // let the last result paint
        Rectangle frameOnScreen = onEventThread(frame::getBounds);
        Rectangle label = onEventThread(
                () -> SwingUtilities.convertRectangle(result.getParent(), result.getBounds(), frame.getRootPane()));
        Rectangle content = onEventThread(() -> frame.getRootPane().getBounds());
        java.awt.Point rootOnScreen = onEventThread(() -> frame.getRootPane().getLocationOnScreen());
        BufferedImage shot = new Robot()
                .createScreenCapture(new Rectangle(rootOnScreen.x, rootOnScreen.y, content.width, content.height));
        ImageIO.write(shot, "png", dir.resolve("window.png").toFile());
        shown.add("result label at " + label.x + " " + label.y + " " + label.width + " " + label.height);
        shown.add("frame " + frameOnScreen.width + "x" + frameOnScreen.height);
        Files.write(dir.resolve("window.txt"), shown);
        SwingUtilities.invokeAndWait(frame::dispose);
        System.exit(0);
    }

    private interface Task<T> {
        T get() throws Exception;
    }

    private static <T> T onEventThread(Task<T> task) throws Exception {
        Object[] out = new Object[1];
        Exception[] failed = new Exception[1];
        SwingUtilities.invokeAndWait(() -> {
            try {
                out[0] = task.get();
            } catch (Exception e) {
                failed[0] = e;
            }
        });
        if (failed[0] != null) {
            throw failed[0];
        }
        @SuppressWarnings("unchecked")
        T value = (T) out[0];
        return value;
    }
}
