package dev.edgefit.ui;

import dev.edgefit.common.EdgeFitException;
import dev.edgefit.compress.WeightReader;
import dev.edgefit.model.ModelSnapshot;
import dev.edgefit.pipeline.Step;
import io.fair_acc.chartfx.XYChart;
import io.fair_acc.dataset.spi.AbstractHistogram;
import io.fair_acc.dataset.spi.Histogram;
import javafx.application.Platform;
import javafx.geometry.Insets;
import javafx.geometry.Pos;
import javafx.scene.control.ComboBox;
import javafx.scene.control.Label;
import javafx.scene.layout.HBox;
import javafx.scene.layout.Priority;
import javafx.scene.layout.Region;
import javafx.scene.layout.VBox;

import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A weight histogram for one layer, before and after: the original model's weights and the current step's, as the
 * runtime computes with them ({@link WeightReader}), counted in the same bins, with a line per side saying how the
 * weights are stored and how many distinct values they take. Reading and counting run on a thread of their own;
 * only the finished data sets reach the FX thread, and a newer request makes an older result stale.
 */
final class WeightsView extends VBox {
    static final int BINS = 160;

    final ComboBox<String> layerBox = new ComboBox<>();
    final Label header = new Label("Open a model to see its weights.");
    final Label beforeForm = new Label();
    final Label afterForm = new Label();
    final XYChart chart = ChartStyles.histogram("Weights of the layer", "weight value");

