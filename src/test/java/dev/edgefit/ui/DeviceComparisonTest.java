package dev.edgefit.ui;

import dev.edgefit.device.Estimate;
import dev.edgefit.device.HostInfo;
import javafx.scene.control.TableColumn;
import javafx.stage.Stage;
import org.junit.jupiter.api.Test;
import org.testfx.framework.junit5.Start;
import org.testfx.framework.junit5.Stop;
import org.testfx.api.FxRobot;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The Devices tab on the bundled sample: one column per chosen device, coloured verdicts, the chart, every step. */
class DeviceComparisonTest extends WorkbenchFixture {
    @Start
    void start(Stage stage) {
        open(stage);
    }

    @Stop
    void stop() {
        close();
    }

    private List<String> columns() {
        return workbench.comparison.table.getColumns().stream().skip(1).map(TableColumn::getText).toList();
    }

    @Test
    void devicesSideBySideForTheCurrentStepAndEveryStep(FxRobot robot) throws Exception {
        DeviceComparisonView v = workbench.comparison;
        waitFor("the original is compared on the default devices and this machine", () -> columns().contains(HostInfo.THIS_MACHINE)
                && columns().contains("nucleo-l4r5zi"));
        waitFor("the fit panel shows the estimate on the selected device", () -> workbench.fit.onDevice.isVisible()
                && workbench.fit.onDevice.getText().startsWith("On the device: est. "));
        robot.interact(() -> {
            javafx.scene.control.TabPane tabs = (javafx.scene.control.TabPane) workbench.root().lookup(".tab-pane");
            tabs.getSelectionModel().select(tabs.getTabs().stream().filter(t -> t.getText().equals("Devices")).findFirst().orElseThrow());
        });
        List<Estimate> shown = v.shown;
        assertEquals(columns(), shown.stream().map(Estimate::device).toList());
        Estimate host = shown.stream().filter(e -> e.device().equals(HostInfo.THIS_MACHINE)).findFirst().orElseThrow();
        assertTrue(host.measured(), "this machine is measured");
        assertEquals(workbench.experiment().current().metrics().latencyMs().p50(), host.latencyMs(), 1e-12);
        Estimate mcu = shown.stream().filter(e -> e.device().equals("nucleo-l4r5zi")).findFirst().orElseThrow();
        assertTrue(mcu.latencyText().startsWith("est. ") && mcu.latencyText().contains("±"), mcu.latencyText());
        // Rows: runtime, latency, peak RAM, flash, energy, the limits, fits, formats, class; one cell per device.
        List<String> labels = v.table.getItems().stream().map(DeviceComparisonView.Row::label).toList();
        assertTrue(labels.containsAll(List.of("latency", "peak RAM", "flash / storage", "energy", "fits", "formats", "class")), labels.toString());
        DeviceComparisonView.Row latency = v.table.getItems().get(labels.indexOf("latency"));
        assertEquals(mcu.latencyText(), latency.cells().get("nucleo-l4r5zi").text());
        assertFalse(v.table.lookupAll(".cell-pass").isEmpty(), "passing limits are coloured");
        int withLatency = (int) shown.stream().filter(e -> e.latencyMs() != null).count();
        assertEquals(withLatency, v.latency.getDataCount(), "one bar per device with a latency");

        // A device that the model does not fit turns red: a 1 KiB arena limit on a microcontroller.
        robot.interact(() -> v.select("esp32-s3", false));
        waitFor("esp32-s3 leaves the table", () -> !columns().contains("esp32-s3"));
        robot.interact(() -> v.precision.getSelectionModel().select("int8"));
        waitFor("int8 estimates", () -> v.shown.stream().allMatch(e -> e.precision().equals("int8") || e.measured()));
        Estimate int8 = v.shown.stream().filter(e -> e.device().equals("nucleo-l4r5zi")).findFirst().orElseThrow();
        assertTrue(int8.latencyMs() < mcu.latencyMs(), "int8 is estimated faster than float on the Cortex-M4");
        assertTrue(int8.flashBytes() < mcu.flashBytes() / 3);

        robot.clickOn("#compare-every-step");
        waitFor("every step compared", () -> v.stepsTable.getItems().size() == 1);
        DeviceComparisonView.Row step0 = v.stepsTable.getItems().get(0);
        assertTrue(step0.label().startsWith("0 "), step0.label());
        assertTrue(step0.cells().get("nucleo-l4r5zi").text().startsWith("✓ est. "), step0.cells().toString());
        assertFalse(v.stepsTable.lookupAll(".cell-pass").isEmpty());
    }

