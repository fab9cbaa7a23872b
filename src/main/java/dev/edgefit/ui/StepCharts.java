package dev.edgefit.ui;

import dev.edgefit.eval.Metrics;
import dev.edgefit.pipeline.Step;
import io.fair_acc.chartfx.XYChart;
import io.fair_acc.chartfx.renderer.LineStyle;
import io.fair_acc.chartfx.renderer.spi.ErrorDataSetRenderer;
import io.fair_acc.dataset.DataSet;
import io.fair_acc.dataset.spi.DoubleDataSet;

import java.util.List;
import javafx.geometry.Insets;
import javafx.scene.layout.HBox;
import javafx.scene.layout.Priority;

/**
 * The three live charts: file size (MiB), accuracy (%) or, without labels, the worst output's SQNR (dB) to the original, and
 * latency p50 on this machine (ms); one point per measured step, added as the step finishes (on the FX thread).
 * <p>
 * Steps form a tree: a step continues its parent's line when it is the parent's first child; another child of the same
 * parent starts a branch line of its own, drawn from the parent's point. The main line ({@link #size}, {@link #quality},
 * {@link #latency}) is attached empty when the charts are built and only grows from step events; each branch line is a
 * new data set, filled before it is attached (the chartfx note in DESIGN.md). Rejected and reverted steps are drawn again
 * on top as grey squares ({@link #marks}), also a new filled data set each time.
 */
final class StepCharts {
    final DoubleDataSet size = new DoubleDataSet("size");
    final DoubleDataSet quality = new DoubleDataSet("accuracy");
    final DoubleDataSet latency = new DoubleDataSet("latency p50");
    final XYChart sizeChart = ChartStyles.perStep("Size on disk", "size", "MiB", size, 0);
    final XYChart qualityChart = ChartStyles.perStep("Accuracy", "accuracy", "%", quality, 1);
    final XYChart latencyChart = ChartStyles.perStep("Latency p50 (this machine)", "latency", "ms", latency, 2);
    private final HBox node = new HBox(8, sizeChart, qualityChart, latencyChart);
    private boolean labelled = true;
    /** Per chart: a renderer for the branch lines and one for the marks of rejected/reverted steps. */
    private final java.util.Map<XYChart, ErrorDataSetRenderer> branchRenderers = new java.util.HashMap<>();
    private final java.util.Map<XYChart, ErrorDataSetRenderer> markRenderers = new java.util.HashMap<>();
    static final String MARK_STYLE = "-fx-marker-color: #7a7a7a; -fx-marker-size: 7; -fx-marker-type: rectangle; -fx-line-width: 0;";

    StepCharts() {
        for (XYChart c : new XYChart[] {sizeChart, qualityChart, latencyChart}) {
            HBox.setHgrow(c, Priority.ALWAYS);
        }
        node.setPadding(new Insets(4, 8, 4, 8));
        for (XYChart c : new XYChart[] {sizeChart, qualityChart, latencyChart}) {
            ErrorDataSetRenderer branches = new ErrorDataSetRenderer();
            branches.setDrawMarker(true);
            ErrorDataSetRenderer marks = new ErrorDataSetRenderer();
            marks.setDrawMarker(true);
            marks.setPolyLineStyle(LineStyle.NONE);
            c.getRenderers().addAll(branches, marks);
            branchRenderers.put(c, branches);
            markRenderers.put(c, marks);
        }
    }

    /** The branch lines (other than the main line) of {@code chart}, as attached. */
    List<DataSet> branches(XYChart chart) {
        return List.copyOf(branchRenderers.get(chart).getDatasets());
    }

    /** The marks of rejected and reverted steps on {@code chart} (empty when there is none). */
    List<DataSet> marks(XYChart chart) {
        return List.copyOf(markRenderers.get(chart).getDatasets());
    }

    HBox node() {
        return node;
    }