    private final ExecutorService worker = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "edgefit-weights");
        t.setDaemon(true);
        return t;
    });
    private ModelSnapshot original;
    private Step step;
    private long generation;
    private long models;
    /** What the chart shows: results of the latest request (FX thread). */
    volatile Result shown;
    /** True while the Weights tab is showing: reading and counting a large layer waits until someone looks (FX thread). */
    private boolean active;
    private boolean layersPending;
    private boolean refreshPending;

    /**
     * The counted histograms of one request; after is null when the step has no such layer. The descriptions (distinct
     * values per channel: a sort of every channel) are made with them, off the FX thread.
     */
    record Result(String layer, Histogram before, Histogram after, WeightReader.Weights beforeWeights, WeightReader.Weights afterWeights,
                  double lo, double hi, String beforeText, String afterText) {
    }

    WeightsView() {
        super(6);
        setPadding(new Insets(6));
        layerBox.setId("weights-layer");
        layerBox.setPromptText("layer");
        layerBox.setVisibleRowCount(16);
        layerBox.valueProperty().addListener((o, a, b) -> refresh());
        header.setId("weights-header");
        header.setWrapText(true);
        header.setMinHeight(Region.USE_PREF_SIZE);
        beforeForm.setId("weights-before-form");
        afterForm.setId("weights-after-form");
        for (Label l : List.of(beforeForm, afterForm)) {
            l.setWrapText(true);
            l.setMinHeight(Region.USE_PREF_SIZE);
            l.getStyleClass().add("note");
        }
        beforeForm.setStyle("-fx-text-fill: " + ChartStyles.HISTOGRAM_COLOURS[0] + ";");
        afterForm.setStyle("-fx-text-fill: " + ChartStyles.HISTOGRAM_COLOURS[1] + ";");
        Label pick = new Label("Layer");
        pick.setMinWidth(Region.USE_PREF_SIZE);
        layerBox.setMinWidth(Region.USE_PREF_SIZE);
        HBox top = new HBox(8, pick, layerBox, header);
        top.setAlignment(Pos.CENTER_LEFT);
        HBox.setHgrow(header, Priority.ALWAYS);
        VBox.setVgrow(chart, Priority.ALWAYS);
        chart.setPrefHeight(260);
        getChildren().addAll(top, beforeForm, afterForm, chart);
    }

    /** A newly opened model: its layers with weights fill the picker (read on this view's thread). */
    void setModel(ModelSnapshot model) {
        original = model;
        step = null;
        layersPending = true;
        if (active) {
            loadLayers();
        }
    }

    /** The Weights tab is showing (or no longer is): work that waited for it starts now. */
    void setActive(boolean showing) {
        active = showing;
        if (!showing) {
            return;
        }
        if (layersPending) {
            loadLayers();
        } else if (refreshPending) {
            refresh();
        }
    }

    private void loadLayers() {
        layersPending = false;
        ModelSnapshot model = original;
        long m = ++models;
        worker.submit(() -> {
            List<String> layers = WeightReader.layers(model);
            Platform.runLater(() -> {
                if (m != models) {
                    return;
                }
                String keep = layerBox.getValue();
                layerBox.getItems().setAll(layers);
                if (layers.isEmpty()) {
                    header.setText(model.label() + " has no Conv, MatMul or Gemm layer with weights.");
                } else if (keep != null && layers.contains(keep)) {
                    refresh();
                } else {
                    layerBox.setValue(layers.stream().filter(l -> !l.isEmpty()).findFirst().orElse(layers.get(0)));
                }
            });
        });
    }

    /** The step whose weights are compared with the original's (the step the next technique builds on). */
    void showStep(Step s) {
        if (s == step) {
            return;
        }
        step = s;
        refresh();
    }

    /** The step shown beside the original. */
    Step shownStep() {
        return step;
    }

    void close() {
        worker.shutdownNow();
    }

    private void refresh() {
        if (!active) {
            refreshPending = true;
            return;
        }
        refreshPending = false;
        String layer = layerBox.getValue();
        ModelSnapshot before = original;
        Step s = step;
        long g = ++generation;
        if (before == null || layer == null) {
            return;
        }
        String stepText = s == null || s.index() == 0 ? "Step 0 (the original)" : "Step " + s.index() + ", " + s.displayName();
        header.setText("Blue: the original model; orange: step " + (s == null ? 0 : s.index())
                + ", the current step. Values as the runtime computes with them, counted in the same bins.");
        ModelSnapshot after = s == null ? before : s.snapshot();
        worker.submit(() -> {
            Result r;
            try {
                r = count(layer, before, after, "step " + (s == null ? 0 : s.index()));
            } catch (RuntimeException e) {
                Platform.runLater(() -> {
                    if (g == generation) {
                        afterForm.setText("Layer " + layer + ": " + EdgeFitException.describe(e));
                    }
                });
                return;
            }
            Platform.runLater(() -> {
                if (g == generation) {
                    show(r, stepText);
                }
            });
        });
    }

    /** Reads both sides and counts them in the same {@value #BINS} bins over both sides' range. */
    static Result count(String layer, ModelSnapshot before, ModelSnapshot after, String afterName) {
        WeightReader.Weights b = WeightReader.read(before, layer).orElse(null);
        Optional<WeightReader.Weights> a = after == before ? Optional.ofNullable(b) : WeightReader.read(after, layer);
        if (b == null) {
            return new Result(layer, null, null, null, a.orElse(null), 0, 1, null, a.map(WeightReader.Weights::describe).orElse(null));
        }
        double lo = Double.POSITIVE_INFINITY;
        double hi = Double.NEGATIVE_INFINITY;
        for (WeightReader.Weights w : a.isPresent() ? List.of(b, a.get()) : List.of(b)) {
            for (float v : w.values()) {
                lo = Math.min(lo, v);
                hi = Math.max(hi, v);
            }
        }
        if (!(hi > lo)) {
            hi = lo + 1;
        }
        double top = hi + (hi - lo) * 1e-4; // the largest value falls in the last bin, not past it
        double bottom = lo;
        Histogram hb = histogram("original: " + b.form(), b, bottom, top);
        Histogram ha = a.map(w -> histogram(afterName + ": " + w.form(), w, bottom, top)).orElse(null);
        return new Result(layer, hb, ha, b, a.orElse(null), bottom, top, b.describe(), a.map(WeightReader.Weights::describe).orElse(null));
    }

    private static Histogram histogram(String name, WeightReader.Weights w, double lo, double hi) {
        Histogram h = new Histogram(name, BINS, lo, hi, AbstractHistogram.HistogramOuterBounds.BINS_ALIGNED_WITH_BOUNDARY);
        for (float v : w.values()) {
            h.fill(v);
        }
        return h;
    }

    /** Largest count of any bin. */
    static double maxCount(Histogram h) {
        double m = 0;
        for (int i = 0; i < h.getDataCount(); i++) {
            m = Math.max(m, h.get(Histogram.DIM_Y, i));
        }
        return m;
    }

    /** Bins (of the in-range ones) holding at least one weight. */
    static int nonEmptyBins(Histogram h) {
        int n = 0;
        for (int i = 0; i < h.getDataCount(); i++) {
            if (h.get(Histogram.DIM_Y, i) > 0) {
                n++;
            }
        }
        return n;
    }

    private void show(Result r, String stepText) {
        shown = r;
        if (r.before() == null) {
            beforeForm.setText("The original model has no layer " + r.layer() + " with weights EdgeFit can read.");
            afterForm.setText("");
            return;
        }
        beforeForm.setText("Original: " + r.beforeText() + ".");
        afterForm.setText(r.afterWeights() == null
                ? stepText + " has no layer " + r.layer() + " whose weights EdgeFit can read."
                : stepText + ": " + r.afterText() + ".");
        double lo = r.lo();
        double hi = r.hi();
        double yMax = Math.max(maxCount(r.before()), r.after() == null ? 0 : maxCount(r.after()));
        ChartStyles.showHistograms(chart, lo, hi, yMax, r.before(), r.after());
        chart.setTitle(String.format(Locale.ROOT, "Weights of %s (%,d values, %d bins)", r.layer(), r.beforeWeights().values().length, BINS));
    }

}