    @Test
    void aCopiedProfileIsSavedAsYamlAndJoinsTheDevices(FxRobot robot) throws Exception {
        waitFor("devices loaded", () -> workbench.constraints.deviceBox.getItems().size() >= 16);
        dev.edgefit.device.DeviceProfile l4 = workbench.constraints.deviceBox.getItems().stream()
                .filter(d -> d.id().equals("nucleo-l4r5zi")).findFirst().orElseThrow();
        ProfileEditor[] ed = new ProfileEditor[1];
        robot.interact(() -> ed[0] = new ProfileEditor(l4, true));
        // a bad value: one sentence naming the field, nothing written
        robot.interact(() -> ed[0].cores.setText("two"));
        dev.edgefit.common.EdgeFitException bad = org.junit.jupiter.api.Assertions.assertThrows(dev.edgefit.common.EdgeFitException.class, ed[0]::save);
        assertEquals("The cores must be a whole number greater than zero, not 'two'.", bad.getMessage());
        robot.interact(() -> {
            ed[0].cores.setText("1");
            ed[0].clockMhz.setText("80");
        });
        dev.edgefit.common.EdgeFitException noSource = org.junit.jupiter.api.Assertions.assertThrows(dev.edgefit.common.EdgeFitException.class, ed[0]::save);
        assertTrue(noSource.getMessage().contains("cpu.clockMhz is new or changed"), noSource.getMessage());
        assertFalse(java.nio.file.Files.exists(dev.edgefit.device.DeviceCatalog.userFolder().resolve("nucleo-l4r5zi-copy.yaml")));

        robot.interact(() -> ed[0].source.setText("board clocked down to 80 MHz by our firmware"));
        java.nio.file.Path f = ed[0].save();
        assertEquals(dev.edgefit.device.DeviceCatalog.userFolder().resolve("nucleo-l4r5zi-copy.yaml"), f);
        dev.edgefit.device.DeviceProfile saved = dev.edgefit.device.DeviceCatalog.loadFile(f);
        assertEquals(80, saved.cpu().clockMhz());
        assertEquals("board clocked down to 80 MHz by our firmware", saved.source("cpu.clockMhz"));
        assertEquals(l4.source("ramBytes"), saved.source("ramBytes"), "unchanged figures keep their sources");
        assertTrue(saved.measurements().isEmpty(), "published latencies belong to the original board");
        assertEquals(l4.runtimes(), saved.runtimes());

        robot.interact(() -> workbench.profileSaved(f));
        waitFor("the copy is selected", () -> workbench.constraints.deviceBox.getValue() != null
                && workbench.constraints.deviceBox.getValue().id().equals("nucleo-l4r5zi-copy"));
        assertFalse(workbench.editProfile.isDisabled(), "a profile of one's own can be edited");
        robot.interact(() -> workbench.comparison.select("nucleo-l4r5zi-copy", true));
        waitFor("the copy is compared", () -> columns().contains("nucleo-l4r5zi-copy"));
        Estimate copy = workbench.comparison.shown.stream().filter(e -> e.device().equals("nucleo-l4r5zi-copy")).findFirst().orElseThrow();
        Estimate orig = workbench.comparison.shown.stream().filter(e -> e.device().equals("nucleo-l4r5zi")).findFirst().orElseThrow();
        assertTrue(copy.latencyMs() > orig.latencyMs() * 1.2, "two thirds of the clock: slower (" + copy.latencyMs() + " vs " + orig.latencyMs() + ")");
        assertTrue(copy.errorBandPct() >= orig.errorBandPct(), "no published figures of its own: a band at least as wide");
    }
}
