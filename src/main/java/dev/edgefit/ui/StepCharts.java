package dev.edgefit.ui;

import dev.edgefit.eval.Metrics;
import dev.edgefit.pipeline.Step;
import io.fair_acc.chartfx.XYChart;
import io.fair_acc.dataset.spi.DoubleDataSet;
import javafx.geometry.Insets;
import javafx.scene.layout.HBox;
import javafx.scene.layout.Priority;

/**
 * The three live charts: file size (MiB), accuracy (%) or, without labels, output cosine to the original, and
 * latency p50 on this machine (ms); one point per measured step, added as the step finishes (on the FX thread).
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

    StepCharts() {
        for (XYChart c : new XYChart[] {sizeChart, qualityChart, latencyChart}) {
            HBox.setHgrow(c, Priority.ALWAYS);
        }
        node.setPadding(new Insets(4, 8, 4, 8));
    }

    HBox node() {
        return node;
    }

    /** Empties the charts for a new experiment; accuracy when the data has labels, else cosine to the original. */
    void reset(boolean withLabels) {
        labelled = withLabels;
        // a dataset that is already empty is left alone: clearing it before the chart's first layout pass is
        // the kind of early write that chartfx's dataset lock does not survive
        for (DoubleDataSet d : new DoubleDataSet[] {size, quality, latency}) {
            if (d.getDataCount() > 0) {
                d.clearData();
            }
        }
        qualityChart.setTitle(withLabels ? "Accuracy" : "Output cosine to the original");
        qualityChart.getYAxis().setName(withLabels ? "accuracy" : "cosine");
        qualityChart.getYAxis().setUnit(withLabels ? "%" : null);
        rescale();
    }

    /** Adds the step's three values. */
    void add(Step s) {
        Metrics m = s.metrics();
        size.add(s.index(), m.fileBytes() / 1048576.0);
        quality.add(s.index(), quality(s));
        latency.add(s.index(), m.latencyMs() == null ? Double.NaN : m.latencyMs().p50());
        rescale();
    }

    private double quality(Step s) {
        Metrics m = s.metrics();
        if (labelled) {
            return m.accuracy() == null ? Double.NaN : m.accuracy() * 100;
        }
        if (m.fidelity() != null) {
            // null where a cosine means nothing (one value per inference, or a near-zero output)
            return m.fidelity().meanCosine() == null ? Double.NaN : m.fidelity().meanCosine();
        }
        return s.index() == 0 ? 1.0 : Double.NaN; // the original's outputs are its own: cosine 1 by definition
    }

    void rescale() {
        int steps = (int) Math.round(size.getDataCount() == 0 ? 0 : size.get(DoubleDataSet.DIM_X, size.getDataCount() - 1) + 1);
        for (XYChart c : new XYChart[] {sizeChart, qualityChart, latencyChart}) {
            ChartStyles.rangeSteps(c, steps);
        }
        ChartStyles.rangeValues(sizeChart, size, true, 0.01);
        ChartStyles.rangeValues(qualityChart, quality, false, labelled ? 2 : 0.02, labelled ? 100 : 1);
        ChartStyles.rangeValues(latencyChart, latency, true, 0.01);
    }
}
