package dev.edgefit.ui;

import dev.edgefit.device.DeviceProfile;
import dev.edgefit.export.Artifact;
import dev.edgefit.export.Verification;
import dev.edgefit.export.ExportFormat;
import dev.edgefit.export.ExportResult;
import dev.edgefit.export.tflite.TfliteConverter;
import dev.edgefit.model.ModelSnapshot;
import javafx.beans.property.ReadOnlyObjectWrapper;
import javafx.geometry.Insets;
import javafx.geometry.Pos;
import javafx.scene.control.Button;
import javafx.scene.control.CheckBox;
import javafx.scene.control.Label;
import javafx.scene.control.ListView;
import javafx.scene.control.ProgressBar;
import javafx.scene.control.TableColumn;
import javafx.scene.control.TableView;
import javafx.scene.control.TextField;
import javafx.scene.control.Tooltip;
import javafx.scene.layout.GridPane;
import javafx.scene.layout.HBox;
import javafx.scene.layout.Priority;
import javafx.scene.layout.VBox;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * The export dialog's content: a folder, the formats (those the selected device takes are proposed; those the
 * model cannot be converted to are disabled with the reason), the Core ML notice, then the verification of each
 * artifact as it finishes and a table of the results, and a button that opens the folder.
 */
final class ExportPane extends VBox {
    /** Formats proposed for a device and the step, with a sentence for each one that cannot be produced. */
    record Proposal(Set<ExportFormat> formats, Map<ExportFormat, String> impossible) {
    }

    final TextField folder = new TextField();
    final Button browse = new Button("Choose…");
    final Map<ExportFormat, CheckBox> checks = new EnumMap<>(ExportFormat.class);
    final Button exportButton = new Button("Export and verify");
    final Button openFolder = new Button("Open folder");
    final ProgressBar progress = new ProgressBar(0);
    final ListView<String> log = new ListView<>();
    final TableView<Artifact> results = new TableView<>();
    final Label message = new Label();

    ExportPane(String deviceName) {
        super(8);
        setPadding(new Insets(10));
        setId("export-pane");
        setPrefWidth(820);
        folder.setPromptText("folder to write into");
        folder.setId("export-folder");
        HBox.setHgrow(folder, Priority.ALWAYS);
        HBox where = new HBox(6, new Label("Folder:"), folder, browse);
        where.setAlignment(Pos.CENTER_LEFT);

        GridPane grid = new GridPane();
        grid.setHgap(12);
        grid.setVgap(4);
        int r = 0;
        for (ExportFormat f : ExportFormat.values()) {
            CheckBox c = new CheckBox(f.id());
            c.setId("format-" + f.id());
            checks.put(f, c);
            Label d = new Label(f.description());
            d.getStyleClass().add("note");
            grid.add(c, 0, r);
            grid.add(d, 1, r++);
        }
        Label formatsTitle = new Label("Formats" + (deviceName == null ? "" : " (proposed for " + deviceName + ")"));
        formatsTitle.getStyleClass().add("section-title");
        Label coreml = new Label(ExportFormat.COREML_NOTE);
        coreml.setWrapText(true);
        coreml.getStyleClass().add("note");
        coreml.setId("coreml-note");

        exportButton.setId("export-run");
        openFolder.setId("export-open-folder");
        openFolder.setDisable(true);
        progress.setMaxWidth(Double.MAX_VALUE);
        HBox.setHgrow(progress, Priority.ALWAYS);
        HBox actions = new HBox(8, exportButton, progress, openFolder);
        actions.setAlignment(Pos.CENTER_LEFT);
        message.setWrapText(true);
        message.setId("export-message");

        log.setId("export-log");
        log.setPrefHeight(120);
        results.setId("export-results");
        results.setPrefHeight(170);
        results.setPlaceholder(new Label("Each artifact is run and compared with the source before it is listed here."));
        results.getColumns().setAll(List.of(
                col("file", a -> a.path().getFileName().toString(), 170),
                col("format", Artifact::format, 110),
                col("precision", Artifact::precision, 80),
                col("bytes", a -> String.format(Locale.ROOT, "%,d", a.bytes()), 80),
                col("SQNR", a -> a.verification() == null ? "–" : a.verification().sqnrText(), 70),
                col("top-1 agr.", a -> a.verification() == null ? "–" : Verification.text(a.verification().top1Agreement(), "%.4f"), 75),
                col("cosine", a -> a.verification() == null ? "–" : Verification.text(a.verification().meanCosine(), "%.6f"), 75),
                col("max diff", a -> a.verification() == null ? "–" : String.format(Locale.ROOT, "%.3g", a.verification().maxAbsDiff()), 65),
                col("accuracy", a -> a.verification() == null || a.verification().accuracy() == null ? "–"
                        : String.format(Locale.ROOT, "%.2f%%", a.verification().accuracy() * 100), 65),
                col("verdict", a -> a.verification() == null ? "not run" : (a.verification().passed() ? "verified" : "FLAGGED")
                        + (a.verification().decidedBy() == null ? "" : " (" + a.verification().decidedBy() + ")"), 110)));
        getChildren().addAll(where, formatsTitle, grid, coreml, actions, message, log, results);
    }

