package dev.edgefit.ui;

import dev.edgefit.common.EdgeFitException;
import dev.edgefit.device.Constraints;
import dev.edgefit.device.DeviceProfile;
import javafx.scene.control.ComboBox;
import javafx.scene.control.Label;
import javafx.scene.control.ListCell;
import javafx.scene.control.TextField;
import javafx.scene.control.Tooltip;
import javafx.scene.layout.ColumnConstraints;
import javafx.scene.layout.GridPane;
import javafx.scene.layout.Priority;
import javafx.scene.layout.Region;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * The device picker and the three limits (model size, RAM, latency), prefilled from the device's default
 * constraints. Each field is parsed as it is typed, with the same parsing the CLI uses; a bad value shows its one
 * sentence right under the field and the limits count as unset until it is fixed.
 */
final class ConstraintsPane extends GridPane {
    final ComboBox<DeviceProfile> deviceBox = new ComboBox<>();
    final TextField maxSize = new TextField();
    final TextField maxRam = new TextField();
    final TextField maxLatency = new TextField();
    final Label sizeError = error("size-error");
    final Label ramError = error("ram-error");
    final Label latencyError = error("latency-error");
    private final List<Runnable> listeners = new ArrayList<>();

    ConstraintsPane() {
        setHgap(8);
        setVgap(4);
        ColumnConstraints labels = new ColumnConstraints();
        labels.setMinWidth(Region.USE_PREF_SIZE);
        ColumnConstraints fields = new ColumnConstraints();
        fields.setHgrow(Priority.ALWAYS);
        fields.setMinWidth(100);
        getColumnConstraints().addAll(labels, fields);

        deviceBox.setId("device-box");
        deviceBox.setMaxWidth(Double.MAX_VALUE);
        deviceBox.setCellFactory(v -> new DeviceCell(true));
        deviceBox.setButtonCell(new DeviceCell(false));
        deviceBox.valueProperty().addListener((o, a, d) -> {
            if (d != null) {
                Constraints c = d.defaultConstraints();
                maxSize.setText(c.maxModelBytes() == null ? "" : Constraints.formatBytes(c.maxModelBytes()));
                maxRam.setText(c.maxRamBytes() == null ? "" : Constraints.formatBytes(c.maxRamBytes()));
                maxLatency.setText(c.maxLatencyMs() == null ? "" : Constraints.formatMillis(c.maxLatencyMs()));
            }
            changed();
        });
        maxSize.setId("max-size");
        maxRam.setId("max-ram");
        maxLatency.setId("max-latency");
        maxSize.setPromptText("no limit, e.g. 8MiB");
        maxRam.setPromptText("no limit, e.g. 512MiB");
        maxLatency.setPromptText("no limit, e.g. 20ms");
        maxSize.setTooltip(new Tooltip("Largest model file the device can hold: KiB, MiB or GiB (KB, MB, GB are read as powers of 1000; sizes are shown in binary units)."));
        maxRam.setTooltip(new Tooltip("Most memory inference may use: KiB, MiB or GiB (KB, MB, GB are read as powers of 1000; sizes are shown in binary units)."));
        maxLatency.setTooltip(new Tooltip("Slowest acceptable inference (median), in ms, s or us."));
        watch(maxSize, sizeError, Constraints::parseBytes);
        watch(maxRam, ramError, Constraints::parseBytes);
        watch(maxLatency, latencyError, Constraints::parseMillis);

        add(deviceBox, 0, 0, 2, 1);
        addRow(1, new Label("Max model size"), maxSize);
        add(sizeError, 0, 2, 2, 1);
        addRow(3, new Label("Max RAM"), maxRam);
        add(ramError, 0, 4, 2, 1);
        addRow(5, new Label("Max latency"), maxLatency);
        add(latencyError, 0, 6, 2, 1);
    }

    private static Label error(String id) {
        Label l = new Label();
        l.setId(id);
        l.getStyleClass().add("error");
        l.setWrapText(true);
        l.setVisible(false);
        l.setManaged(false);
        return l;
    }

    private void watch(TextField field, Label error, Function<String, ?> parse) {
        field.textProperty().addListener((o, a, text) -> {
            String msg = null;
            if (text != null && !text.isBlank()) {
                try {
                    parse.apply(text);
                } catch (EdgeFitException e) {
                    msg = EdgeFitException.describe(e);
                }
            }
            error.setText(msg == null ? "" : msg);
            error.setVisible(msg != null);
            error.setManaged(msg != null);
            field.pseudoClassStateChanged(Styles.INVALID, msg != null);
            changed();
        });
    }

    /** Called whenever the device or a limit changes. */
    void onChange(Runnable r) {
        listeners.add(r);
    }

    private void changed() {
        listeners.forEach(Runnable::run);
    }

    /** The limits as typed, or null while one of them is not readable. */
    Constraints constraints() {
        try {
            return constraintsOrThrow();
        } catch (EdgeFitException e) {
            return null;
        }
    }

    /**
     * The limits as typed; a bad value throws its one-sentence error. A size still showing the device's default (written
     * in binary units, e.g. 700,000 bytes as "683.59 KiB") is that default to the byte.
     */
    Constraints constraintsOrThrow() {
        Constraints typed = Constraints.parse(maxSize.getText(), maxRam.getText(), maxLatency.getText());
        DeviceProfile d = deviceBox.getValue();
        if (d == null) {
            return typed;
        }
        Constraints dflt = d.defaultConstraints();
        return new Constraints(exact(maxSize.getText(), typed.maxModelBytes(), dflt.maxModelBytes()),
                exact(maxRam.getText(), typed.maxRamBytes(), dflt.maxRamBytes()), typed.maxLatencyMs());
    }

    private static Long exact(String text, Long typed, Long dflt) {
        return dflt != null && text != null && text.trim().equals(Constraints.formatBytes(dflt)) ? dflt : typed;
    }

    /** Sets the devices to choose from, keeping the selection if it is still there, else choosing {@code preferredId}. */
    void setDevices(List<DeviceProfile> devices, String preferredId) {
        DeviceProfile selected = deviceBox.getValue();
        deviceBox.getItems().setAll(devices);
        DeviceProfile keep = selected == null ? null
                : devices.stream().filter(d -> d.id().equals(selected.id())).findFirst().orElse(null);
        if (keep != null) {
            deviceBox.getSelectionModel().select(keep);
        } else {
            devices.stream().filter(d -> d.id().equals(preferredId)).findFirst()
                    .or(() -> devices.stream().findFirst()).ifPresent(deviceBox::setValue);
        }
    }

    private static final class DeviceCell extends ListCell<DeviceProfile> {
        private final boolean withClass;

        DeviceCell(boolean withClass) {
            this.withClass = withClass;
        }

        @Override
        protected void updateItem(DeviceProfile d, boolean empty) {
            super.updateItem(d, empty);
            setText(empty || d == null ? null : withClass ? d.name() + "  ·  " + d.resourceClass().id() : d.name());
            setTooltip(empty || d == null || d.notes() == null ? null : new Tooltip(d.notes()));
        }
    }
}
