package dev.edgefit.ui;

import dev.edgefit.compress.ParamSpec;
import dev.edgefit.compress.Params;
import dev.edgefit.compress.Technique;
import javafx.scene.Node;
import javafx.scene.control.CheckBox;
import javafx.scene.control.ComboBox;
import javafx.scene.control.Label;
import javafx.scene.control.TextField;
import javafx.scene.control.Tooltip;
import javafx.scene.layout.ColumnConstraints;
import javafx.scene.layout.GridPane;
import javafx.scene.layout.Priority;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * A form generated from a technique's declared parameters: one control per {@link ParamSpec}, checked by the same
 * parsing the CLI uses. There is no per-technique GUI code.
 */
final class ParamForm extends GridPane {
    private final Technique technique;
    private final Map<String, Supplier<String>> values = new LinkedHashMap<>();

    ParamForm(Technique technique) {
        this.technique = technique;
        setHgap(8);
        setVgap(6);
        ColumnConstraints c0 = new ColumnConstraints();
        ColumnConstraints c1 = new ColumnConstraints();
        c1.setHgrow(Priority.ALWAYS);
        getColumnConstraints().addAll(c0, c1);
        int row = 0;
        for (ParamSpec p : technique.params()) {
            Label name = new Label(p.name());
            Node control = control(p);
            Tooltip tip = new Tooltip(p.help() + range(p));
            tip.setWrapText(true);
            tip.setMaxWidth(360);
            name.setTooltip(tip);
            if (control instanceof javafx.scene.control.Control cc) {
                cc.setTooltip(tip);
                cc.setMaxWidth(Double.MAX_VALUE);
            }
            add(name, 0, row);
            add(control, 1, row++);
        }
        if (technique.params().isEmpty()) {
            add(new Label("No parameters."), 0, 0);
        }
    }

    private static String range(ParamSpec p) {
        if (p.type() == ParamSpec.Type.INT || p.type() == ParamSpec.Type.DOUBLE) {
            return " (" + fmt(p.min()) + " to " + fmt(p.max()) + ")";
        }
        return "";
    }

    private static String fmt(Double d) {
        return d == null ? "?" : d == Math.rint(d) ? Long.toString(d.longValue()) : d.toString();
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
                TextField f = new TextField(String.valueOf(p.defaultValue()));
                f.setId("param-" + p.name());
                f.setPrefColumnCount(10);
                values.put(p.name(), f::getText);
                return f;
            }
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
