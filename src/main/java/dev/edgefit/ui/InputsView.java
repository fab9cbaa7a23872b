package dev.edgefit.ui;

import dev.edgefit.common.EdgeFitException;
import dev.edgefit.data.InputGenerator;
import dev.edgefit.data.InputOverrides;
import dev.edgefit.model.ModelSnapshot;
import dev.edgefit.model.TensorSpec;
import javafx.geometry.Insets;
import javafx.scene.control.Button;
import javafx.scene.control.Label;
import javafx.scene.control.ScrollPane;
import javafx.scene.control.TextField;
import javafx.scene.control.Tooltip;
import javafx.scene.layout.GridPane;
import javafx.scene.layout.HBox;
import javafx.scene.layout.Priority;
import javafx.scene.layout.VBox;
import javafx.stage.FileChooser;

import java.io.File;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Collectors;

/**
 * The Inputs tab: each input of the open model with its type, the shape the model declares and the shape and values
 * EdgeFit feeds it when there is no data (generated from the signature), where the user can fix a dynamic input's shape
 * and any input's value (a number, or a NumPy .npy array). The same {@link InputOverrides} as the command line's
 * {@code --shape} and {@code --input}; "Measure again" re-opens the experiment with them, so step 0, every step's
 * fidelity, calibration and the device estimates use them, and the experiment remembers them.
 */
final class InputsView extends VBox {
    private final GridPane grid = new GridPane();
    private final Label header = new Label("No model open.");
    private final Label problem = new Label();
    private final Button apply = new Button("Measure again with these inputs");
    private final Button reset = new Button("Reset to generated");
    private final Map<String, TextField> shapeFields = new LinkedHashMap<>();
    private final Map<String, TextField> valueFields = new LinkedHashMap<>();
    private Consumer<InputOverrides> onApply = i -> { };
    private ModelSnapshot model;
    private InputOverrides current = InputOverrides.NONE;

    InputsView() {
        setSpacing(8);
        setPadding(new Insets(8));
        header.setWrapText(true);
        problem.setWrapText(true);
        problem.getStyleClass().add("error");
        problem.setId("inputs-problem");
        grid.setHgap(10);
        grid.setVgap(6);
        grid.setId("inputs-grid");
        apply.setId("inputs-apply");
        apply.setTooltip(new Tooltip("Open the model again with these shapes and values: the original is measured again as step 0."));
        apply.setOnAction(e -> applyFields());
        reset.setOnAction(e -> {
            shapeFields.values().forEach(TextField::clear);
            valueFields.values().forEach(TextField::clear);
            applyFields();
        });
        apply.setDisable(true);
        reset.setDisable(true);
        ScrollPane scroll = new ScrollPane(grid);
        scroll.setFitToWidth(true);
        VBox.setVgrow(scroll, Priority.ALWAYS);
        getChildren().addAll(header, scroll, new HBox(8, apply, reset), problem);
    }

    void setOnApply(Consumer<InputOverrides> c) {
        onApply = c;
    }

