package dev.edgefit.ui;

import dev.edgefit.common.AppPaths;
import dev.edgefit.common.AtomicFiles;
import dev.edgefit.common.EdgeFitException;
import dev.edgefit.common.Json;
import dev.edgefit.compress.Technique;
import dev.edgefit.compress.TechniqueRegistry;
import dev.edgefit.data.Dataset;
import dev.edgefit.data.Datasets;
import dev.edgefit.data.InputGenerator;
import dev.edgefit.data.Preprocessing;
import dev.edgefit.device.Constraints;
import dev.edgefit.device.DeviceCatalog;
import dev.edgefit.device.DeviceProfile;
import dev.edgefit.device.FitCheck;
import dev.edgefit.device.HostInfo;
import dev.edgefit.eval.EvalConfig;
import dev.edgefit.eval.Metrics;
import dev.edgefit.export.ExportFormat;
import dev.edgefit.export.ExportResult;
import dev.edgefit.export.ExportService;
import dev.edgefit.model.ModelSnapshot;
import dev.edgefit.model.ModelStats;
import dev.edgefit.model.OnnxModels;
import dev.edgefit.pipeline.Experiment;
import dev.edgefit.pipeline.PipelineEvent;
import dev.edgefit.pipeline.Step;
import dev.edgefit.report.DeploymentReport;
import dev.edgefit.report.ReportBuilder;
import dev.edgefit.report.ReportWriter;
import dev.edgefit.runtime.ShapeProbe;
import io.fair_acc.chartfx.XYChart;
import io.fair_acc.dataset.spi.DoubleDataSet;
import javafx.animation.AnimationTimer;
import javafx.application.HostServices;
import javafx.application.Platform;
import javafx.beans.property.ReadOnlyObjectWrapper;
import javafx.geometry.Insets;
import javafx.geometry.Orientation;
import javafx.scene.Scene;
import javafx.scene.control.Alert;
import javafx.scene.control.Button;
import javafx.scene.control.ButtonType;
import javafx.scene.control.ComboBox;
import javafx.scene.control.Label;
import javafx.scene.control.ListCell;
import javafx.scene.control.ListView;
import javafx.scene.control.Menu;
import javafx.scene.control.MenuBar;
import javafx.scene.control.MenuItem;
import javafx.scene.control.ProgressBar;
import javafx.scene.control.ScrollPane;
import javafx.scene.control.SeparatorMenuItem;
import javafx.scene.control.SplitPane;
import javafx.scene.control.Tab;
import javafx.scene.control.TabPane;
import javafx.scene.control.TableColumn;
import javafx.scene.control.TableView;
import javafx.scene.control.TextField;
import javafx.scene.control.TitledPane;
import javafx.scene.input.TransferMode;
import javafx.scene.layout.BorderPane;
import javafx.scene.layout.GridPane;
import javafx.scene.layout.HBox;
import javafx.scene.layout.Priority;
import javafx.scene.layout.Region;
import javafx.scene.layout.StackPane;
import javafx.scene.layout.VBox;
import javafx.stage.DirectoryChooser;
import javafx.stage.FileChooser;
import javafx.stage.Stage;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;

/**
 * The workbench window: open a model, pick a device and constraints, apply techniques step by step while the charts
 * gain a point per step, check the fit, export. Long work runs on background threads; pipeline events are queued and
 * applied once per frame by an {@link AnimationTimer}, so a burst of progress events costs one UI update.
 */
public final class Workbench {
    private static final Path RECENT = Path.of(System.getProperty("user.home"), ".config", "edgefit", "recent.json");