    private static TableColumn<Artifact, String> col(String name, Function<Artifact, String> f, double width) {
        TableColumn<Artifact, String> c = new TableColumn<>(name);
        c.setCellValueFactory(v -> new ReadOnlyObjectWrapper<>(f.apply(v.getValue())));
        c.setPrefWidth(width);
        c.setSortable(false);
        return c;
    }

    /**
     * ONNX and ORT always; the TFLite files, TFLite Micro source and TensorRT bundle when the device takes those
     * formats; a TFLite format is impossible, with the nodes that stop it, when the graph has operators the converter
     * does not take.
     */
    static Proposal propose(DeviceProfile d, ModelSnapshot snap) {
        Set<ExportFormat> formats = EnumSet.of(ExportFormat.ONNX, ExportFormat.ORT);
        Map<ExportFormat, String> impossible = new EnumMap<>(ExportFormat.class);
        List<String> unsupported = TfliteConverter.unsupportedNodes(snap);
        if (!unsupported.isEmpty()) {
            String why = "TFLite does not take " + String.join(", ", unsupported.subList(0, Math.min(3, unsupported.size())))
                    + (unsupported.size() > 3 ? ", …" : "") + "; ship ONNX or ORT instead";
            for (ExportFormat f : List.of(ExportFormat.TFLITE, ExportFormat.TFLITE_FP16, ExportFormat.TFLITE_INT8_WEIGHTS,
                    ExportFormat.TFLITE_INT8, ExportFormat.TFLITE_MICRO)) {
                impossible.put(f, why);
            }
        }
        if (d != null) {
            if (d.supportsFormat("tflite")) {
                formats.addAll(List.of(ExportFormat.TFLITE, ExportFormat.TFLITE_INT8));
            }
            if (d.supportsFormat("tflite-micro")) {
                formats.add(ExportFormat.TFLITE_MICRO);
            }
            if (d.supportsFormat("tensorrt") || d.supportsFormat("tensorrt-bundle")) {
                formats.add(ExportFormat.TENSORRT_BUNDLE);
            }
        }
        formats.removeAll(impossible.keySet());
        return new Proposal(formats, impossible);
    }

    /** Ticks the proposed formats and disables the impossible ones with their reason. */
    void show(Proposal p) {
        checks.forEach((f, c) -> {
            String why = p.impossible().get(f);
            c.setSelected(p.formats().contains(f));
            c.setDisable(why != null);
            c.setTooltip(why == null ? null : new Tooltip(why));
        });
        List<String> notes = new ArrayList<>();
        p.impossible().values().stream().distinct().forEach(notes::add);
        message.setText(notes.isEmpty() ? "" : "Not available: " + String.join("; ", notes) + ".");
    }

    /** The ticked formats. */
    Set<ExportFormat> chosen() {
        Set<ExportFormat> out = EnumSet.noneOf(ExportFormat.class);
        checks.forEach((f, c) -> {
            if (c.isSelected() && !c.isDisabled()) {
                out.add(f);
            }
        });
        return out;
    }

    /** A line of progress: verification results are kept, other messages replace the last transient one. */
    void progress(double fraction, String text) {
        progress.setProgress(fraction < 0 ? ProgressBar.INDETERMINATE_PROGRESS : Math.min(1, fraction));
        if (text == null || text.isBlank()) {
            return;
        }
        List<String> items = log.getItems();
        if (!items.isEmpty() && !items.get(items.size() - 1).startsWith("Verified ") && !items.get(items.size() - 1).startsWith("Exported ")) {
            items.remove(items.size() - 1);
        }
        items.add(text);
        log.scrollTo(Math.max(0, items.size() - 4));
    }

    void started() {
        exportButton.setDisable(true);
        openFolder.setDisable(true);
        log.getItems().clear();
        results.getItems().clear();
        progress.setProgress(0);
    }

    void finished(ExportResult r, Path report) {
        exportButton.setDisable(false);
        openFolder.setDisable(false);
        progress.setProgress(1);
        results.getItems().setAll(r.artifacts());
        long flagged = r.artifacts().stream().filter(a -> a.verification() != null && !a.verification().passed()).count();
        message.setText(String.format(Locale.ROOT, "%d artifacts written to %s and verified%s; report: %s.", r.artifacts().size(), r.dir(),
                flagged == 0 ? "" : ", " + flagged + " FLAGGED (below the acceptance rule)", report.getFileName()));
    }

    void failed(String sentence) {
        exportButton.setDisable(false);
        progress.setProgress(0);
        message.setText(sentence);
    }
}
