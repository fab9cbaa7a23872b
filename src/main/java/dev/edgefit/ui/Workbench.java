package dev.edgefit.ui;

import dev.edgefit.common.AppPaths;
import dev.edgefit.common.EdgeFitException;
import dev.edgefit.common.Progress;
import dev.edgefit.compress.Technique;
import dev.edgefit.compress.TechniqueRegistry;
import dev.edgefit.data.Dataset;
import dev.edgefit.data.Datasets;
import dev.edgefit.data.InputGenerator;
import dev.edgefit.data.InputOverrides;
import dev.edgefit.data.Preprocessing;
import dev.edgefit.device.Constraints;
import dev.edgefit.device.Calibration;
import dev.edgefit.device.DeviceCatalog;
import dev.edgefit.device.DeviceProfile;
import dev.edgefit.device.HostInfo;
import dev.edgefit.eval.Acceptance;
import dev.edgefit.eval.EvalConfig;
import dev.edgefit.eval.Metrics;
import dev.edgefit.export.ExportFormat;
import dev.edgefit.export.ExportResult;
import dev.edgefit.export.ExportService;
import dev.edgefit.export.tflite.TfliteConverter;
import dev.edgefit.model.ModelSnapshot;
import dev.edgefit.model.ModelStats;
import dev.edgefit.model.OnnxModels;
import dev.edgefit.pipeline.Experiment;
import dev.edgefit.pipeline.PipelineEvent;
import dev.edgefit.pipeline.Step;
import dev.edgefit.report.DeploymentReport;
import dev.edgefit.report.ReportBuilder;
import dev.edgefit.report.ReportWriter;
import dev.edgefit.runtime.OrtRunner;
import dev.edgefit.runtime.ShapeProbe;
import javafx.application.HostServices;
import javafx.application.Platform;
import javafx.beans.property.ReadOnlyObjectWrapper;
import javafx.css.PseudoClass;
import javafx.geometry.Insets;
import javafx.geometry.Orientation;
import javafx.geometry.Rectangle2D;
import javafx.scene.Scene;
import javafx.scene.control.Alert;
import javafx.scene.control.Button;
import javafx.scene.control.ButtonType;
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
import javafx.scene.control.TableRow;
import javafx.scene.control.TableView;
import javafx.scene.control.Tooltip;
import javafx.scene.input.KeyCombination;
import javafx.scene.input.TransferMode;
import javafx.scene.layout.BorderPane;
import javafx.scene.layout.HBox;
import javafx.scene.layout.Priority;
import javafx.scene.layout.Region;
import javafx.scene.layout.StackPane;
import javafx.scene.layout.VBox;
import javafx.stage.DirectoryChooser;
import javafx.stage.FileChooser;
import javafx.stage.Screen;
import javafx.stage.Stage;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * The workbench window: open a model, pick a device and its limits, apply techniques step by step while the
 * charts gain a point per step, check the fit, export with a report.
 *
 * <p>Threads: files are read, statistics computed and exports written on one background worker; steps run on the
 * experiment's own thread; the host is detected on a third. Nothing slow runs on the FX thread. Pipeline events
 * reach the FX thread through an {@link EventPump}: the latest progress replaces older ones, and at most one
 * {@code Platform.runLater} is pending however many events arrive.
 */
public final class Workbench {
    static final String SAMPLE_MODEL = "assets/models/fashion_cnn.onnx";
    static final String SAMPLE_DATA = "assets/data/fashion-mnist-2k";
    static final String DEFAULT_DEVICE = "raspberry-pi-4";
    /** System property: true turns dialogs into status-bar messages only (headless tests). */
    static final String NO_DIALOGS = "edgefit.noDialogs";

    private static final PseudoClass REJECTED = PseudoClass.getPseudoClass("rejected");
    private static final PseudoClass REVERTED = PseudoClass.getPseudoClass("reverted");
    private static final PseudoClass CURRENT = PseudoClass.getPseudoClass("current");