    private final Stage stage;
    private final HostServices host;
    private final BorderPane root = new BorderPane();
    private final ExecutorService worker = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "edgefit-ui-worker");
        t.setDaemon(true);
        return t;
    });

    // state, touched on the FX thread only
    private Experiment experiment;
    private Path modelFile;
    private Path dataPath;
    private Experiment.Task running;
    private final List<DeviceProfile> devices = new ArrayList<>();

    // events from worker threads, drained once per frame
    private final ConcurrentLinkedQueue<PipelineEvent> events = new ConcurrentLinkedQueue<>();
    private final AtomicReference<PipelineEvent.StepProgress> progressEvent = new AtomicReference<>();

    // controls
    final Label modelSummary = new Label("No model open.");
    final ComboBox<DeviceProfile> deviceBox = new ComboBox<>();
    final TextField maxSize = new TextField();
    final TextField maxRam = new TextField();
    final TextField maxLatency = new TextField();
    final Label constraintError = new Label();
    final ListView<Technique> techniqueList = new ListView<>();
    final StackPane formHolder = new StackPane();
    final Button runButton = new Button("Run step");
    final Button cancelButton = new Button("Cancel");
    final Button exportButton = new Button("Export…");
    final Button revertButton = new Button("Revert step");
    final Button keepButton = new Button("Keep anyway");
    final ProgressBar progress = new ProgressBar(0);
    final Label status = new Label("Ready.");
    final Label errorLabel = new Label();
    final VBox fitPanel = new VBox(4);
    final Label hostLabel = new Label("Detecting this machine…");
    final TableView<Step> stepsTable = new TableView<>();
    final TableView<ModelStats.Layer> layersTable = new TableView<>();
    final DoubleDataSet sizeData = new DoubleDataSet("size");
    final DoubleDataSet accuracyData = new DoubleDataSet("accuracy");
    final DoubleDataSet latencyData = new DoubleDataSet("latency");
    private final Menu recentMenu = new Menu("Recent files");
    final SensitivityView sensitivity = new SensitivityView();

    public Workbench(Stage stage, HostServices host) {
        this.stage = stage;
        this.host = host;
        build();
        new AnimationTimer() {
            @Override
            public void handle(long now) {
                drain();
            }
        }.start();
        worker.submit(() -> {
            HostInfo h = HostInfo.detect();
            String text = String.format(Locale.ROOT, "This machine: %s, %d cores (%d threads), %.1f GB RAM, %s · %s",
                    h.cpuModel(), h.physicalCores(), h.logicalCores(), h.totalRamBytes() / 1e9, h.os(), dev.edgefit.runtime.OrtRunner.version());
            Platform.runLater(() -> hostLabel.setText(text));
        });
    }

    public BorderPane root() {
        return root;
    }

    Experiment experiment() {
        return experiment;
    }

    // ---------------------------------------------------------------- layout

    private void build() {
        root.setTop(menu());
        root.setLeft(leftPanel());
        root.setCenter(center());
        root.setRight(rightPanel());
        HBox bar = new HBox(16, hostLabel, new Region(), errorLabel);
        HBox.setHgrow(bar.getChildren().get(1), Priority.ALWAYS);
        bar.setPadding(new Insets(4, 8, 4, 8));
        bar.getStyleClass().add("status-bar");
        errorLabel.setId("error-label");
        errorLabel.getStyleClass().add("error");
        root.setBottom(bar);
        root.setOnDragOver(e -> {
            if (e.getDragboard().hasFiles()) {
                e.acceptTransferModes(TransferMode.COPY);
            }
            e.consume();
        });
        root.setOnDragDropped(e -> {
            List<File> files = e.getDragboard().getFiles();
            if (!files.isEmpty()) {
                open(files.get(0).toPath(), dataPath);
            }
            e.setDropCompleted(!files.isEmpty());
            e.consume();
        });
    }

    private MenuBar menu() {
        MenuItem open = new MenuItem("Open model…");
        open.setOnAction(e -> {
            FileChooser fc = new FileChooser();
            fc.getExtensionFilters().add(new FileChooser.ExtensionFilter("ONNX models", "*.onnx"));
            File f = fc.showOpenDialog(stage);
            if (f != null) {
                open(f.toPath(), null);
            }
        });
        MenuItem data = new MenuItem("Open data…");
        data.setOnAction(e -> {
            DirectoryChooser dc = new DirectoryChooser();
            dc.setTitle("Folder with images.idx3-ubyte[.gz] and labels.idx1-ubyte[.gz]");
            File d = dc.showDialog(stage);
            if (d != null && modelFile != null) {
                open(modelFile, d.toPath());
            }
        });
        MenuItem export = new MenuItem("Export…");
        export.setOnAction(e -> export());
        MenuItem quit = new MenuItem("Quit");
        quit.setOnAction(e -> Platform.exit());
        Menu file = new Menu("File", null, open, data, recentMenu, new SeparatorMenuItem(), export, new SeparatorMenuItem(), quit);
        refreshRecent();
        return new MenuBar(file);
    }

    private ScrollPane leftPanel() {
        modelSummary.setWrapText(true);
        modelSummary.setId("model-summary");
        TitledPane model = new TitledPane("Model", modelSummary);

        try {
            DeviceCatalog catalog = DeviceCatalog.bundled();
            devices.addAll(catalog.profiles());
            catalog.problems().forEach(p -> errorLabel.setText(p.message()));
        } catch (EdgeFitException e) {
            errorLabel.setText(e.getMessage());
        }
        deviceBox.getItems().setAll(devices);
        deviceBox.setId("device-box");
        deviceBox.setMaxWidth(Double.MAX_VALUE);
        deviceBox.setCellFactory(v -> new DeviceCell());
        deviceBox.setButtonCell(new DeviceCell());
        deviceBox.valueProperty().addListener((o, a, d) -> {
            if (d != null) {
                Constraints c = d.defaultConstraints();
                maxSize.setText(c.maxModelBytes() == null ? "" : Constraints.formatBytes(c.maxModelBytes()));
                maxRam.setText(c.maxRamBytes() == null ? "" : Constraints.formatBytes(c.maxRamBytes()));
                maxLatency.setText(c.maxLatencyMs() == null ? "" : Constraints.formatMillis(c.maxLatencyMs()));
            }
            refreshFit();
        });
        for (TextField f : List.of(maxSize, maxRam, maxLatency)) {
            f.textProperty().addListener((o, a, b) -> refreshFit());
            f.setPrefColumnCount(8);
        }
        maxSize.setId("max-size");
        maxRam.setId("max-ram");
        maxLatency.setId("max-latency");
        constraintError.getStyleClass().add("error");
        constraintError.setWrapText(true);
        GridPane cg = new GridPane();
        cg.setHgap(8);
        cg.setVgap(6);
        javafx.scene.layout.ColumnConstraints labels = new javafx.scene.layout.ColumnConstraints();
        labels.setMinWidth(Region.USE_PREF_SIZE);
        javafx.scene.layout.ColumnConstraints fields = new javafx.scene.layout.ColumnConstraints();
        fields.setHgrow(Priority.ALWAYS);
        cg.getColumnConstraints().addAll(labels, fields);
        cg.addRow(0, new Label("Device"), deviceBox);
        cg.addRow(1, new Label("Max model size"), maxSize);
        cg.addRow(2, new Label("Max RAM"), maxRam);
        cg.addRow(3, new Label("Max latency"), maxLatency);
        cg.add(constraintError, 0, 4, 2, 1);
        GridPane.setHgrow(deviceBox, Priority.ALWAYS);
        TitledPane device = new TitledPane("Device and constraints", cg);

        devices.stream().filter(d -> d.id().equals("raspberry-pi-4")).findFirst()
                .or(() -> devices.stream().findFirst()).ifPresent(deviceBox::setValue);
        techniqueList.getItems().setAll(TechniqueRegistry.all());
        techniqueList.setId("technique-list");
        techniqueList.setPrefHeight(7 * 25 + 4);
        techniqueList.setCellFactory(v -> new ListCell<>() {
            @Override
            protected void updateItem(Technique t, boolean empty) {
                super.updateItem(t, empty);
                setText(empty || t == null ? null : t.displayName());
                setTooltip(empty || t == null ? null : new javafx.scene.control.Tooltip(t.description()));
            }
        });
        techniqueList.getSelectionModel().selectedItemProperty().addListener((o, a, t) -> {
            formHolder.getChildren().setAll(t == null ? new Label() : new ParamForm(t));
        });
        techniqueList.getSelectionModel().selectFirst();
        runButton.setId("run-button");
        runButton.setDefaultButton(true);
        runButton.setOnAction(e -> runStep());
        cancelButton.setId("cancel-button");
        cancelButton.setDisable(true);
        cancelButton.setOnAction(e -> {
            if (running != null) {
                running.cancel();
                status.setText("Cancelling…");
            }
        });
        progress.setMaxWidth(Double.MAX_VALUE);
        progress.setId("progress");
        status.setWrapText(true);
        status.setId("status");
        HBox buttons = new HBox(8, runButton, cancelButton);
        VBox tech = new VBox(8, techniqueList, formHolder, buttons, progress, status);
        TitledPane techniques = new TitledPane("Technique", tech);

        VBox left = new VBox(8, model, device, techniques);
        left.setPadding(new Insets(8));
        left.setPrefWidth(360);
        ScrollPane sp = new ScrollPane(left);
        sp.setFitToWidth(true);
        sp.setPrefWidth(380);
        return sp;
    }

    private SplitPane center() {
        HBox charts = new HBox(8,
                grow(ChartStyles.perStep("Size", "MB", sizeData, 0, true)),
                grow(ChartStyles.perStep("Accuracy", "%", accuracyData, 1, false)),
                grow(ChartStyles.perStep("Latency p50", "ms", latencyData, 2, true)));
        charts.setPadding(new Insets(8));

        stepsTable.setId("steps-table");
        stepsTable.getColumns().setAll(List.of(
                col("#", s -> String.valueOf(s.index()), 40),
                col("Technique", Step::displayName, 170),
                col("Parameters", s -> s.params().isEmpty() ? "" : s.params().toString(), 150),
                col("Status", s -> s.status().name().toLowerCase(Locale.ROOT) + (s.note() == null ? "" : ": " + s.note()), 90),
                col("Size", s -> bytes(s.metrics().fileBytes()), 80),
                col("Accuracy", s -> s.metrics().accuracy() == null ? "n/m" : pct(s.metrics().accuracy()), 80),
                col("Cosine to original", s -> s.metrics().fidelity() == null ? (s.index() == 0 ? "1 (original)" : "n/m")
                        : String.format(Locale.ROOT, "%.5f", s.metrics().fidelity().meanCosine()), 110),
                col("Latency p50 / p99", s -> String.format(Locale.ROOT, "%.3f / %.3f ms", s.metrics().latencyMs().p50(),
                        s.metrics().latencyMs().p99()), 140),
                col("Peak memory", s -> s.metrics().peakMemoryBytes() == null ? "n/m" : bytes(s.metrics().peakMemoryBytes()), 110)));
        stepsTable.setPlaceholder(new Label("The original model is measured when it opens; then run a technique."));
        revertButton.setOnAction(e -> {
            Step s = stepsTable.getSelectionModel().getSelectedItem();
            if (s != null && experiment != null) {
                act(() -> experiment.revert(s.index()));
            }
        });
        keepButton.setOnAction(e -> {
            Step s = stepsTable.getSelectionModel().getSelectedItem();
            if (s != null && experiment != null) {
                act(() -> experiment.keep(s.index()));
            }
        });
        exportButton.setId("export-button");
        exportButton.setOnAction(e -> export());
        HBox stepButtons = new HBox(8, revertButton, keepButton, new Region(), exportButton);
        HBox.setHgrow(stepButtons.getChildren().get(2), Priority.ALWAYS);
        stepButtons.setPadding(new Insets(6, 0, 0, 0));
        VBox stepsBox = new VBox(stepsTable, stepButtons);
        VBox.setVgrow(stepsTable, Priority.ALWAYS);
        stepsBox.setPadding(new Insets(6));

        layersTable.setId("layers-table");
        layersTable.getColumns().setAll(List.of(
                lcol("Layer", ModelStats.Layer::name, 200), lcol("Op", ModelStats.Layer::opType, 140),
                lcol("Parameters", l -> String.format(Locale.ROOT, "%,d", l.parameters()), 100),
                lcol("MACs", l -> l.macs() == null ? "?" : String.format(Locale.ROOT, "%,d", l.macs()), 120),
                lcol("Weight bytes", l -> String.format(Locale.ROOT, "%,d", l.weightBytes()), 110),
                lcol("Output shape", l -> l.outputShape() == null ? "" : java.util.Arrays.toString(l.outputShape()), 160)));
        stepsTable.getSelectionModel().selectedItemProperty().addListener((o, a, st) -> sensitivity.show(st));
        TabPane tabs = new TabPane(new Tab("Steps", stepsBox), new Tab("Layers", layersTable), new Tab("Sensitivity", sensitivity));
        tabs.setTabClosingPolicy(TabPane.TabClosingPolicy.UNAVAILABLE);
        SplitPane split = new SplitPane(charts, tabs);
        split.setOrientation(Orientation.VERTICAL);
        split.setDividerPositions(0.42);
        return split;
    }

    private VBox rightPanel() {
        fitPanel.setId("fit-panel");
        fitPanel.setPadding(new Insets(8));
        fitPanel.setPrefWidth(250);
        Label title = new Label("Fit on the selected device");
        title.getStyleClass().add("section-title");
        VBox box = new VBox(8, title, fitPanel);
        box.setPadding(new Insets(8));
        box.setPrefWidth(270);
        return box;
    }

    private static XYChart grow(XYChart c) {
        HBox.setHgrow(c, Priority.ALWAYS);
        return c;
    }

    private static TableColumn<Step, String> col(String name, Function<Step, String> f, double width) {
        TableColumn<Step, String> c = new TableColumn<>(name);
        c.setCellValueFactory(v -> new ReadOnlyObjectWrapper<>(f.apply(v.getValue())));
        c.setPrefWidth(width);
        return c;
    }

    private static TableColumn<ModelStats.Layer, String> lcol(String name, Function<ModelStats.Layer, String> f, double width) {
        TableColumn<ModelStats.Layer, String> c = new TableColumn<>(name);
        c.setCellValueFactory(v -> new ReadOnlyObjectWrapper<>(f.apply(v.getValue())));
        c.setPrefWidth(width);
        return c;
    }

    private static final class DeviceCell extends ListCell<DeviceProfile> {
        @Override
        protected void updateItem(DeviceProfile d, boolean empty) {
            super.updateItem(d, empty);
            setText(empty || d == null ? null : d.name() + "  (" + d.resourceClass().id() + ")");
        }
    }

    // ---------------------------------------------------------------- actions

    /** Opens a model (and optionally a dataset; for the bundled sample its data) in the background. */
    public void open(Path model, Path data) {
        errorLabel.setText("");
        status.setText("Opening " + model.getFileName() + "…");
        Path dataToUse = data != null ? data : defaultData(model);
        worker.submit(() -> {
            try {
                ModelSnapshot snap = OnnxModels.load(model);
                Dataset ds = null;
                if (dataToUse != null) {
                    String pp = snap.metadata(Preprocessing.METADATA_KEY);
                    ds = Datasets.open(dataToUse, pp == null ? Preprocessing.DEFAULT : Preprocessing.fromJson(pp));
                }
                Path work = Files.createTempDirectory("edgefit-work");
                Experiment ex = new Experiment(model, ds, EvalConfig.defaults().withRuns(5, 50), work);
                ex.addListener(this::onEvent);
                Platform.runLater(() -> opened(ex, model, dataToUse));
                ModelStats stats = computeStats(snap);
                Platform.runLater(() -> showStats(snap, stats, ex));
            } catch (Exception e) {
                Platform.runLater(() -> showError(e));
            }
        });
    }

    private static Path defaultData(Path model) {
        Path sample = AppPaths.find("assets/models/fashion_cnn.onnx").orElse(null);
        try {
            if (sample != null && Files.isSameFile(sample, model)) {
                return AppPaths.find("assets/data/fashion-mnist-2k").orElse(null);
            }
        } catch (java.io.IOException e) {
            return null;
        }
        return null;
    }

    private static ModelStats computeStats(ModelSnapshot snap) {
        try {
            return ModelStats.compute(snap, ShapeProbe.probe(snap, new InputGenerator(snap, Map.of()).generate(0)));
        } catch (EdgeFitException e) {
            return ModelStats.compute(snap, Map.of());
        }
    }

    private void opened(Experiment ex, Path model, Path data) {
        if (experiment != null) {
            experiment.close();
        }
        experiment = ex;
        modelFile = model;
        dataPath = data;
        stage.setTitle("EdgeFit — " + model.getFileName());
        stepsTable.getItems().clear();
        sizeData.clearData();
        accuracyData.clearData();
        latencyData.clearData();
        rememberRecent(model);
        startTask(ex.measureOriginal(), "Measuring the original model");
    }

    private void showStats(ModelSnapshot snap, ModelStats s, Experiment ex) {
        if (ex != experiment) {
            return;
        }
        StringBuilder b = new StringBuilder();
        b.append(modelFile.getFileName()).append('\n');
        try {
            b.append(String.format(Locale.ROOT, "%s on disk, opset %d%n", bytes(Files.size(modelFile)), snap.opset()));
        } catch (java.io.IOException e) {
            b.append("size unknown\n");
        }
        b.append(String.format(Locale.ROOT, "%,d parameters, %s MACs%n", s.parameters(),
                s.macsComplete() ? String.format(Locale.ROOT, "%,d", s.macs()) : "unknown"));
        snap.inputs().forEach(i -> b.append("in  ").append(i.name()).append(' ').append(i.dtype().label()).append(' ').append(i.shapeText()).append('\n'));
        snap.outputs().forEach(i -> b.append("out ").append(i.name()).append(' ').append(i.dtype().label()).append(' ').append(i.shapeText()).append('\n'));
        b.append("data: ").append(dataPath == null ? "none (inputs generated; fidelity instead of accuracy)" : dataPath.getFileName()).append('\n');
        b.append(s.opHistogram());
        modelSummary.setText(b.toString());
        layersTable.getItems().setAll(s.layers());
    }

    private void runStep() {
        if (experiment == null || running != null) {
            return;
        }
        if (formHolder.getChildren().isEmpty() || !(formHolder.getChildren().get(0) instanceof ParamForm form)) {
            return;
        }
        try {
            startTask(experiment.run(form.technique(), form.params()), form.technique().displayName());
        } catch (EdgeFitException e) {
            showError(e);
        }
    }

    private void startTask(Experiment.Task t, String what) {
        running = t;
        runButton.setDisable(true);
        cancelButton.setDisable(false);
        exportButton.setDisable(true);
        progress.setProgress(0);
        status.setText(what + "…");
        errorLabel.setText("");
    }

    private void act(Runnable r) {
        try {
            r.run();
        } catch (EdgeFitException e) {
            showError(e);
        }
    }

    /** Called on pipeline threads: only queue. */
    private void onEvent(PipelineEvent e) {
        if (e instanceof PipelineEvent.StepProgress p) {
            progressEvent.set(p);
        } else {
            events.add(e);
        }
    }

    /** Once per frame on the FX thread: the latest progress, then every other event in order. */
    private void drain() {
        PipelineEvent.StepProgress p = progressEvent.getAndSet(null);
        if (p != null) {
            progress.setProgress(p.fraction() < 0 ? ProgressBar.INDETERMINATE_PROGRESS : p.fraction());
            status.setText(p.message());
        }
        PipelineEvent e;
        while ((e = events.poll()) != null) {
            if (e instanceof PipelineEvent.StepFinished f) {
                finished(f.step());
            } else if (e instanceof PipelineEvent.StepFailed f) {
                done();
                if (f.cancelled()) {
                    status.setText("Cancelled; the current step is unchanged.");
                } else {
                    status.setText("Step failed.");
                    showError(new EdgeFitException(EdgeFitException.Kind.INTERNAL, f.message()));
                }
            } else if (e instanceof PipelineEvent.StepReverted || e instanceof PipelineEvent.StepKept) {
                stepsTable.getItems().setAll(experiment.steps());
                refreshFit();
            }
        }
    }

    private void finished(Step s) {
        done();
        stepsTable.getItems().setAll(experiment.steps());
        Metrics m = s.metrics();
        sizeData.add(s.index(), m.fileBytes() / 1e6);
        double acc = m.accuracy() != null ? m.accuracy() * 100 : m.fidelity() != null ? m.fidelity().meanCosine() * 100 : 100;
        accuracyData.add(s.index(), acc);
        latencyData.add(s.index(), m.latencyMs().p50());
        status.setText(String.format(Locale.ROOT, "Step %d %s: %s, %s%s, p50 %.3f ms.", s.index(), s.techniqueId(),
                s.status().name().toLowerCase(Locale.ROOT), bytes(m.fileBytes()),
                m.accuracy() == null ? "" : ", accuracy " + pct(m.accuracy()), m.latencyMs().p50())
                + (s.note() == null ? "" : " " + s.note()));
        progress.setProgress(1);
        refreshFit();
    }

    private void done() {
        running = null;
        runButton.setDisable(false);
        cancelButton.setDisable(true);
        exportButton.setDisable(false);
    }

    /** Pass/fail of the current step against the selected device's constraints; no re-run needed. */
    void refreshFit() {
        fitPanel.getChildren().clear();
        Constraints c;
        try {
            c = Constraints.parse(maxSize.getText(), maxRam.getText(), maxLatency.getText());
            constraintError.setText("");
        } catch (EdgeFitException e) {
            constraintError.setText(e.getMessage());
            return;
        }
        Step cur = experiment == null ? null : experiment.current();
        DeviceProfile d = deviceBox.getValue();
        if (cur == null) {
            fitPanel.getChildren().add(new Label("Waiting for measurements."));
            return;
        }
        Label head = new Label((d == null ? "No device chosen" : d.name()) + " · step " + cur.index() + " (" + cur.techniqueId() + ")");
        head.setWrapText(true);
        fitPanel.getChildren().add(head);
        Metrics m = cur.metrics();
        List<FitCheck.ConstraintResult> results = FitCheck.check(c, m.fileBytes(), m.peakMemoryBytes(), m.latencyMs().p50());
        if (results.isEmpty()) {
            fitPanel.getChildren().add(new Label("No constraints set."));
        }
        for (FitCheck.ConstraintResult r : results) {
            Label l = new Label(String.format(Locale.ROOT, "%s %s: %s of %s%s", r.status() == FitCheck.Status.PASS ? "✔" : r.status() == FitCheck.Status.FAIL ? "✘" : "?",
                    r.name(), r.actual(), r.limit(), Double.isNaN(r.marginPct()) ? "" : String.format(Locale.ROOT, " (margin %+.0f%%)", r.marginPct())));
            l.getStyleClass().addAll("fit", "fit-" + r.status().name().toLowerCase(Locale.ROOT));
            l.setWrapText(true);
            if (r.note() != null && !r.note().isEmpty()) {
                l.setTooltip(new javafx.scene.control.Tooltip(r.note()));
            }
            fitPanel.getChildren().add(l);
        }
        Label note = new Label("Latency and memory are measured on this machine, not on the device; size is the file's bytes.");
        note.setWrapText(true);
        note.getStyleClass().add("note");
        fitPanel.getChildren().add(note);
    }

    /** Writes the current step as ONNX + ORT with a report, in the background, then offers to open the report. */
    void export() {
        if (experiment == null || experiment.current() == null || running != null) {
            return;
        }
        DirectoryChooser dc = new DirectoryChooser();
        dc.setTitle("Export folder");
        File dir = dc.showDialog(stage);
        if (dir != null) {
            exportTo(dir.toPath(), false);
        }
    }

    void exportTo(Path dir, boolean confirmedOverwrite) {
        boolean overwrite = confirmedOverwrite;
        if (!overwrite && (Files.exists(dir.resolve("model.onnx")) || Files.exists(dir.resolve("report.html")))) {
            Alert a = new Alert(Alert.AlertType.CONFIRMATION, dir + " already holds an export. Replace its files?", ButtonType.OK, ButtonType.CANCEL);
            if (a.showAndWait().orElse(ButtonType.CANCEL) != ButtonType.OK) {
                return;
            }
            overwrite = true;
        }
        Experiment ex = experiment;
        Step cur = ex.current();
        DeviceProfile d = deviceBox.getValue();
        Constraints c;
        try {
            c = Constraints.parse(maxSize.getText(), maxRam.getText(), maxLatency.getText());
        } catch (EdgeFitException e) {
            showError(e);
            return;
        }
        boolean ow = overwrite;
        exportButton.setDisable(true);
        status.setText("Exporting to " + dir + "…");
        worker.submit(() -> {
            try {
                ExportResult r = ExportService.export(new ExportService.Request(cur.snapshot(), ex.sourceFile(), dir,
                        EnumSet.of(ExportFormat.ONNX, ExportFormat.ORT), ex.data(), 64, null, ow, Map.of("step", cur.index())),
                        new dev.edgefit.common.Progress() {
                            @Override
                            public void update(double f, String msg) {
                                progressEvent.set(new PipelineEvent.StepProgress(-1, f, msg));
                            }

                            @Override
                            public boolean isCancelled() {
                                return false;
                            }
                        });
                DeploymentReport rep = ReportBuilder.from(ex, computeStats(ex.source()), d, c, r, HostInfo.detect());
                ReportWriter.writeJson(rep, dir.resolve("report.json"));
                Path html = dir.resolve("report.html");
                ReportWriter.writeHtml(rep, html);
                Platform.runLater(() -> exported(r, html));
            } catch (Exception e) {
                Platform.runLater(() -> {
                    exportButton.setDisable(false);
                    showError(e);
                });
            }
        });
    }

    private void exported(ExportResult r, Path html) {
        exportButton.setDisable(false);
        progress.setProgress(1);
        StringBuilder b = new StringBuilder();
        r.artifacts().forEach(a -> b.append(String.format(Locale.ROOT, "%s: %s, top-1 agreement %.4f%s%n", a.path().getFileName(), bytes(a.bytes()),
                a.verification().top1Agreement(), a.verification().passed() ? "" : " (FLAGGED)")));
        status.setText("Exported to " + r.dir() + ".");
        if (host != null && !Boolean.getBoolean("edgefit.noDialogs")) {
            Alert a = new Alert(Alert.AlertType.INFORMATION, b + "\nOpen the report?", ButtonType.YES, ButtonType.NO);
            a.setHeaderText("Exported and verified");
            if (a.showAndWait().orElse(ButtonType.NO) == ButtonType.YES) {
                host.showDocument(html.toUri().toString());
            }
        }
    }

    void showError(Throwable t) {
        String msg = EdgeFitException.describe(t);
        errorLabel.setText(msg);
        status.setText("Error.");
        if (!Boolean.getBoolean("edgefit.noDialogs")) {
            Alert a = new Alert(Alert.AlertType.ERROR, msg, ButtonType.OK);
            a.setHeaderText(null);
            a.setTitle("EdgeFit");
            a.show();
        }
    }

    // ---------------------------------------------------------------- recent files

    private void rememberRecent(Path model) {
        List<String> list = readRecent();
        list.remove(model.toAbsolutePath().toString());
        list.add(0, model.toAbsolutePath().toString());
        while (list.size() > 8) {
            list.remove(list.size() - 1);
        }
        worker.submit(() -> {
            try {
                AtomicFiles.writeString(RECENT, Json.write(list));
            } catch (EdgeFitException e) {
                // the list is a convenience; failing to save it must not disturb the user's work
            }
        });
        refreshRecent(list);
    }

    private static List<String> readRecent() {
        try {
            if (Files.isRegularFile(RECENT)) {
                return new ArrayList<>(List.of(Json.mapper().readValue(RECENT.toFile(), String[].class)));
            }
        } catch (Exception e) {
            // a damaged list is ignored and rewritten
        }
        return new ArrayList<>();
    }

    private void refreshRecent() {
        refreshRecent(readRecent());
    }

    private void refreshRecent(List<String> list) {
        recentMenu.getItems().clear();
        for (String s : list) {
            MenuItem i = new MenuItem(s);
            i.setOnAction(e -> open(Path.of(s), null));
            recentMenu.getItems().add(i);
        }
        recentMenu.setDisable(list.isEmpty());
    }

    // ---------------------------------------------------------------- formatting

    static String bytes(long b) {
        if (b >= 1_000_000) {
            return String.format(Locale.ROOT, "%.2f MB", b / 1e6);
        }
        if (b >= 1_000) {
            return String.format(Locale.ROOT, "%.1f kB", b / 1e3);
        }
        return b + " B";
    }

    static String pct(double v) {
        return String.format(Locale.ROOT, "%.2f%%", v * 100);
    }

    /** A scene with the workbench's stylesheet. */
    Scene scene() {
        javafx.geometry.Rectangle2D screen = javafx.stage.Screen.getPrimary().getVisualBounds();
        Scene s = new Scene(root, Math.min(1440, screen.getWidth()), Math.min(900, screen.getHeight()));
        s.getStylesheets().add(Workbench.class.getResource("workbench.css").toExternalForm());
        return s;
    }

    public void close() {
        if (experiment != null) {
            experiment.close();
        }
        worker.shutdownNow();
    }
}
