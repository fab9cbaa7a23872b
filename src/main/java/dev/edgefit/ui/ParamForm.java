package dev.edgefit.ui;

import dev.edgefit.common.EdgeFitException;
import dev.edgefit.compress.ParamSpec;
import dev.edgefit.compress.Params;
import dev.edgefit.compress.Technique;
import javafx.beans.property.ReadOnlyBooleanProperty;
import javafx.beans.property.ReadOnlyBooleanWrapper;
import javafx.scene.Node;
import javafx.scene.control.CheckBox;
import javafx.scene.control.ComboBox;
import javafx.scene.control.Control;
import javafx.scene.control.Label;
import javafx.scene.control.TextField;
import javafx.scene.control.Tooltip;
import javafx.scene.layout.ColumnConstraints;
import javafx.scene.layout.GridPane;
import javafx.scene.layout.Priority;
import javafx.scene.layout.Region;
import javafx.util.Duration;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * A form generated from a technique's declared parameters: one control per {@link ParamSpec} (BOOL: check box,
 * CHOICE: combo box, INT, DOUBLE and STRING: text field), the help text as tooltip, numbers range-checked as they
 * are typed by the same parsing the CLI uses. There is no per-technique GUI code.
 */
final class ParamForm extends GridPane {
    private final Technique technique;
    private final Map<String, Supplier<String>> values = new LinkedHashMap<>();
    private final Map<String, String> errors = new LinkedHashMap<>();
    private final Label error = new Label();
    private final ReadOnlyBooleanWrapper valid = new ReadOnlyBooleanWrapper(true);

    ParamForm(Technique technique) {
        this.technique = technique;
        setId("param-form");
        setHgap(8);
        setVgap(5);
        ColumnConstraints c0 = new ColumnConstraints();
        c0.setMinWidth(Region.USE_PREF_SIZE);
        ColumnConstraints c1 = new ColumnConstraints();
        c1.setHgrow(Priority.ALWAYS);
        getColumnConstraints().addAll(c0, c1);
        int row = 0;
        Label description = new Label(technique.description());
        description.setWrapText(true);
        description.getStyleClass().add("note");
        description.setMinHeight(Region.USE_PREF_SIZE);
        add(description, 0, row++, 2, 1);
        for (ParamSpec p : technique.params()) {
            Label name = new Label(p.name());
            Node control = control(p);
            Tooltip tip = new Tooltip(p.help() + range(p));
            tip.setWrapText(true);
            tip.setMaxWidth(380);
            tip.setShowDelay(Duration.millis(300));
            name.setTooltip(tip);
            if (control instanceof Control cc) {
                cc.setTooltip(tip);
                cc.setMaxWidth(Double.MAX_VALUE);
            }
            add(name, 0, row);
            add(control, 1, row++);
        }
        if (technique.params().isEmpty()) {
            add(new Label("No parameters."), 0, row++, 2, 1);
        }
        error.setId("param-error");
        error.getStyleClass().add("error");
        error.setWrapText(true);
        error.setMinHeight(Region.USE_PREF_SIZE);
        error.setVisible(false);
        error.setManaged(false);
        add(error, 0, row, 2, 1);
    }

    private static String range(ParamSpec p) {
        if ((p.type() == ParamSpec.Type.INT || p.type() == ParamSpec.Type.DOUBLE) && (p.min() != null || p.max() != null)) {
            return " Allowed: " + fmt(p.min()) + " to " + fmt(p.max()) + ".";
        }
        if (p.type() == ParamSpec.Type.CHOICE) {
            return " One of " + String.join(", ", p.choices()) + ".";
        }
        return "";
    }

    private static String fmt(Double d) {
        return d == null ? "any" : d == Math.rint(d) && Math.abs(d) < 1e15 ? String.format(java.util.Locale.ROOT, "%,d", d.longValue()) : d.toString();
    }

    private Node control(ParamSpec p) {
        switch (p.type()) {
            case BOOL -> {
                CheckBox cb = new CheckBox();
                cb.setSelected(Boolean.TRUE.equals(p.defaultValue()));
                cb.setId("param-" + p.name());
                values.put(p.name(), () -> Boolean.toString(cb.isSelected()));
                return cb;
            }
            case CHOICE -> {
                ComboBox<String> box = new ComboBox<>();
                box.getItems().setAll(p.choices());
                box.getSelectionModel().select(String.valueOf(p.defaultValue()));
                box.setId("param-" + p.name());
                values.put(p.name(), () -> box.getSelectionModel().getSelectedItem());
                return box;
            }
            default -> {
                TextField f = new TextField(p.defaultValue() == null ? "" : String.valueOf(p.defaultValue()));
                f.setId("param-" + p.name());
                f.setPrefColumnCount(10);
                if (p.type() == ParamSpec.Type.STRING) {
                    f.setPromptText(p.defaultValue() == null || String.valueOf(p.defaultValue()).isEmpty() ? "(empty: all)" : "");
                }
                values.put(p.name(), f::getText);
                f.textProperty().addListener((o, a, text) -> check(p, f, text));
                return f;
            }
        }
    }

    /** Parses the field as it is typed; a bad value marks the field and shows the CLI's sentence under the form. */
    private void check(ParamSpec p, TextField f, String text) {
        try {
            p.parse(technique.id(), text == null ? "" : text);
            errors.remove(p.name());
            f.pseudoClassStateChanged(Styles.INVALID, false);
        } catch (EdgeFitException e) {
            errors.put(p.name(), EdgeFitException.describe(e));
            f.pseudoClassStateChanged(Styles.INVALID, true);
        }
        String first = errors.values().stream().findFirst().orElse(null);
        error.setText(first == null ? "" : first);
        error.setVisible(first != null);
        error.setManaged(first != null);
        valid.set(first == null);
    }

    /** False while a field holds a value its parameter does not accept. */
    ReadOnlyBooleanProperty validProperty() {
        return valid.getReadOnlyProperty();
    }

    /** The sentence shown for the first bad field, or "" when all are good. */
    String errorText() {
        return error.getText();
    }

    /** Sets a field's text, as a user would type it (tests). */
    void setText(String param, String text) {
        Node n = lookup("#param-" + param);
        if (n instanceof TextField f) {
            f.setText(text);
        } else {
            throw new IllegalArgumentException(param + " is not a text field");
        }
    }

    /** The checked parameters; a bad value throws the same one-sentence error the CLI prints. */
    Params params() {
        Map<String, String> given = new LinkedHashMap<>();
        values.forEach((k, v) -> given.put(k, v.get()));
        return Params.parse(technique, given);
    }

    Technique technique() {
        return technique;
    }
}