    private final Stage stage;
    private final HostServices host;
    private final BorderPane root = new BorderPane();
    private final ExecutorService worker = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "edgefit-ui-worker");
        t.setDaemon(true);
        return t;
    });
    final EventPump pump = new EventPump(Platform::runLater, this::onProgress, this::onEvent);
    private final RecentFiles recent = RecentFiles.inConfigFolder();

    // state, touched on the FX thread only (except liveExperiment, read by pipeline threads)
    private Experiment experiment;
    private volatile Experiment liveExperiment;
    private Path modelFile;
    private Path dataPath;
    private long modelBytes;
    private Experiment.Task running;
    private boolean exporting;
    private String exportNotes = "";
    private int opening;

    // views
    final ModelPanel model = new ModelPanel();
    final ConstraintsPane constraints = new ConstraintsPane();
    final FitPanel fit = new FitPanel();
    final StepCharts charts = new StepCharts();
    final ListView<Technique> techniqueList = new ListView<>();
    final StackPane formHolder = new StackPane();
    final Button runButton = new Button("Run step");
    /** The acceptance rule for the next steps, as text (eval.Acceptance): "accuracy>=0.95,sqnrDb>=10", "sqnrDb>=20", "none". */
    final javafx.scene.control.TextField acceptRule = new javafx.scene.control.TextField(Acceptance.forSteps().text());
    /** The step the next one is applied to: -1 for the current step (the default), else a measured step's index. */
    final javafx.scene.control.ComboBox<Integer> fromStep = new javafx.scene.control.ComboBox<>();
    final Button cancelButton = new Button("Cancel");
    final Button exportButton = new Button("Export…");
    final Button revertButton = new Button("Revert step");
    final Button keepButton = new Button("Keep anyway");
    final ProgressBar progress = new ProgressBar(0);
    final Label status = new Label("Ready.");
    final Label errorLabel = new Label();
    final Label hostLabel = new Label("Detecting this machine…");
    final TableView<Step> stepsTable = new TableView<>();
    final SensitivityView sensitivity = new SensitivityView();
    final DeviceComparisonView comparison = new DeviceComparisonView();
    final WeightsView weights = new WeightsView();
    final InputsView inputsView = new InputsView();
    /** What the user fixed about the open model's generated inputs (the Inputs tab); kept when only the data changes. */
    private InputOverrides inputs = InputOverrides.NONE;
    private final Menu recentMenu = new Menu("Recent files");
    private final MenuItem openDataItem = new MenuItem("Open data…");
    private final MenuItem exportItem = new MenuItem("Export…");

    public Workbench(Stage stage, HostServices host) {
        this.stage = stage;
        this.host = host;
        build();
        loadDevices();
        detectHost();
        updateControls();
    }

    public BorderPane root() {
        return root;
    }

    Experiment experiment() {
        return experiment;
    }

    ParamForm form() {
        return formHolder.getChildren().isEmpty() || !(formHolder.getChildren().get(0) instanceof ParamForm f) ? null : f;
    }

    // ---------------------------------------------------------------- layout

    private void build() {
        root.setTop(menu());
        BorderPane main = new BorderPane();
        main.setLeft(scroll(techniqueColumn(), 300));
        main.setRight(scroll(deviceColumn(), 280));
        main.setCenter(center());
        root.setCenter(main);

        errorLabel.setId("error-label");
        errorLabel.getStyleClass().add("error");
        errorLabel.setMinWidth(0);
        hostLabel.setId("host-label");
        hostLabel.setMinWidth(0);
        HBox bar = new HBox(16, hostLabel, new Region(), errorLabel);
        HBox.setHgrow(bar.getChildren().get(1), Priority.ALWAYS);
        HBox.setHgrow(errorLabel, Priority.SOMETIMES);
        bar.setPadding(new Insets(4, 8, 4, 8));
        bar.getStyleClass().add("status-bar");
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
                Path p = files.get(0).toPath();
                if (Files.isDirectory(p) && modelFile != null) {
                    open(modelFile, p);
                } else {
                    open(p, null);
                }
            }
            e.setDropCompleted(!files.isEmpty());
            e.consume();
        });
    }

    private static ScrollPane scroll(VBox content, double width) {
        content.setPadding(new Insets(10));
        ScrollPane sp = new ScrollPane(content);
        sp.setFitToWidth(true);
        sp.setHbarPolicy(ScrollPane.ScrollBarPolicy.NEVER);
        sp.setPrefWidth(width);
        sp.setMinWidth(width * 0.8);
        sp.getStyleClass().add("side-column");
        return sp;
    }

    private static Label section(String title) {
        Label l = new Label(title);
        l.getStyleClass().add("section-title");
        return l;
    }

    private MenuBar menu() {
        MenuItem open = new MenuItem("Open model…");
        open.setAccelerator(KeyCombination.keyCombination("Shortcut+O"));
        open.setOnAction(e -> {
            FileChooser fc = new FileChooser();
            fc.setTitle("Open an ONNX model");
            fc.getExtensionFilters().addAll(new FileChooser.ExtensionFilter("ONNX models", "*.onnx"),
                    new FileChooser.ExtensionFilter("All files", "*"));
            if (modelFile != null && modelFile.getParent() != null && Files.isDirectory(modelFile.getParent())) {
                fc.setInitialDirectory(modelFile.getParent().toFile());
            }
            File f = fc.showOpenDialog(stage);
            if (f != null) {
                open(f.toPath(), null);
            }
        });
        openDataItem.setOnAction(e -> {
            DirectoryChooser dc = new DirectoryChooser();
            dc.setTitle("Folder with images.idx3-ubyte[.gz] and labels.idx1-ubyte[.gz]");
            File d = dc.showDialog(stage);
            if (d != null && modelFile != null) {
                open(modelFile, d.toPath());
            }
        });
        exportItem.setAccelerator(KeyCombination.keyCombination("Shortcut+E"));
        exportItem.setOnAction(e -> export());
        MenuItem quit = new MenuItem("Quit");
        quit.setAccelerator(KeyCombination.keyCombination("Shortcut+Q"));
        quit.setOnAction(e -> Platform.exit());
        Menu file = new Menu("File", null, open, openDataItem, recentMenu, new SeparatorMenuItem(), exportItem,
                new SeparatorMenuItem(), quit);
        showRecent(recent.read());
        return new MenuBar(file);
    }

    private VBox techniqueColumn() {
        techniqueList.getItems().setAll(TechniqueRegistry.all());
        techniqueList.setId("technique-list");
        techniqueList.setFixedCellSize(24);
        techniqueList.setPrefHeight(techniqueList.getItems().size() * 24 + 4);
        techniqueList.setMinHeight(Region.USE_PREF_SIZE);
        techniqueList.setCellFactory(v -> new ListCell<>() {
            @Override
            protected void updateItem(Technique t, boolean empty) {
                super.updateItem(t, empty);
                setText(empty || t == null ? null : t.displayName());
                setTooltip(empty || t == null ? null : new Tooltip(t.description()));
            }
        });
        techniqueList.getSelectionModel().selectedItemProperty().addListener((o, a, t) -> {
            if (t == null) {
                formHolder.getChildren().clear();
            } else {
                ParamForm form = new ParamForm(t);
                form.validProperty().addListener((oo, was, is) -> updateControls());
                formHolder.getChildren().setAll(form);
            }
            updateControls();
        });
        techniqueList.getSelectionModel().selectFirst();
        formHolder.setMinHeight(Region.USE_PREF_SIZE);
        runButton.setId("run-button");
        runButton.setOnAction(e -> runStep());
        cancelButton.setId("cancel-button");
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
        status.setMinHeight(Region.USE_PREF_SIZE);
        acceptRule.setId("accept-rule");
        // editing the rule clears a sentence about the rule (the next action's result replaces any other)
        acceptRule.textProperty().addListener((o, a, b) -> {
            String err = errorLabel.getText();
            if (err != null && err.toLowerCase(Locale.ROOT).contains("acceptance")) {
                errorLabel.setText("");
                if (err.equals(status.getText())) {
                    status.setText("");
                }
            }
        });
        acceptRule.setTooltip(new Tooltip("Keep a step only if it meets this rule; the first figure measured decides: accuracy>=0.95 (retention, "
                + "labelled data), sqnrDb>=10 (worst output), relL2<=0.1, top1>=0.98, cosine>=0.99, comma separated; none keeps every step."));
        HBox.setHgrow(acceptRule, Priority.ALWAYS);
        HBox accept = new HBox(6, new Label("Keep if"), acceptRule);
        accept.setAlignment(javafx.geometry.Pos.CENTER_LEFT);
        fromStep.setId("from-step");
        fromStep.setTooltip(new Tooltip("The step this technique is applied to: the current one, or any earlier measured step (a new branch)."));
        fromStep.setConverter(new javafx.util.StringConverter<>() {
            @Override
            public String toString(Integer i) {
                if (i == null || i < 0) {
                    Step cur = experiment == null ? null : experiment.current();
                    return cur == null ? "current step" : "current (step " + cur.index() + ")";
                }
                Step st = experiment == null || i >= experiment.steps().size() ? null : experiment.steps().get(i);
                return st == null ? "step " + i : "step " + i + " (" + st.techniqueId() + ")";
            }

            @Override
            public Integer fromString(String t) {
                return -1;
            }
        });
        fromStep.getItems().setAll(-1);
        fromStep.setValue(-1);
        Label from = new Label("Apply to");
        fromStep.setMaxWidth(Double.MAX_VALUE);
        HBox.setHgrow(fromStep, Priority.ALWAYS);
        HBox fromRow = new HBox(6, from, fromStep);
        fromRow.setAlignment(javafx.geometry.Pos.CENTER_LEFT);
        HBox buttons = new HBox(8, runButton, cancelButton);
        buttons.setAlignment(javafx.geometry.Pos.CENTER_LEFT);
        return new VBox(8, section("Technique"), techniqueList, formHolder, accept, fromRow, buttons, progress, status);
    }

    final Button newProfile = new Button("New…");
    final Button copyProfile = new Button("Copy…");
    final Button editProfile = new Button("Edit…");

    private VBox deviceColumn() {
        constraints.onChange(this::refreshFit);
        newProfile.setTooltip(new Tooltip("Describe a device of your own; it is saved as YAML in " + DeviceCatalog.userFolder() + "."));
        copyProfile.setTooltip(new Tooltip("Start a profile of your own from the selected device."));
        editProfile.setTooltip(new Tooltip("Edit the selected profile (only profiles of your own can be edited)."));
        newProfile.setOnAction(e -> editProfile(null, false));
        copyProfile.setOnAction(e -> editProfile(constraints.deviceBox.getValue(), true));
        editProfile.setOnAction(e -> editProfile(constraints.deviceBox.getValue(), false));
        constraints.deviceBox.valueProperty().addListener((o, a, d) -> {
            copyProfile.setDisable(d == null);
            editProfile.setDisable(d == null || !DeviceCatalog.isUserProfile(d));
        });
        HBox profileButtons = new HBox(6, newProfile, copyProfile, editProfile);
        return new VBox(8, section("Target device"), constraints, profileButtons, new Region(), section("Fit of the current step"), fit);
    }

    /** Opens the profile form (new, copy or edit); saving writes the user's YAML and reloads the devices. */
    void editProfile(DeviceProfile base, boolean copy) {
        ProfileEditor ed = new ProfileEditor(base, copy);
        javafx.scene.control.Dialog<ButtonType> d = new javafx.scene.control.Dialog<>();
        d.initOwner(stage);
        d.setTitle(base == null ? "New device profile" : copy ? "Copy of " + base.name() : "Edit " + base.name());
        d.getDialogPane().setContent(ed);
        ButtonType save = new ButtonType("Save", javafx.scene.control.ButtonBar.ButtonData.OK_DONE);
        d.getDialogPane().getButtonTypes().addAll(save, ButtonType.CANCEL);
        d.getDialogPane().lookupButton(save).addEventFilter(javafx.event.ActionEvent.ACTION, ev -> {
            try {
                profileSaved(ed.save());
            } catch (EdgeFitException ex) {
                ed.error.setText(ex.getMessage());
                ev.consume();
            }
        });
        d.show();
    }

    /** Reloads the devices after a profile was saved and selects it. */
    void profileSaved(Path file) {
        String id = file.getFileName().toString().replaceFirst("\\.yaml$", "");
        loadDevices();
        detectHost();
        constraints.deviceBox.getItems().stream().filter(p -> p.id().equals(id)).findFirst().ifPresent(constraints.deviceBox::setValue);
        status.setText("Saved the device profile " + file + ".");
    }

    private VBox center() {
        stepsTable.setId("steps-table");
        stepsTable.getColumns().setAll(List.of(
                col("#", s -> (isCurrent(s) ? "▸ " : "") + s.index(), 36),
                col("From", s -> s.parent() < 0 ? "" : String.valueOf(s.parent()), 44),
                col("Technique", Step::displayName, 170),
                col("Parameters", s -> Formats.params(s.params()), 100),
                col("Status", this::statusText, 72),
                col("Size", s -> Formats.bytes(s.metrics().fileBytes()), 85),
                col("Accuracy", s -> s.metrics().accuracy() == null ? "n/m" : Formats.pct(s.metrics().accuracy()), 75),
                col("Fidelity", s -> s.metrics().fidelity() == null ? (s.index() == 0 ? "itself" : "n/m") : Formats.fidelity(s.metrics().fidelity()), 110),
                col("Decided by", s -> s.decidedBy() == null ? (s.index() == 0 ? "" : "–") : s.decidedBy(), 80),
                col("p50 / p99 ms", s -> s.metrics().latencyMs() == null ? "n/m"
                        : Formats.ms(s.metrics().latencyMs().p50()) + " / " + Formats.ms(s.metrics().latencyMs().p99()), 110),
                col("Peak RAM", s -> s.metrics().peakMemoryBytes() == null ? "n/m" : Formats.bytes(s.metrics().peakMemoryBytes()), 85)));
        stepsTable.getColumns().get(0).setStyle("-fx-alignment: CENTER-RIGHT;");
        stepsTable.getColumns().get(1).setStyle("-fx-alignment: CENTER-RIGHT;");
        // columns keep their widths (a narrow window scrolls the table sideways rather than cut every number
        // short); the parameters column takes any width to spare
        stepsTable.setColumnResizePolicy(TableView.UNCONSTRAINED_RESIZE_POLICY);
        TableColumn<Step, ?> params = stepsTable.getColumns().get(3);
        double others = stepsTable.getColumns().stream().filter(c -> c != params).mapToDouble(TableColumn::getPrefWidth).sum();
        params.prefWidthProperty().bind(javafx.beans.binding.Bindings.max(100.0, stepsTable.widthProperty().subtract(others + 18)));
        stepsTable.setPlaceholder(new Label("The original model is measured as step 0 when it opens; then run a technique."));
        stepsTable.setRowFactory(t -> new TableRow<>() {
            @Override
            protected void updateItem(Step s, boolean empty) {
                super.updateItem(s, empty);
                pseudoClassStateChanged(REJECTED, !empty && s != null && s.status() == Step.Status.REJECTED);
                pseudoClassStateChanged(REVERTED, !empty && s != null && s.status() == Step.Status.REVERTED);
                pseudoClassStateChanged(CURRENT, !empty && s != null && isCurrent(s));
            }
        });
        stepsTable.getSelectionModel().selectedItemProperty().addListener((o, a, st) -> {
            sensitivity.show(st);
            updateControls();
        });
        revertButton.setId("revert-button");
        revertButton.setTooltip(new Tooltip("Undo the selected step: if it is the current step, the next step builds on its parent."));
        revertButton.setOnAction(e -> {
            Step s = stepsTable.getSelectionModel().getSelectedItem();
            if (s != null && experiment != null) {
                act(() -> experiment.revert(s.index()));
            }
        });
        keepButton.setId("keep-button");
        keepButton.setTooltip(new Tooltip("Keep a step that was rejected for losing too much accuracy."));
        keepButton.setOnAction(e -> {
            Step s = stepsTable.getSelectionModel().getSelectedItem();
            if (s != null && experiment != null) {
                act(() -> experiment.keep(s.index()));
            }
        });
        exportButton.setId("export-button");
        exportButton.setTooltip(new Tooltip("Write the current step as ONNX and ORT files, verified, with a report."));
        exportButton.setOnAction(e -> export());
        HBox stepButtons = new HBox(8, revertButton, keepButton, new Region(), exportButton);
        HBox.setHgrow(stepButtons.getChildren().get(2), Priority.ALWAYS);
        stepButtons.setPadding(new Insets(6, 0, 0, 0));
        VBox stepsBox = new VBox(stepsTable, stepButtons);
        VBox.setVgrow(stepsTable, Priority.ALWAYS);
        stepsBox.setPadding(new Insets(6));

        TabPane tabs = new TabPane(new Tab("Steps", stepsBox), new Tab("Model", model), new Tab("Sensitivity", sensitivity),
                new Tab("Weights", weights), new Tab("Devices", comparison), new Tab("Inputs", inputsView));
        tabs.setId("center-tabs");
        inputsView.setOnApply(o -> {
            if (modelFile != null) {
                open(modelFile, dataPath, o);
            }
        });
        tabs.getSelectionModel().selectedItemProperty().addListener((o, a, b) -> weights.setActive(b != null && b.getContent() == weights));
        tabs.setTabClosingPolicy(TabPane.TabClosingPolicy.UNAVAILABLE);
        SplitPane split = new SplitPane(charts.node(), tabs);
        split.setOrientation(Orientation.VERTICAL);
        split.setDividerPositions(0.45);
        VBox.setVgrow(split, Priority.ALWAYS);
        VBox.setMargin(model.header, new Insets(6, 10, 2, 10));
        return new VBox(model.header, split);
    }

    /** A cell that shows its whole text as a tooltip, for texts wider than the column. */
    private static <T> javafx.scene.control.TableCell<T, String> tooltipCell() {
        return new javafx.scene.control.TableCell<>() {
            @Override
            protected void updateItem(String item, boolean empty) {
                super.updateItem(item, empty);
                setText(empty ? null : item);
                setTooltip(empty || item == null || item.isEmpty() ? null : new Tooltip(item));
            }
        };
    }

    private String statusText(Step s) {
        return s.status().name().toLowerCase(Locale.ROOT) + (s.note() == null ? "" : ": " + s.note());
    }

    /** The step the next technique builds on (marked ▸ and bold in the table). */
    private boolean isCurrent(Step s) {
        return experiment != null && experiment.current() != null && experiment.current().index() == s.index();
    }

    private static TableColumn<Step, String> col(String name, Function<Step, String> f, double width) {
        TableColumn<Step, String> c = new TableColumn<>(name);
        c.setCellValueFactory(v -> new ReadOnlyObjectWrapper<>(f.apply(v.getValue())));
        c.setPrefWidth(width);
        c.setSortable(false);
        c.setCellFactory(x -> tooltipCell());
        return c;
    }

    // ---------------------------------------------------------------- devices and host

    private void loadDevices() {
        List<DeviceProfile> list = new ArrayList<>();
        try {
            DeviceCatalog catalog = DeviceCatalog.withUserProfiles();
            list.addAll(catalog.profiles());
            catalog.problems().stream().findFirst().ifPresent(p -> errorLabel.setText(p.message()));
        } catch (EdgeFitException e) {
            errorLabel.setText(EdgeFitException.describe(e));
        }
        constraints.setDevices(list, DEFAULT_DEVICE);
        comparison.setDevices(list, Calibration.of(list));
    }

    /** OSHI takes a moment on first use: detect on a thread of its own, then add "this machine" to the devices. */
    private void detectHost() {
        Thread t = new Thread(() -> {
            try {
                HostInfo h = HostInfo.detect();
                DeviceProfile me = h.thisMachine();
                String text = String.format(Locale.ROOT, "This machine: %s · %d cores (%d threads) · %s RAM · %s · %s",
                        h.cpuModel(), h.physicalCores(), h.logicalCores(), Constraints.formatBytes(h.totalRamBytes()),
                        h.os(), OrtRunner.version());
                Platform.runLater(() -> {
                    hostLabel.setText(text);
                    hostLabel.setTooltip(new Tooltip(text));
                    List<DeviceProfile> devices = new ArrayList<>(constraints.deviceBox.getItems());
                    devices.removeIf(d -> d.id().equals(HostInfo.THIS_MACHINE));
                    devices.add(me);
                    constraints.setDevices(devices, DEFAULT_DEVICE);
                    comparison.setDevices(devices, Calibration.of(devices));
                });
            } catch (RuntimeException | LinkageError e) {
                Platform.runLater(() -> hostLabel.setText("This machine could not be read: " + EdgeFitException.describe(e)));
            }
        }, "edgefit-host");
        t.setDaemon(true);
        t.start();
    }

    // ---------------------------------------------------------------- opening

    /** Opens a model (with a dataset; for the bundled sample, its data) in the background, then measures it as step 0. */
    public void open(Path modelPath, Path data) {
        boolean sameModel = modelFile != null && modelFile.equals(modelPath);
        open(modelPath, data, sameModel ? inputs : InputOverrides.NONE);
    }

    /** Opens a model with these fixed input shapes and values (the Inputs tab), measuring it again as step 0. */
    public void open(Path modelPath, Path data, InputOverrides fixedInputs) {
        if (running != null) {
            running.cancel();
        }
        errorLabel.setText("");
        status.setText("Opening " + modelPath.getFileName() + "…");
        progress.setProgress(ProgressBar.INDETERMINATE_PROGRESS);
        opening++;
        updateControls();
        Path dataToUse = data != null ? data : defaultData(modelPath);
        worker.submit(() -> {
            try {
                ModelSnapshot snap = OnnxModels.load(modelPath);
                long bytes = Files.size(modelPath);
                Dataset ds = null;
                if (dataToUse != null) {
                    String pp = snap.metadata(Preprocessing.METADATA_KEY);
                    ds = Datasets.open(dataToUse, pp == null ? Preprocessing.DEFAULT : Preprocessing.fromJson(pp));
                }
                Path work = Files.createTempDirectory("edgefit-work");
                Experiment ex = new Experiment(modelPath, ds, EvalConfig.defaults().withRuns(5, 50).withInputs(fixedInputs), work);
                Dataset dataset = ds;
                Platform.runLater(() -> opened(ex, modelPath, bytes, snap, dataset, dataToUse));
                ModelStats stats = computeStats(snap, fixedInputs);
                Platform.runLater(() -> {
                    if (ex == experiment) {
                        model.showStats(modelPath, bytes, snap, dataset, stats);
                    }
                });
            } catch (Exception | LinkageError e) {
                Platform.runLater(() -> {
                    opening--;
                    progress.setProgress(0);
                    updateControls();
                    if (experiment == null) {
                        model.showError(EdgeFitException.describe(e));
                    }
                    showError(e);
                });
            }
        });
    }

    /** Opens a dataset folder for the open model: a new experiment, measured again from step 0. */
    public void openData(Path data) {
        if (modelFile != null) {
            open(modelFile, data);
        }
    }

    private static Path defaultData(Path modelPath) {
        Path sample = AppPaths.find(SAMPLE_MODEL).orElse(null);
        try {
            if (sample != null && Files.exists(modelPath) && Files.isSameFile(sample, modelPath)) {
                return AppPaths.find(SAMPLE_DATA).orElse(null);
            }
        } catch (IOException e) {
            return null;
        }
        return null;
    }

    /** Statistics with shapes from one run of the graph; without shapes (the run failed) MACs stay unknown. */
    static ModelStats computeStats(ModelSnapshot snap, InputOverrides fixedInputs) {
        try {
            return ModelStats.compute(snap, ShapeProbe.probe(snap, new InputGenerator(snap, fixedInputs).generate(0)));
        } catch (RuntimeException e) {
            return ModelStats.compute(snap, Map.of());
        }
    }

    private void opened(Experiment ex, Path modelPath, long bytes, ModelSnapshot snap, Dataset ds, Path data) {
        opening--;
        if (experiment != null) {
            retire(experiment);
        }
        experiment = ex;
        liveExperiment = ex;
        ex.addListener(e -> {
            if (liveExperiment == ex) {
                pump.post(e);
            }
        });
        modelFile = modelPath;
        modelBytes = bytes;
        dataPath = data;
        stage.setTitle("EdgeFit — " + modelPath.getFileName());
        stepsTable.getItems().clear();
        charts.reset(ds != null && ds.labelled());
        model.showFile(modelPath, bytes, snap, ds);
        weights.setModel(ex.source());
        inputs = ex.inputs();
        inputsView.setModel(snap, inputs, ds != null);
        comparison.setInputs(inputs);
        remember(modelPath);
        startTask(ex.measureOriginal(), "Measuring the original model");
    }

    /** Stops an experiment that was replaced and deletes its working files (never the user's model). */
    private void retire(Experiment ex) {
        ex.close();
        Path work = ex.workDir();
        worker.submit(() -> deleteTree(work));
    }

    private static void deleteTree(Path dir) {
        if (dir == null || !Files.isDirectory(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException ignored) {
                    // a step file still open elsewhere stays in the temp folder
                }
            });
        } catch (IOException ignored) {
            // best effort: these are our own temporary files
        }
    }

    // ---------------------------------------------------------------- steps

    private void runStep() {
        ParamForm form = form();
        if (experiment == null || running != null || form == null) {
            return;
        }
        int base = fromStep.getValue() == null ? -1 : fromStep.getValue();
        String why = experiment.precheck(form.technique(), base);
        if (why != null) {
            showError(new EdgeFitException(EdgeFitException.Kind.NOT_APPLICABLE, why));
            return;
        }
        try {
            experiment.setAcceptance(Acceptance.parse(acceptRule.getText(), Acceptance.forSteps()));
            startTask(experiment.run(form.technique(), form.params(), base), form.technique().displayName()
                    + (base < 0 ? "" : " from step " + base));
            fromStep.setValue(-1); // the next step builds on the current one unless another is chosen again
        } catch (EdgeFitException e) {
            showError(e);
        }
    }

    private void startTask(Experiment.Task t, String what) {
        running = t;
        progress.setProgress(0);
        status.setText(what + "…");
        errorLabel.setText("");
        updateControls();
        // a step that ends without a finished or failed event (an Error on the pipeline thread) still frees the UI;
        // this is one runLater per step, queued after the step's own events
        t.result().whenComplete((s, err) -> Platform.runLater(() -> {
            if (running == t) {
                running = null;
                updateControls();
                if (err != null) {
                    showError(err);
                }
            }
        }));
    }

    private void act(Runnable r) {
        try {
            r.run();
        } catch (EdgeFitException e) {
            showError(e);
        }
    }

    private void onProgress(PipelineEvent.StepProgress p) {
        if (running == null && !exporting) {
            return; // a late progress event of a step that has finished
        }
        progress.setProgress(p.fraction() < 0 ? ProgressBar.INDETERMINATE_PROGRESS : Math.min(1, p.fraction()));
        if (p.message() != null && !p.message().isEmpty()) {
            status.setText(p.message());
        }
    }

    private void onEvent(PipelineEvent e) {
        if (experiment == null) {
            return;
        }
        if (e instanceof PipelineEvent.StepFinished f) {
            finished(f.step());
        } else if (e instanceof PipelineEvent.StepFailed f) {
            running = null;
            progress.setProgress(0);
            if (f.cancelled()) {
                status.setText("Cancelled; the current step is unchanged.");
            } else {
                status.setText("The step failed; the current step is unchanged.");
                showError(new EdgeFitException(EdgeFitException.Kind.INTERNAL, f.message()));
            }
            updateControls();
        } else if (e instanceof PipelineEvent.StepReverted || e instanceof PipelineEvent.StepKept) {
            refreshSteps();
            charts.show(experiment.steps());
            // the step now current is selected, so that Revert, Keep and the Sensitivity tab act on it without a click
            selectStep(experiment.current());
            weights.showStep(experiment.current());
            status.setText(e instanceof PipelineEvent.StepReverted r ? "Step " + r.stepIndex() + " reverted; the next step builds on step "
                    + experiment.current().index() + "." : "Step " + ((PipelineEvent.StepKept) e).stepIndex() + " kept.");
            refreshFit();
            updateControls();
        }
    }

    private void finished(Step s) {
        running = null;
        refreshSteps();
        charts.show(experiment.steps());
        selectStep(s);
        weights.showStep(experiment.current());
        Metrics m = s.metrics();
        String quality = m.accuracy() != null ? ", accuracy " + Formats.pct(m.accuracy())
                : m.fidelity() != null ? ", " + Formats.fidelity(m.fidelity()) : "";
        status.setText(String.format(Locale.ROOT, "Step %d (%s): %s%s, p50 %s ms on this machine.", s.index(), s.displayName(),
                Formats.bytes(m.fileBytes()), quality, m.latencyMs() == null ? "n/m" : Formats.ms(m.latencyMs().p50()))
                + (s.note() == null ? "" : " " + s.note()) + summary(s));
        progress.setProgress(1);
        refreshFit();
        updateControls();
    }

    /** A technique's own one-line account of the step (e.g. which operators run in float16 here), with a space before it. */
    private static String summary(Step s) {
        StringBuilder b = new StringBuilder();
        s.details().values().forEach(v -> {
            if (v instanceof Map<?, ?> d && d.get("summary") instanceof String text) {
                b.append(' ').append(text);
            }
        });
        return b.toString();
    }

    private void refreshSteps() {
        Step selected = stepsTable.getSelectionModel().getSelectedItem();
        List<Step> steps = experiment.steps();
        stepsTable.getItems().setAll(steps);
        stepsTable.refresh();
        if (selected != null) {
            steps.stream().filter(x -> x.index() == selected.index()).findFirst().ifPresent(x -> stepsTable.getSelectionModel().select(x));
        }
        // the "from step" choices: the current step, then every measured step; a choice that is gone falls back to current
        Integer chosen = fromStep.getValue();
        List<Integer> choices = new java.util.ArrayList<>(List.of(-1));
        steps.stream().filter(Step::isMeasured).forEach(x -> choices.add(x.index()));
        fromStep.getItems().setAll(choices);
        int value = chosen != null && choices.contains(chosen) ? chosen : -1;
        fromStep.setValue(null); // the label of "current" changes with the current step: set it again
        fromStep.setValue(value);
    }

    /** Selects {@code s} in the Steps table (the Sensitivity tab and Revert/Keep follow the selection). */
    private void selectStep(Step s) {
        if (s == null) {
            return;
        }
        stepsTable.getItems().stream().filter(x -> x.index() == s.index()).findFirst().ifPresent(x -> {
            stepsTable.getSelectionModel().select(x);
            stepsTable.scrollTo(x);
        });
    }

    /** Fit of the current step on the selected device, from the measured figures (nothing is run again). */
    void refreshFit() {
        Step cur = experiment == null ? null : experiment.current();
        fit.show(constraints.deviceBox.getValue(), cur, constraints.constraints(), running != null);
        comparison.show(cur, experiment == null ? List.of() : experiment.steps());
        comparison.estimateOne(constraints.deviceBox.getValue(), cur, fit::showEstimate);
    }

    private void updateControls() {
        boolean busy = running != null || exporting || opening > 0;
        boolean measured = experiment != null && experiment.current() != null;
        ParamForm form = form();
        runButton.setDisable(busy || !measured || form == null || !form.validProperty().get());
        cancelButton.setDisable(running == null);
        exportButton.setDisable(busy || !measured);
        exportItem.setDisable(busy || !measured);
        openDataItem.setDisable(modelFile == null);
        Step sel = stepsTable.getSelectionModel().getSelectedItem();
        revertButton.setDisable(busy || sel == null || sel.index() == 0
                || (sel.status() != Step.Status.DONE && sel.status() != Step.Status.REJECTED));
        keepButton.setDisable(busy || sel == null || sel.status() != Step.Status.REJECTED);
    }

    // ---------------------------------------------------------------- export

    /**
     * The export dialog: a folder, the formats the selected device takes (the ones the step cannot be converted to
     * disabled, with the reason), the Core ML notice, verification lines as each artifact finishes, the results and
     * a button that opens the folder.
     */
    void export() {
        if (experiment == null || experiment.current() == null || running != null || exporting) {
            return;
        }
        DeviceProfile d = constraints.deviceBox.getValue();
        ExportPane pane = new ExportPane(d == null ? null : d.name());
        pane.show(ExportPane.propose(d, experiment.current().snapshot()));
        pane.browse.setOnAction(e -> {
            DirectoryChooser dc = new DirectoryChooser();
            dc.setTitle("Export the current step to a folder");
            File dir = dc.showDialog(pane.getScene().getWindow());
            if (dir != null) {
                pane.folder.setText(dir.toString());
            }
        });
        pane.exportButton.setOnAction(e -> {
            String text = pane.folder.getText().trim();
            if (text.isEmpty()) {
                pane.failed("Choose a folder to export into.");
                return;
            }
            if (pane.chosen().isEmpty()) {
                pane.failed("Tick at least one format.");
                return;
            }
            Path dir = Path.of(text);
            Boolean ow = confirmOverwrite(dir, pane.getScene().getWindow());
            if (ow != null) {
                runExport(dir, pane.chosen(), ow, pane);
            }
        });
        pane.openFolder.setOnAction(e -> {
            if (host != null) {
                host.showDocument(Path.of(pane.folder.getText().trim()).toUri().toString());
            }
        });
        Stage dialog = new Stage();
        dialog.initOwner(stage);
        dialog.setTitle("Export step " + experiment.current().index() + " (" + experiment.current().displayName() + ")");
        Scene scene = new Scene(pane);
        scene.getStylesheets().addAll(root.getScene() == null ? List.of() : root.getScene().getStylesheets());
        dialog.setScene(scene);
        dialog.show();
    }

    /**
     * True to replace an earlier export's files, false for an empty folder, null when the user declines (or, without
     * dialogs, when the folder holds files: then one sentence says so).
     */
    private Boolean confirmOverwrite(Path dir, javafx.stage.Window owner) {
        boolean holds;
        try (var s = Files.exists(dir) ? Files.list(dir) : java.util.stream.Stream.<Path>empty()) {
            holds = s.findAny().isPresent();
        } catch (java.io.IOException e) {
            showError(EdgeFitException.io(dir, "could not be read (" + e.getMessage() + ")", e));
            return null;
        }
        if (!holds) {
            return false;
        }
        if (Boolean.getBoolean(NO_DIALOGS)) {
            showError(EdgeFitException.badParameter(dir + " is not empty; choose an empty folder."));
            return null;
        }
        Alert a = new Alert(Alert.AlertType.CONFIRMATION, dir + " is not empty. Replace the files an export writes there?", ButtonType.OK,
                ButtonType.CANCEL);
        a.initOwner(owner);
        return a.showAndWait().orElse(ButtonType.CANCEL) == ButtonType.OK ? Boolean.TRUE : null;
    }

    /** Writes the current step in the formats the selected device takes (no dialog), with report.html and report.json. */
    void exportTo(Path dir, boolean confirmedOverwrite) {
        Boolean ow = confirmedOverwrite ? Boolean.TRUE : confirmOverwrite(dir, stage);
        if (ow == null || experiment == null || experiment.current() == null) {
            return;
        }
        ExportPane.Proposal p = ExportPane.propose(constraints.deviceBox.getValue(), experiment.current().snapshot());
        exportNotes = p.impossible().isEmpty() ? "" : " Not produced: " + String.join("; ", p.impossible().values().stream().distinct().toList()) + ".";
        runExport(dir, p.formats(), ow, null);
    }

    private void runExport(Path dir, java.util.Set<ExportFormat> formats, boolean overwrite, ExportPane pane) {
        Constraints c;
        try {
            c = constraints.constraintsOrThrow();
        } catch (EdgeFitException e) {
            showError(e);
            return;
        }
        Experiment ex = experiment;
        Step cur = ex.current();
        DeviceProfile d = constraints.deviceBox.getValue();
        exporting = true;
        updateControls();
        errorLabel.setText("");
        status.setText("Exporting step " + cur.index() + " to " + dir + "…");
        progress.setProgress(0);
        if (pane != null) {
            pane.started();
        }
        java.util.concurrent.atomic.AtomicBoolean pending = new java.util.concurrent.atomic.AtomicBoolean();
        java.util.concurrent.atomic.AtomicReference<double[]> latestFraction = new java.util.concurrent.atomic.AtomicReference<>(new double[] {0});
        java.util.concurrent.ConcurrentLinkedQueue<String> lines = new java.util.concurrent.ConcurrentLinkedQueue<>();
        worker.submit(() -> {
            try {
                ExportResult r = ExportService.export(new ExportService.Request(cur.snapshot(), ex.sourceFile(), dir,
                        formats, ex.data(), 64, null, overwrite, ex.recipe(cur.index()).toMap(), d, ExportService.DEFAULT_CALIBRATION_SAMPLES,
                        ex.inputs()),
                        new Progress() {
                            private String last;

                            @Override
                            public void update(double f, String msg) {
                                pump.post(new PipelineEvent.StepProgress(-1, f, msg));
                                if (pane == null) {
                                    return;
                                }
                                // verification lines are kept; other messages only when they change; one UI task at a time
                                latestFraction.set(new double[] {f});
                                if (msg != null && !msg.equals(last)) {
                                    last = msg;
                                    lines.add(msg);
                                }
                                if (pending.compareAndSet(false, true)) {
                                    Platform.runLater(() -> {
                                        pending.set(false);
                                        for (String l; (l = lines.poll()) != null; ) {
                                            pane.progress(latestFraction.get()[0], l);
                                        }
                                        pane.progress(latestFraction.get()[0], null);
                                    });
                                }
                            }

                            @Override
                            public boolean isCancelled() {
                                return false;
                            }
                        });
                DeploymentReport rep = ReportBuilder.from(ex, computeStats(ex.source(), ex.inputs()), d, c, r, HostInfo.detect());
                ReportWriter.writeJson(rep, dir.resolve("report.json"));
                Path html = dir.resolve("report.html");
                ReportWriter.writeHtml(rep, html);
                Platform.runLater(() -> {
                    if (pane != null) {
                        for (String l; (l = lines.poll()) != null; ) {
                            pane.progress(1, l);
                        }
                        pane.finished(r, html);
                    }
                    exported(r, html, pane == null);
                });
            } catch (Exception | LinkageError e) {
                Platform.runLater(() -> {
                    exporting = false;
                    progress.setProgress(0);
                    updateControls();
                    if (pane != null) {
                        pane.failed(EdgeFitException.describe(e));
                    }
                    showError(e);
                });
            }
        });
    }

    private void exported(ExportResult r, Path html, boolean offerReport) {
        exporting = false;
        progress.setProgress(1);
        StringBuilder b = new StringBuilder();
        boolean flagged = false;
        for (var a : r.artifacts()) {
            flagged |= a.verification() != null && !a.verification().passed();
            b.append(a.summary()).append('\n');
        }
        status.setText("Exported to " + r.dir() + (flagged ? "; an artifact is flagged, see the report." : ".") + exportNotes);
        exportNotes = "";
        updateControls(); // after the status, so whoever sees the buttons back sees the final status too
        if (offerReport && !Boolean.getBoolean(NO_DIALOGS)) {
            Alert a = new Alert(Alert.AlertType.INFORMATION, b + "\n" + ExportFormat.COREML_NOTE + "\n\nOpen the report?",
                    ButtonType.YES, ButtonType.NO);
            a.initOwner(stage);
            a.setTitle("EdgeFit");
            a.setHeaderText(flagged ? "Exported; verification flagged an artifact" : "Exported and verified");
            if (a.showAndWait().orElse(ButtonType.NO) == ButtonType.YES && host != null) {
                host.showDocument(html.toUri().toString());
            }
        }
    }

    // ---------------------------------------------------------------- errors

    /** One sentence (never a stack trace) in the status bar, and in a dialog unless dialogs are off. */
    void showError(Throwable t) {
        String msg = EdgeFitException.describe(t);
        errorLabel.setText(msg);
        errorLabel.setTooltip(new Tooltip(msg));
        status.setText(msg);
        if (!Boolean.getBoolean(NO_DIALOGS)) {
            Alert a = new Alert(Alert.AlertType.ERROR, msg, ButtonType.OK);
            a.initOwner(stage);
            a.setHeaderText(null);
            a.setTitle("EdgeFit");
            a.show();
        }
    }

    // ---------------------------------------------------------------- recent files

    private void remember(Path modelPath) {
        List<String> list = recent.with(modelPath);
        showRecent(list);
        worker.submit(() -> {
            try {
                recent.save(list);
            } catch (EdgeFitException e) {
                // the list is a convenience; failing to save it must not disturb the user's work
            }
        });
    }

    private void showRecent(List<String> list) {
        recentMenu.getItems().clear();
        for (String s : list) {
            MenuItem i = new MenuItem(s);
            i.setMnemonicParsing(false);
            i.setOnAction(e -> open(Path.of(s), null));
            recentMenu.getItems().add(i);
        }
        recentMenu.setDisable(list.isEmpty());
    }

    // ---------------------------------------------------------------- window

    /** A scene with the workbench's stylesheet, sized to the screen. */
    Scene scene() {
        Rectangle2D screen = Screen.getPrimary().getVisualBounds();
        Scene s = new Scene(root, Math.min(1440, screen.getWidth()), Math.min(900, screen.getHeight()));
        s.getStylesheets().add(Workbench.class.getResource("workbench.css").toExternalForm());
        return s;
    }

    public void close() {
        if (running != null) {
            running.cancel();
        }
        worker.shutdownNow();
        weights.close();
        if (experiment != null) {
            experiment.close();
            deleteTree(experiment.workDir());
        }
    }
}
