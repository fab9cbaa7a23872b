package dev.edgefit.ui;

import dev.edgefit.common.EdgeFitException;
import dev.edgefit.device.Calibration;
import dev.edgefit.device.Constraints;
import dev.edgefit.device.DeviceEstimates;
import dev.edgefit.device.DeviceProfile;
import dev.edgefit.device.Estimate;
import dev.edgefit.device.FitCheck;
import dev.edgefit.device.HostInfo;
import dev.edgefit.device.Workload;
import dev.edgefit.pipeline.Step;
import io.fair_acc.chartfx.XYChart;
import io.fair_acc.chartfx.axes.spi.CategoryAxis;
import io.fair_acc.chartfx.axes.spi.DefaultNumericAxis;
import io.fair_acc.chartfx.renderer.ErrorStyle;
import io.fair_acc.chartfx.renderer.LineStyle;
import io.fair_acc.chartfx.renderer.spi.ErrorDataSetRenderer;
import io.fair_acc.dataset.spi.DoubleErrorDataSet;
import javafx.application.Platform;
import javafx.beans.property.ReadOnlyObjectWrapper;
import javafx.collections.FXCollections;
import javafx.geometry.Insets;
import javafx.geometry.Orientation;
import javafx.scene.control.Button;
import javafx.scene.control.CheckMenuItem;
import javafx.scene.control.ChoiceBox;
import javafx.scene.control.Label;
import javafx.scene.control.MenuButton;
import javafx.scene.control.SplitPane;
import javafx.scene.control.TableCell;
import javafx.scene.control.TableColumn;
import javafx.scene.control.TableView;
import javafx.scene.control.Tooltip;
import javafx.scene.layout.HBox;
import javafx.scene.layout.Priority;
import javafx.scene.layout.Region;
import javafx.scene.layout.VBox;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Devices side by side for the current step: a table with one column per device (estimated latency with its error
 * band, peak RAM, flash, energy, each constraint with its margin, formats, class), coloured pass/fail; a bar chart
 * of latency per device with the band as error bars on a log axis; and, on request, the same verdict for every
 * step of the pipeline. Estimates are computed on a worker thread; only the latest request's result is shown.
 */
final class DeviceComparisonView extends VBox {
    /** One table row: a label and a cell per device id. */
    record Row(String label, Map<String, Cell> cells) {
    }

    /** A cell's text and its pass/fail state (null: neutral). */
    record Cell(String text, FitCheck.Status status, String tooltip) {
    }

    static final List<String> DEFAULT_SELECTION = List.of("nucleo-l4r5zi", "esp32-s3", "raspberry-pi-4", "pixel-4", "jetson-nano",
            HostInfo.THIS_MACHINE);

