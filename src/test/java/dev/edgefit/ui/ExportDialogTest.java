package dev.edgefit.ui;

import dev.edgefit.TestModels;
import dev.edgefit.export.Artifact;
import dev.edgefit.export.ExportFormat;
import javafx.stage.Stage;
import org.junit.jupiter.api.Test;
import org.testfx.api.FxRobot;
import org.testfx.framework.junit5.Start;
import org.testfx.framework.junit5.Stop;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The export dialog on the bundled sample: formats proposed for the device, verification as it runs, results, the folder. */
class ExportDialogTest extends WorkbenchFixture {
    @Start
    void start(Stage stage) {
        open(stage);
    }

    @Stop
    void stop() {
        close();
    }

    @Test
    void proposesTheDeviceFormatsAndVerifiesEachArtifact(FxRobot robot) throws Exception {
        waitFor("the sample is measured", () -> workbench.stepsTable.getItems().size() == 1 && !workbench.exportButton.isDisabled());
        robot.interact(() -> workbench.constraints.deviceBox.setValue(workbench.constraints.deviceBox.getItems().stream()
                .filter(d -> d.id().equals("raspberry-pi-4")).findFirst().orElseThrow()));
        robot.clickOn("#export-button");
        waitFor("the dialog opens", () -> robot.lookup("#export-pane").tryQuery().isPresent());
        ExportPane pane = robot.lookup("#export-pane").queryAs(ExportPane.class);
        assertEquals(EnumSet.of(ExportFormat.ONNX, ExportFormat.ORT, ExportFormat.TFLITE, ExportFormat.TFLITE_INT8), pane.chosen(),
                "the Raspberry Pi takes ONNX, ORT and TFLite");
        assertFalse(pane.checks.get(ExportFormat.TFLITE_MICRO).isSelected(), "not a microcontroller");
        assertTrue(robot.lookup("#coreml-note").queryLabeled().getText().startsWith("Core ML models are not produced"));

        // a folder with a file in it is not written into without asking (no dialogs here: one sentence)
        Path busy = TestModels.tempDir("busy");
        Files.writeString(busy.resolve("notes.txt"), "mine");
        robot.interact(() -> pane.folder.setText(busy.toString()));
        robot.clickOn("#export-run");
        waitFor("the refusal", () -> workbench.errorLabel.getText().equals(busy + " is not empty; choose an empty folder."));
        assertEquals(List.of("notes.txt"), Files.list(busy).map(p -> p.getFileName().toString()).toList());

        Path out = TestModels.tempDir("dialogexport");
        robot.interact(() -> pane.folder.setText(out.toString()));
        robot.clickOn("#export-run");
        waitFor("four artifacts verified", () -> pane.results.getItems().size() == 4 && !pane.openFolder.isDisabled());
        List<String> verified = pane.log.getItems().stream().filter(l -> l.startsWith("Verified ")).toList();
        assertEquals(4, verified.size(), pane.log.getItems().toString());
        assertTrue(verified.stream().anyMatch(l -> l.startsWith("Verified model.tflite: ") && l.contains("top-1 agreement")), verified.toString());
        for (Artifact a : pane.results.getItems()) {
            assertTrue(Files.isRegularFile(a.path()), a.path().toString());
            assertEquals(Files.size(a.path()), a.bytes());
            assertTrue(a.verification().passed(), a.summary());
        }
        assertTrue(Files.isRegularFile(out.resolve("report.html")));
        assertTrue(Files.isRegularFile(out.resolve("manifest.json")));
        assertTrue(pane.message.getText().startsWith("4 artifacts written to " + out), pane.message.getText());
    }
}
