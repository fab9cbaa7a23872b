package dev.edgefit.ui;

import dev.edgefit.data.Dataset;
import dev.edgefit.model.ModelSnapshot;
import dev.edgefit.model.ModelStats;
import dev.edgefit.model.TensorSpec;
import javafx.beans.property.ReadOnlyObjectWrapper;
import javafx.geometry.Insets;
import javafx.scene.control.Label;
import javafx.scene.control.TableColumn;
import javafx.scene.control.TableView;
import javafx.scene.layout.ColumnConstraints;
import javafx.scene.layout.GridPane;
import javafx.scene.layout.Priority;
import javafx.scene.layout.Region;
import javafx.scene.layout.VBox;

import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The opened model: a one-line header (always visible above the charts) and, in its tab, the summary (file,
 * bytes, opset, inputs and outputs with shapes, parameters, MACs, operator histogram) over a per-layer table.
 * The statistics come from a background task (ModelStats over shapes from ShapeProbe); the header and summary
 * show what is known as soon as the file is read.
 */
final class ModelPanel extends VBox {
    final Label header = new Label("No model open. File ▸ Open model…, or drop an .onnx file on the window.");
    final GridPane summary = new GridPane();
    final TableView<ModelStats.Layer> layers = new TableView<>();

    ModelPanel() {
        super(8);
        setPadding(new Insets(8));
        header.setId("model-header");
        header.getStyleClass().add("model-header");
        header.setMaxWidth(Double.MAX_VALUE);
        header.setWrapText(true);
        header.setMinHeight(Region.USE_PREF_SIZE);
        summary.setId("model-summary");
        summary.setHgap(12);
        summary.setVgap(3);
        ColumnConstraints k = new ColumnConstraints();
        k.setMinWidth(90);
        ColumnConstraints v = new ColumnConstraints();
        v.setHgrow(Priority.ALWAYS);
        summary.getColumnConstraints().addAll(k, v);

        layers.setId("layers-table");
        layers.setPlaceholder(new Label("Per-layer statistics appear here once the model is read."));
        layers.getColumns().setAll(List.of(
                col("Layer", ModelStats.Layer::name, 200, false),
                col("Op", ModelStats.Layer::opType, 130, false),
                numCol("Parameters", ModelStats.Layer::parameters, 100),
                numCol("MACs", ModelStats.Layer::macs, 120),
                numCol("Weight bytes", ModelStats.Layer::weightBytes, 110),
                col("Output shape", l -> Formats.shape(l.outputShape()), 150, false)));
        layers.setColumnResizePolicy(TableView.CONSTRAINED_RESIZE_POLICY_FLEX_LAST_COLUMN);
        VBox.setVgrow(layers, Priority.ALWAYS);
        getChildren().addAll(summary, layers);
    }

    void clear(Path file) {
        header.setText("Opening " + file.getFileName() + "…");
        summary.getChildren().clear();
        layers.getItems().clear();
    }

    /** What the file alone tells: name, bytes, opset, signature, data. */
    void showFile(Path file, long bytes, ModelSnapshot snap, Dataset data) {
        header.pseudoClassStateChanged(Styles.INVALID, false);
        summary.getChildren().clear();
        int row = 0;
        row = add(row, "File", file.toAbsolutePath().toString());
        row = add(row, "On disk", Formats.count(bytes) + " bytes (" + Formats.bytes(bytes) + ")");
        row = add(row, "Opset", snap.opset() + ", ir_version " + snap.proto().getIrVersion()
                + (snap.proto().getProducerName().isEmpty() ? "" : ", produced by " + snap.proto().getProducerName()));
        row = add(row, "Inputs", signature(snap.inputs()));
        row = add(row, "Outputs", signature(snap.outputs()));
        add(row, "Data", data == null ? "none: inputs are generated, and quality is the outputs' cosine to the original's"
                : data.name() + " (" + Formats.count(data.size()) + " samples" + (data.labelled() ? ", labelled" : ", no labels") + ")");
        layers.setPlaceholder(new Label("Computing per-layer statistics…"));
        header.setText(file.getFileName() + "  ·  " + Formats.bytes(bytes) + "  ·  opset " + snap.opset() + "  ·  "
                + arrows(snap) + (data == null ? "" : "  ·  data: " + data.name()));
    }