    /** Empties the charts for a new experiment; accuracy when the data has labels, else SQNR to the original. */
    void reset(boolean withLabels) {
        labelled = withLabels;
        // a dataset that is already empty is left alone: clearing it before the chart's first layout pass is
        // the kind of early write that chartfx's dataset lock does not survive
        for (DoubleDataSet d : new DoubleDataSet[] {size, quality, latency}) {
            if (d.getDataCount() > 0) {
                d.clearData();
            }
        }
        for (XYChart c : new XYChart[] {sizeChart, qualityChart, latencyChart}) {
            if (!branchRenderers.get(c).getDatasets().isEmpty()) {
                branchRenderers.get(c).getDatasets().clear();
            }
            if (!markRenderers.get(c).getDatasets().isEmpty()) {
                markRenderers.get(c).getDatasets().clear();
            }
        }
        qualityChart.setTitle(withLabels ? "Accuracy" : "Output SQNR (worst output)");
        qualityChart.getYAxis().setName(withLabels ? "accuracy" : "SQNR");
        qualityChart.getYAxis().setUnit(withLabels ? "%" : "dB");
        rescale();
    }

    /** Adds the step's three values to the main line (a linear experiment). */
    void add(Step s) {
        Metrics m = s.metrics();
        // a step without a figure (no finite SQNR for the original itself) gets no point: chartfx would draw NaN at the bottom
        for (int k = 0; k < 3; k++) {
            double v = value(k, s);
            if (Double.isFinite(v)) {
                new DoubleDataSet[] {size, quality, latency}[k].add(s.index(), v);
            }
        }
        rescale();
    }

    /**
     * Shows the measured steps as lines, one per branch, with rejected and reverted steps marked: the main line gains the
     * points it lacks (or is redrawn when it changed), branch lines and marks are new data sets, filled, then attached.
     */
    void show(List<Step> all) {
        java.util.Map<Integer, Step> byIndex = new java.util.LinkedHashMap<>();
        for (Step s : all) {
            if (s.metrics() != null) {
                byIndex.put(s.index(), s);
            }
        }
        // each step joins its parent's line if it is the parent's first measured child; otherwise it starts a line
        java.util.Map<Integer, List<Step>> lines = new java.util.LinkedHashMap<>();
        java.util.Map<Integer, Integer> lineOf = new java.util.HashMap<>();
        java.util.Set<Integer> hasChild = new java.util.HashSet<>();
        for (Step s : byIndex.values()) {
            int p = s.parent();
            Step parent = byIndex.get(p);
            if (parent == null) {
                lines.put(s.index(), new java.util.ArrayList<>(List.of(s)));
                lineOf.put(s.index(), s.index());
            } else if (hasChild.add(p)) {
                int line = lineOf.get(p);
                lines.get(line).add(s);
                lineOf.put(s.index(), line);
            } else {
                lines.put(s.index(), new java.util.ArrayList<>(List.of(parent, s)));
                lineOf.put(s.index(), s.index());
            }
        }
        List<List<Step>> ordered = new java.util.ArrayList<>(lines.values());
        List<Step> main = ordered.isEmpty() ? List.of() : ordered.remove(0);
        DoubleDataSet[] mains = {size, quality, latency};
        XYChart[] charts = {sizeChart, qualityChart, latencyChart};
        for (int k = 0; k < 3; k++) {
            DoubleDataSet d = mains[k];
            int kk = k;
            List<Step> points = main.stream().filter(s -> Double.isFinite(value(kk, s))).toList();
            boolean prefix = d.getDataCount() <= points.size();
            for (int i = 0; prefix && i < d.getDataCount(); i++) {
                prefix = d.get(DoubleDataSet.DIM_X, i) == points.get(i).index() && same(d.get(DoubleDataSet.DIM_Y, i), value(k, points.get(i)));
            }
            if (!prefix) {
                d.clearData();
            }
            for (int i = d.getDataCount(); i < points.size(); i++) {
                d.add(points.get(i).index(), value(k, points.get(i)));
            }
            List<DataSet> branchSets = new java.util.ArrayList<>();
            for (List<Step> line : ordered) {
                DoubleDataSet b = new DoubleDataSet(mains[k].getName() + " from step " + line.get(0).index());
                for (Step s : line) {
                    if (Double.isFinite(value(k, s))) {
                        b.add(s.index(), value(k, s));
                    }
                }
                String c = ChartStyles.COLOURS[k % ChartStyles.COLOURS.length];
                b.setStyle("-fx-line-color: " + c + "b0; -fx-marker-color: " + c + "; -fx-line-width: 1.5; -fx-marker-size: 4; -fx-marker-type: diamond;");
                branchSets.add(b);
            }
            branchRenderers.get(charts[k]).getDatasets().setAll(branchSets);
            DoubleDataSet marked = new DoubleDataSet(mains[k].getName() + " rejected or reverted");
            for (Step s : byIndex.values()) {
                if ((s.status() == Step.Status.REJECTED || s.status() == Step.Status.REVERTED) && Double.isFinite(value(k, s))) {
                    marked.add(s.index(), value(k, s));
                }
            }
            marked.setStyle(MARK_STYLE);
            if (marked.getDataCount() > 0) {
                markRenderers.get(charts[k]).getDatasets().setAll(marked);
            } else if (!markRenderers.get(charts[k]).getDatasets().isEmpty()) {
                markRenderers.get(charts[k]).getDatasets().clear();
            }
        }
        rescale();
    }