    /** Shows the model's inputs with what is fed to each under these overrides; {@code hasData}: the data feeds them. */
    void setModel(ModelSnapshot m, InputOverrides inputs, boolean hasData) {
        model = m;
        current = inputs == null ? InputOverrides.NONE : inputs;
        problem.setText("");
        grid.getChildren().clear();
        shapeFields.clear();
        valueFields.clear();
        if (m == null) {
            header.setText("No model open.");
            apply.setDisable(true);
            reset.setDisable(true);
            return;
        }
        header.setText((hasData
                ? "The data set feeds the model for accuracy; these shapes and values are used where inputs are generated "
                + "(peak-memory run, device estimates)."
                : "No data set is open: EdgeFit generates these inputs to measure fidelity, latency and memory and to calibrate.")
                + " Fix the shape of an input with dynamic dimensions (e.g. 1x512) or the value of any input (a number, or a"
                + " .npy file), then measure again.");
        InputGenerator gen;
        try {
            gen = new InputGenerator(m, current);
        } catch (EdgeFitException e) {
            gen = new InputGenerator(m, InputOverrides.NONE);
            problem.setText(e.getMessage());
        }
        String[] titles = {"input", "type", "declared shape", "shape fed", "value fed"};
        for (int c = 0; c < titles.length; c++) {
            Label t = new Label(titles[c]);
            t.getStyleClass().add("section-title");
            grid.add(t, c, 0);
        }
        int row = 1;
        for (TensorSpec s : m.inputs()) {
            grid.add(new Label(s.name()), 0, row);
            grid.add(new Label(s.dtype().label()), 1, row);
            grid.add(new Label(s.shape().length == 0 ? "scalar" : s.shapeText()), 2, row);
            TextField shape = new TextField();
            shape.setId("input-shape-" + s.name());
            shape.setPrefColumnCount(10);
            long[] fixedShape = current.shapes().get(s.name());
            if (fixedShape != null) {
                shape.setText(dims(fixedShape));
            }
            String fed = describeShape(gen, s);
            shape.setPromptText(fed);
            shape.setDisable(s.shape().length == 0);
            shape.setTooltip(new Tooltip(s.shape().length == 0 ? "A scalar has no shape to set."
                    : "Empty: " + fed + " (generated). Dimensions separated by x."));
            grid.add(shape, 3, row);
            TextField value = new TextField();
            value.setId("input-value-" + s.name());
            value.setPrefColumnCount(16);
            InputOverrides.Value v = current.values().get(s.name());
            if (v != null) {
                value.setText(v.text());
            }
            value.setPromptText(gen.describe(s));
            Button browse = new Button("…");
            browse.setTooltip(new Tooltip("Choose a NumPy .npy file for this input."));
            browse.setOnAction(e -> {
                FileChooser fc = new FileChooser();
                fc.getExtensionFilters().add(new FileChooser.ExtensionFilter("NumPy arrays", "*.npy"));
                File f = fc.showOpenDialog(getScene() == null ? null : getScene().getWindow());
                if (f != null) {
                    value.setText(f.getAbsolutePath());
                }
            });
            HBox valueBox = new HBox(4, value, browse);
            HBox.setHgrow(value, Priority.ALWAYS);
            grid.add(valueBox, 4, row);
            shapeFields.put(s.name(), shape);
            valueFields.put(s.name(), value);
            row++;
        }
        apply.setDisable(false);
        reset.setDisable(current.isEmpty());
    }

    private static String describeShape(InputGenerator gen, TensorSpec s) {
        try {
            return dims(gen.concreteShape(s));
        } catch (EdgeFitException e) {
            return s.shapeText();
        }
    }

    private static String dims(long[] d) {
        return d.length == 0 ? "scalar" : java.util.Arrays.stream(d).mapToObj(Long::toString).collect(Collectors.joining("x"));
    }

    /** The fields as overrides; a problem is one sentence under the table and nothing is applied. */
    InputOverrides read() {
        List<String> shapes = new ArrayList<>();
        List<String> values = new ArrayList<>();
        shapeFields.forEach((n, f) -> {
            if (!f.getText().isBlank()) {
                shapes.add(n + "=" + f.getText().strip());
            }
        });
        valueFields.forEach((n, f) -> {
            if (!f.getText().isBlank()) {
                values.add(n + "=" + f.getText().strip());
            }
        });
        InputOverrides o = InputOverrides.parse(shapes, values);
        if (model != null) {
            new InputGenerator(model, o); // checks names, shapes against the model and values against the types
        }
        return o;
    }

    private void applyFields() {
        try {
            InputOverrides o = read();
            problem.setText("");
            onApply.accept(o);
        } catch (EdgeFitException e) {
            problem.setText(guiWords(e.getMessage()));
        }
    }

    /** The parser speaks of command-line options; here they are the table's columns. */
    static String guiWords(String m) {
        return m.replace("--shape ", "Shape of ").replace("--input ", "Value of ").replace("--shape", "A shape")
                .replace("--input", "A value").replace("give other shapes with Shape of NAME=DIMS or values with Value of NAME=VALUE|FILE.npy",
                        "set other shapes or values in the Inputs tab");
    }

    /** For tests: what the shape field of an input suggests (the shape generated for it). */
    String promptOf(String input) {
        TextField f = shapeFields.get(input);
        return f == null ? null : f.getPromptText().toLowerCase(Locale.ROOT);
    }
}
