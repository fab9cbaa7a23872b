package dev.edgefit.ui;

import dev.edgefit.TestModels;
import javafx.scene.control.Label;
import javafx.stage.Stage;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.testfx.api.FxRobot;
import org.testfx.framework.junit5.ApplicationExtension;
import org.testfx.framework.junit5.Start;
import org.testfx.util.WaitForAsyncUtils;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.*;

/** The workbench on Monocle (headless): open the sample, run int8, see the charts and the fit update. */
@ExtendWith(ApplicationExtension.class)
class WorkbenchTest {
    private Workbench workbench;

    @BeforeAll
    static void noDialogs() {
        System.setProperty("edgefit.noDialogs", "true");
    }

    @Start
    void start(Stage stage) {
        workbench = new Workbench(stage, null);
        stage.setScene(workbench.scene());
        stage.show();
    }

    private void waitFor(String what, BooleanSupplier condition) throws Exception {
        try {
            WaitForAsyncUtils.waitFor(120, TimeUnit.SECONDS, () -> {
                WaitForAsyncUtils.waitForFxEvents();
                return condition.getAsBoolean();
            });
        } catch (java.util.concurrent.TimeoutException e) {
            fail("timed out waiting: " + what + "; status '" + workbench.status.getText() + "', error '" + workbench.errorLabel.getText() + "'");
        }
        assertTrue(condition.getAsBoolean(), what);
    }

    @Test
    void openSampleRunInt8AndSeeChartsAndFitUpdate(FxRobot robot) throws Exception {
        robot.interact(() -> workbench.open(TestModels.sampleCnn(), TestModels.sampleData()));
        waitFor("the original is measured", () -> workbench.stepsTable.getItems().size() == 1);
        assertEquals(1, workbench.sizeData.getDataCount());
        assertEquals(1, workbench.accuracyData.getDataCount());
        assertEquals(1, workbench.latencyData.getDataCount());
        assertEquals(89.65, workbench.accuracyData.get(1, 0), 1e-9, "accuracy of the sample on the bundled data, in %");
        waitFor("per-layer table", () -> workbench.layersTable.getItems().size() == 19);

        robot.interact(() -> {
            workbench.deviceBox.getSelectionModel().select(
                    workbench.deviceBox.getItems().stream().filter(d -> d.id().equals("raspberry-pi-4")).findFirst().orElseThrow());
            workbench.maxSize.setText("200KB");
        });
        waitFor("the fit panel judges the original: 335 kB is over 200 kB",
                () -> workbench.fitPanel.lookupAll(".fit-fail").size() >= 1);

        robot.interact(() -> workbench.techniqueList.getSelectionModel().select(
                workbench.techniqueList.getItems().stream().filter(t -> t.id().equals("int8-dynamic")).findFirst().orElseThrow()));
        robot.clickOn("#run-button");
        waitFor("the int8 step finishes", () -> workbench.stepsTable.getItems().size() == 2);
        assertEquals(2, workbench.sizeData.getDataCount(), "size chart gained a point");
        assertEquals(2, workbench.accuracyData.getDataCount(), "accuracy chart gained a point");
        assertEquals(2, workbench.latencyData.getDataCount(), "latency chart gained a point");
        assertTrue(workbench.sizeData.get(1, 1) < workbench.sizeData.get(1, 0) / 2, "int8 is less than half the size");
        waitFor("the fit panel now passes the size limit", () -> workbench.fitPanel.lookupAll(".fit-pass").stream()
                .anyMatch(n -> ((Label) n).getText().contains(dev.edgefit.device.FitCheck.MODEL_SIZE)));
        assertFalse(workbench.runButton.isDisabled());

        // keep a picture of the window after a step, for people reviewing the GUI
        robot.interact(() -> {
            try {
                Path shot = TestModels.root().resolve("target/screenshots/workbench-after-int8.png");
                Files.createDirectories(shot.getParent());
                javax.imageio.ImageIO.write(javafx.embed.swing.SwingFXUtils.fromFXImage(
                        workbench.root().getScene().snapshot(null), null), "png", shot.toFile());
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });

        Path out = TestModels.tempDir("guiexport");
        robot.interact(() -> workbench.exportTo(out, false));
        waitFor("export writes the report", () -> Files.isRegularFile(out.resolve("report.html")));
        assertTrue(Files.isRegularFile(out.resolve("model.ort")));
    }

    @Test
    void mixedPrecisionShowsItsSensitivityTable(FxRobot robot) throws Exception {
        robot.interact(() -> workbench.open(TestModels.sampleCnn(), TestModels.sampleData()));
        waitFor("the original is measured", () -> workbench.stepsTable.getItems().size() == 1);
        robot.interact(() -> workbench.techniqueList.getSelectionModel().select(
                workbench.techniqueList.getItems().stream().filter(t -> t.id().equals("mixed-precision")).findFirst().orElseThrow()));
        robot.clickOn("#run-button");
        waitFor("the mixed-precision step finishes", () -> workbench.stepsTable.getItems().size() == 2);
        robot.interact(() -> workbench.stepsTable.getSelectionModel().select(1));
        waitFor("the sensitivity table lists both Gemm layers", () -> workbench.sensitivity.table.getItems().size() == 2);
        assertEquals(java.util.List.of("fc1", "fc2"), workbench.sensitivity.table.getItems().stream()
                .map(dev.edgefit.compress.MixedPrecision.Sensitivity::layer).toList());
        assertTrue(workbench.sensitivity.table.getColumns().stream().allMatch(javafx.scene.control.TableColumn::isSortable));
    }

    @Test
    void aFileThatIsNotOnnxGivesOneSentence(FxRobot robot) throws Exception {
        Path bad = TestModels.tempDir("guibad").resolve("holiday-photo.onnx");
        Files.writeString(bad, "JFIF this is not a model");
        robot.interact(() -> workbench.open(bad, null));
        waitFor("an error is shown", () -> !workbench.errorLabel.getText().isEmpty());
        String msg = workbench.errorLabel.getText();
        assertTrue(msg.contains("holiday-photo.onnx") && msg.contains("not an ONNX model"), msg);
        assertFalse(msg.contains("Exception"), msg);
    }
}