    /** Adds the statistics once they are computed. */
    void showStats(Path file, long bytes, ModelSnapshot snap, Dataset data, ModelStats s) {
        showFile(file, bytes, snap, data);
        int row = summary.getRowCount();
        row = add(row, "Parameters", Formats.count(s.parameters())
                + (s.quantizedElements() > 0 ? " float, " + Formats.count(s.quantizedElements()) + " quantized" : ""));
        row = add(row, "Weights", Formats.count(s.weightBytes()) + " bytes");
        row = add(row, "MACs", s.macs() == null ? "not measured" : Formats.count(s.macs()));
        add(row, "Operators", Formats.histogram(s.opHistogram()));
        layers.getItems().setAll(s.layers());
        layers.setPlaceholder(new Label("The graph has no nodes."));
        header.setText(file.getFileName() + "  ·  " + Formats.bytes(bytes) + "  ·  opset " + snap.opset() + "  ·  "
                + Formats.count(s.parameters()) + " parameters  ·  "
                + (s.macs() == null ? "MACs not measured" : Formats.shortCount(s.macs()) + " MACs") + "  ·  " + arrows(snap)
                + (data == null ? "" : "  ·  data: " + data.name()));
    }

    void showError(String sentence) {
        header.setText(sentence);
        header.pseudoClassStateChanged(Styles.INVALID, true);
    }

    private int add(int row, String key, String value) {
        Label k = new Label(key);
        k.getStyleClass().add("key");
        Label v = new Label(value);
        v.setWrapText(true);
        summary.addRow(row, k, v);
        return row + 1;
    }

    private static String signature(List<TensorSpec> specs) {
        return specs.stream().map(t -> t.name() + " " + t.dtype().label() + " " + Formats.shape(t))
                .collect(Collectors.joining(",  "));
    }

    /** Inputs → outputs for the header: with shapes for a simple signature, names only for a longer one. */
    private static String arrows(ModelSnapshot snap) {
        boolean simple = snap.inputs().size() + snap.outputs().size() <= 2;
        Function<List<TensorSpec>, String> f = specs -> specs.stream()
                .map(t -> simple ? t.name() + " " + Formats.shape(t) : t.name()).collect(Collectors.joining(", "));
        return f.apply(snap.inputs()) + " → " + f.apply(snap.outputs());
    }

    private static TableColumn<ModelStats.Layer, String> col(String name, Function<ModelStats.Layer, String> f, double w, boolean right) {
        TableColumn<ModelStats.Layer, String> c = new TableColumn<>(name);
        c.setCellValueFactory(v -> new ReadOnlyObjectWrapper<>(f.apply(v.getValue())));
        c.setPrefWidth(w);
        if (right) {
            c.setStyle("-fx-alignment: CENTER-RIGHT;");
        }
        return c;
    }

    /** A number column that sorts by value and shows thousands separators; null shows as "?". */
    private static TableColumn<ModelStats.Layer, Long> numCol(String name, Function<ModelStats.Layer, Long> f, double w) {
        TableColumn<ModelStats.Layer, Long> c = new TableColumn<>(name);
        c.setCellValueFactory(v -> new ReadOnlyObjectWrapper<>(f.apply(v.getValue())));
        c.setComparator(Comparator.nullsFirst(Comparator.naturalOrder()));
        c.setCellFactory(t -> new javafx.scene.control.TableCell<>() {
            @Override
            protected void updateItem(Long item, boolean empty) {
                super.updateItem(item, empty);
                setText(empty ? null : item == null ? "?" : String.format(Locale.ROOT, "%,d", item));
            }
        });
        c.setStyle("-fx-alignment: CENTER-RIGHT;");
        c.setPrefWidth(w);
        return c;
    }
}