    final TableView<Row> table = new TableView<>();
    final TableView<Row> stepsTable = new TableView<>();
    final MenuButton devicePicker = new MenuButton("Devices");
    final ChoiceBox<String> precision = new ChoiceBox<>(FXCollections.observableArrayList("model's own", "int8", "fp16", "fp32"));
    final Button everyStep = new Button("Compare every step");
    final Label status = new Label("Open a model to compare devices.");
    final DoubleErrorDataSet latency = new DoubleErrorDataSet("latency");
    final XYChart chart;
    private final CategoryAxis xAxis = new CategoryAxis();
    private final Set<String> selected = new LinkedHashSet<>(DEFAULT_SELECTION);
    private final ExecutorService worker = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "edgefit-devices");
        t.setDaemon(true);
        return t;
    });
    private final AtomicLong generation = new AtomicLong();
    private final AtomicLong oneGeneration = new AtomicLong();
    /** Workloads of the snapshots seen, by precision (null key: as it is); touched on the worker thread only. */
    private final Map<dev.edgefit.model.ModelSnapshot, Map<String, Workload>> workloads = new java.util.WeakHashMap<>();
    /** The shapes and values the open experiment feeds its model (the Inputs tab): workloads are measured with them. */
    private volatile dev.edgefit.data.InputOverrides inputs = dev.edgefit.data.InputOverrides.NONE;
    private List<DeviceProfile> devices = List.of();
    private Calibration calibration;
    private Step current;
    private List<Step> steps = List.of();
    /** Estimates of the step shown, in column order, for tests. */
    volatile List<Estimate> shown = List.of();

    DeviceComparisonView() {
        super(6);
        setPadding(new Insets(6));
        setId("device-comparison");
        table.setId("comparison-table");
        stepsTable.setId("comparison-steps-table");
        table.setPlaceholder(new Label("No estimates yet."));
        stepsTable.setPlaceholder(new Label("Press \"Compare every step\" to see how each step moves each device."));
        table.setColumnResizePolicy(TableView.UNCONSTRAINED_RESIZE_POLICY);
        stepsTable.setColumnResizePolicy(TableView.UNCONSTRAINED_RESIZE_POLICY);
        precision.getSelectionModel().select(0);
        precision.setTooltip(new Tooltip("Estimate the model as it is, or as if converted to this precision."));
        precision.setOnAction(e -> refresh());
        devicePicker.setId("device-picker");
        everyStep.setId("compare-every-step");
        everyStep.setOnAction(e -> compareSteps());
        status.getStyleClass().add("note");
        status.setWrapText(true);
        status.setMinHeight(Region.USE_PREF_SIZE);

        DefaultNumericAxis y = new DefaultNumericAxis("latency", "ms");
        y.setLogAxis(true);
        y.setAutoRanging(true);
        y.setTickLabelFormatter(new javafx.util.StringConverter<>() {
            @Override
            public String toString(Number n) {
                double v = n.doubleValue();
                return v >= 1 ? String.format(Locale.ROOT, "%,.0f", v) : String.format(Locale.ROOT, "%.3g", v);
            }

            @Override
            public Number fromString(String s) {
                return Double.parseDouble(s.replace(",", ""));
            }
        });
        chart = new XYChart(xAxis, y);
        chart.setTitle("Latency per device, est. ± band");
        chart.setLegendVisible(false);
        chart.setAnimated(false);
        chart.setPrefSize(420, 220);
        chart.setId("comparison-chart");
        ErrorDataSetRenderer r = new ErrorDataSetRenderer();
        r.setPolyLineStyle(LineStyle.NONE);
        r.setDrawBars(true);
        r.setDrawMarker(true);
        r.setErrorStyle(ErrorStyle.ERRORBARS);
        r.setBarWidthPercentage(50);
        r.getDatasets().add(latency);
        latency.setStyle("-fx-line-color: " + ChartStyles.COLOURS[2] + "; -fx-fill-color: " + ChartStyles.COLOURS[2]
                + "; -fx-marker-color: " + ChartStyles.COLOURS[2] + "; -fx-marker-size: 3;");
        chart.getRenderers().setAll(r);
        chart.getGridRenderer().setDrawOnTop(false);
        xAxis.setUnit(null);

        HBox bar = new HBox(8, devicePicker, new Label("Precision:"), precision, new Region(), everyStep);
        HBox.setHgrow(bar.getChildren().get(3), Priority.ALWAYS);
        bar.setAlignment(javafx.geometry.Pos.CENTER_LEFT);
        SplitPane top = new SplitPane(table, chart);
        top.setDividerPositions(0.62);
        SplitPane split = new SplitPane(top, stepsTable);
        split.setOrientation(Orientation.VERTICAL);
        split.setDividerPositions(0.68);
        VBox.setVgrow(split, Priority.ALWAYS);
        getChildren().addAll(bar, status, split);
    }

    /** The devices that can be compared (bundled, user and this machine). */
    void setDevices(List<DeviceProfile> all, Calibration cal) {
        this.devices = List.copyOf(all);
        this.calibration = cal;
        devicePicker.getItems().clear();
        for (DeviceProfile d : all) {
            CheckMenuItem item = new CheckMenuItem(d.name() + "  (" + d.id() + ")");
            item.setId("pick-" + d.id());
            item.setSelected(selected.contains(d.id()));
            item.selectedProperty().addListener((o, was, now) -> {
                if (now) {
                    selected.add(d.id());
                } else {
                    selected.remove(d.id());
                }
                refresh();
            });
            devicePicker.getItems().add(item);
        }
        refresh();
    }

    /** Selects or deselects a device by id (as the device menu does). */
    void select(String id, boolean on) {
        devicePicker.getItems().stream().filter(i -> ("pick-" + id).equals(i.getId())).findFirst()
                .ifPresent(i -> ((CheckMenuItem) i).setSelected(on));
    }

    /** Shows the estimates for this step (null: nothing open) and remembers the pipeline for "every step". */
    void show(Step step, List<Step> allSteps) {
        this.current = step;
        this.steps = List.copyOf(allSteps);
        refresh();
    }

    List<DeviceProfile> chosen() {
        return devices.stream().filter(d -> selected.contains(d.id())).toList();
    }

    private String precisionChoice() {
        int i = precision.getSelectionModel().getSelectedIndex();
        return i <= 0 ? null : precision.getItems().get(i);
    }

    void refresh() {
        long gen = generation.incrementAndGet();
        Step s = current;
        List<DeviceProfile> ds = chosen();
        if (s == null || s.snapshot() == null || calibration == null) {
            status.setText("Open a model to compare devices.");
            return;
        }
        String prec = precisionChoice();
        status.setText("Estimating " + s.displayName() + " on " + ds.size() + " devices…");
        worker.submit(() -> {
            try {
                List<Estimate> es = estimates(s, ds, prec);
                Platform.runLater(() -> {
                    if (generation.get() == gen) {
                        showEstimates(s, ds, es);
                    }
                });
            } catch (RuntimeException | LinkageError e) {
                Platform.runLater(() -> {
                    if (generation.get() == gen) {
                        status.setText("No estimates: " + EdgeFitException.describe(e));
                    }
                });
            }
        });
    }

    /** Estimates one device for a step on the worker and hands the result (null if none) to {@code onFx} on the FX thread. */
    void estimateOne(DeviceProfile d, Step s, java.util.function.Consumer<Estimate> onFx) {
        long gen = oneGeneration.incrementAndGet();
        if (d == null || s == null || s.snapshot() == null || s.metrics() == null || calibration == null) {
            onFx.accept(null);
            return;
        }
        worker.submit(() -> {
            Estimate e;
            try {
                e = estimates(s, List.of(d), null).get(0);
            } catch (RuntimeException | LinkageError x) {
                e = null;
            }
            Estimate result = e;
            Platform.runLater(() -> {
                if (oneGeneration.get() == gen) {
                    onFx.accept(result);
                }
            });
        });
    }

    void setInputs(dev.edgefit.data.InputOverrides i) {
        inputs = i == null ? dev.edgefit.data.InputOverrides.NONE : i;
    }

    private List<Estimate> estimates(Step s, List<DeviceProfile> ds, String prec) {
        Map<String, Workload> byPrecision = workloads.computeIfAbsent(s.snapshot(), k -> new java.util.HashMap<>());
        Workload natural = byPrecision.computeIfAbsent("as-is", k -> Workload.of(s.snapshot(), inputs, null));
        Workload converted = prec == null ? null : byPrecision.computeIfAbsent(prec, k -> Workload.of(s.snapshot(), inputs, k));
        Double hostMs = s.metrics() == null || s.metrics().latencyMs() == null ? null : s.metrics().latencyMs().p50();
        long bytes = s.metrics() == null ? 0 : s.metrics().fileBytes();
        FitCheck.Measured here = new FitCheck.Measured(bytes, s.metrics() == null ? null : s.metrics().peakMemoryBytes(), hostMs);
        return DeviceEstimates.estimateMeasured(natural, converted, bytes, ds, null, prec, null, calibration, () -> here,
                dev.edgefit.export.ExportFormat.writtenFor(s.snapshot()));
    }

    private void showEstimates(Step s, List<DeviceProfile> ds, List<Estimate> es) {
        shown = List.copyOf(es);
        setColumns(table, "", es.stream().map(Estimate::device).toList());
        List<Row> rows = new ArrayList<>();
        rows.add(row("runtime", es, e -> new Cell(e.runtime() == null ? "–" : e.runtime(), null, e.basis())));
        rows.add(row("latency", es, e -> new Cell(e.latencyText(), check(e, FitCheck.LATENCY), e.basis())));
        rows.add(row("peak RAM", es, e -> new Cell(Constraints.formatBytes(e.peakRamBytes()), check(e, FitCheck.PEAK_RAM),
                "weights held in RAM + largest live activations + runtime")));
        rows.add(row("flash / storage", es, e -> new Cell(Constraints.formatBytes(e.flashBytes()), check(e, FitCheck.MODEL_SIZE), null)));
        rows.add(row("energy", es, e -> new Cell(e.energyText(), null, "typical power x latency")));
        Set<String> names = new LinkedHashSet<>();
        es.forEach(e -> e.checks().forEach(c -> names.add(c.name())));
        for (String n : names) {
            rows.add(row(n + " limit", es, e -> e.checks().stream().filter(c -> c.name().equals(n)).findFirst()
                    .map(c -> new Cell(c.status().id() + " " + c.limit() + (c.marginText().isEmpty() ? "" : " (" + c.marginText() + ")"),
                            c.status(), c.note()))
                    .orElse(new Cell("–", null, null))));
        }
        rows.add(row("fits", es, e -> new Cell(e.verdict().fitsText(), e.verdict(), String.join(" ", e.reasons()))));
        rows.add(row("formats", es, e -> new Cell(String.join(", ", e.formats()), null, null)));
        rows.add(row("class", es, e -> new Cell(e.resourceClass().id(), null, null)));
        table.getItems().setAll(rows);

        List<String> cats = new ArrayList<>();
        double[] x = new double[es.size()];
        double[] y = new double[es.size()];
        double[] lo = new double[es.size()];
        double[] hi = new double[es.size()];
        int n = 0;
        for (Estimate e : es) {
            if (e.latencyMs() == null) {
                continue;
            }
            double f = 1 + e.errorBandPct() / 100;
            x[n] = n;
            y[n] = e.latencyMs();
            lo[n] = e.latencyMs() - e.latencyMs() / f;
            hi[n] = e.latencyMs() * f - e.latencyMs();
            cats.add(e.device());
            n++;
        }
        xAxis.setCategories(cats);
        // half a category of room on each side, so the first and last bars (and their names) are not cut in half
        xAxis.setAutoRanging(false);
        xAxis.set(-0.5, Math.max(0.5, n - 0.5));
        latency.set(java.util.Arrays.copyOf(x, n), java.util.Arrays.copyOf(y, n), java.util.Arrays.copyOf(lo, n), java.util.Arrays.copyOf(hi, n), n, true);
        long fits = es.stream().filter(Estimate::fits).count();
        status.setText(String.format(Locale.ROOT, "%s: fits %d of %d devices (each device's default limits). Latency is estimated (est."
                + " ±band: the calibration's leave-one-out error, docs/estimator.md); this machine's is measured.", s.displayName(), fits, es.size()));
    }

    /** One row per measured step, one column per device: latency and whether it fits. */
    void compareSteps() {
        List<Step> ss = steps.stream().filter(s -> s.snapshot() != null && s.metrics() != null && s.isActive()).toList();
        List<DeviceProfile> ds = chosen();
        if (ss.isEmpty() || calibration == null) {
            return;
        }
        String prec = precisionChoice();
        everyStep.setDisable(true);
        status.setText("Estimating " + ss.size() + " steps on " + ds.size() + " devices…");
        worker.submit(() -> {
            List<Row> rows = new ArrayList<>();
            try {
                for (Step s : ss) {
                    List<Estimate> es = estimates(s, ds, prec);
                    rows.add(row(s.index() + " " + s.displayName(), es, e -> new Cell((e.fits() ? "✓ " : e.verdict() == FitCheck.Status.FAIL ? "✗ " : "? ")
                            + e.latencyText(), e.verdict(), String.join(" ", e.reasons()))));
                }
                Platform.runLater(() -> {
                    setColumns(stepsTable, "step", ds.stream().map(DeviceProfile::id).toList());
                    stepsTable.getItems().setAll(rows);
                    everyStep.setDisable(false);
                    status.setText("Every step compared: ✓ fits, ✗ does not (hover a cell for the reasons).");
                });
            } catch (RuntimeException | LinkageError e) {
                Platform.runLater(() -> {
                    everyStep.setDisable(false);
                    status.setText("No estimates: " + EdgeFitException.describe(e));
                });
            }
        });
    }

    private static Row row(String label, List<Estimate> es, java.util.function.Function<Estimate, Cell> f) {
        Map<String, Cell> m = new LinkedHashMap<>();
        es.forEach(e -> m.put(e.device(), f.apply(e)));
        return new Row(label, m);
    }

    private static FitCheck.Status check(Estimate e, String name) {
        return e.checks().stream().filter(c -> c.name().equals(name)).findFirst().map(FitCheck.ConstraintResult::status).orElse(null);
    }

    private static void setColumns(TableView<Row> t, String first, List<String> ids) {
        List<TableColumn<Row, ?>> cols = new ArrayList<>();
        TableColumn<Row, String> label = new TableColumn<>(first);
        label.setCellValueFactory(v -> new ReadOnlyObjectWrapper<>(v.getValue().label()));
        label.setPrefWidth(150);
        label.setSortable(false);
        cols.add(label);
        for (String id : ids) {
            TableColumn<Row, Cell> c = new TableColumn<>(id);
            c.setId("col-" + id);
            c.setCellValueFactory(v -> new ReadOnlyObjectWrapper<>(v.getValue().cells().get(id)));
            c.setPrefWidth(150);
            c.setSortable(false);
            c.setCellFactory(x -> new TableCell<>() {
                @Override
                protected void updateItem(Cell item, boolean empty) {
                    super.updateItem(item, empty);
                    getStyleClass().removeAll("cell-pass", "cell-fail", "cell-not_measured");
                    setText(empty || item == null ? null : item.text());
                    setTooltip(empty || item == null || item.tooltip() == null || item.tooltip().isBlank() ? null : new Tooltip(item.tooltip()));
                    if (!empty && item != null && item.status() != null) {
                        getStyleClass().add("cell-" + item.status().id());
                    }
                }
            });
            cols.add(c);
        }
        t.getColumns().setAll(cols);
    }
}