    private static boolean same(double a, double b) {
        return a == b || (Double.isNaN(a) && Double.isNaN(b));
    }

    private double value(int chart, Step s) {
        Metrics m = s.metrics();
        return switch (chart) {
            case 0 -> m.fileBytes() / 1048576.0;
            case 1 -> quality(s);
            default -> m.latencyMs() == null ? Double.NaN : m.latencyMs().p50();
        };
    }

    private double quality(Step s) {
        Metrics m = s.metrics();
        if (labelled) {
            return m.accuracy() == null ? Double.NaN : m.accuracy() * 100;
        }
        // without labels, the figure the acceptance rule judges by default: the SQNR of the worst output against the
        // original's (the original itself, and a step with identical outputs, have no finite SQNR and no point)
        if (m.fidelity() != null && Double.isFinite(m.fidelity().sqnrDb())) {
            return m.fidelity().sqnrDb();
        }
        return Double.NaN;
    }

    void rescale() {
        DoubleDataSet allSize = all(sizeChart, size);
        int steps = 0;
        for (int i = 0; i < allSize.getDataCount(); i++) {
            steps = Math.max(steps, (int) Math.round(allSize.get(DoubleDataSet.DIM_X, i)) + 1);
        }
        for (XYChart c : new XYChart[] {sizeChart, qualityChart, latencyChart}) {
            ChartStyles.rangeSteps(c, steps);
        }
        ChartStyles.rangeValues(sizeChart, allSize, true, 0.01);
        ChartStyles.rangeValues(qualityChart, all(qualityChart, quality), false, labelled ? 2 : 10, labelled ? 100 : 60);
        ChartStyles.rangeValues(latencyChart, all(latencyChart, latency), true, 0.01);
    }

    /** The main line's points and every branch's, in one detached data set (for the axes' ranges). */
    private DoubleDataSet all(XYChart chart, DoubleDataSet main) {
        if (branchRenderers.get(chart).getDatasets().isEmpty()) {
            return main;
        }
        DoubleDataSet d = new DoubleDataSet("all");
        for (DataSet s : java.util.stream.Stream.concat(java.util.stream.Stream.of((DataSet) main), branchRenderers.get(chart).getDatasets().stream()).toList()) {
            for (int i = 0; i < s.getDataCount(); i++) {
                d.add(s.get(DataSet.DIM_X, i), s.get(DataSet.DIM_Y, i));
            }
        }
        return d;
    }
}
