package dev.edgefit.ui;

import dev.edgefit.TestModels;
import dev.edgefit.device.FitCheck;
import dev.edgefit.pipeline.Step;
import javafx.scene.Node;
import javafx.scene.control.Label;
import javafx.stage.Stage;
import org.junit.jupiter.api.Test;
import org.testfx.framework.junit5.Start;
import org.testfx.framework.junit5.Stop;
import org.testfx.api.FxRobot;
import org.testfx.util.WaitForAsyncUtils;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The workbench on Monocle (headless), started as the application starts it: with no arguments it opens the
 * bundled sample and measures it as step 0. Everything runs for real: ONNX Runtime, the files, the charts.
 */
class WorkbenchTest extends WorkbenchFixture {
    @Start
    void start(Stage stage) {
        open(stage);
    }

    @Stop
    void stop() {
        close();
    }

    private void sampleMeasured() throws Exception {
        waitFor("the sample's original is measured as step 0", () -> workbench.stepsTable.getItems().size() == 1
                && !workbench.runButton.isDisabled());
    }

    private void selectTechnique(FxRobot robot, String id) {
        robot.interact(() -> workbench.techniqueList.getSelectionModel().select(
                workbench.techniqueList.getItems().stream().filter(t -> t.id().equals(id)).findFirst().orElseThrow()));
    }

    private static List<String> texts(Node parent, String selector) {
        return parent.lookupAll(selector).stream().map(n -> ((Label) n).getText()).toList();
    }

    @Test
    void sampleOpensRunInt8AndEveryChartGainsAPoint(FxRobot robot) throws Exception {
        sampleMeasured();
        assertEquals(TestModels.sampleCnn().toRealPath(), workbench.experiment().sourceFile().toRealPath(), "the bundled sample opened");
        assertEquals(1, workbench.charts.size.getDataCount());
        assertEquals(1, workbench.charts.quality.getDataCount());
        assertEquals(1, workbench.charts.latency.getDataCount());
        assertEquals(89.65, workbench.charts.quality.get(1, 0), 1e-9, "accuracy of the sample on the bundled data, in %");
        assertEquals(Files.size(TestModels.sampleCnn()) / 1048576.0, workbench.charts.size.get(1, 0), 1e-12, "size is the file's bytes, in MiB");
        waitFor("per-layer table", () -> workbench.model.layers.getItems().size() == 19);
        assertTrue(workbench.model.header.getText().contains("82,954 parameters"), workbench.model.header.getText());

        robot.interact(() -> {
            workbench.constraints.deviceBox.getSelectionModel().select(workbench.constraints.deviceBox.getItems().stream()
                    .filter(d -> d.id().equals("raspberry-pi-4")).findFirst().orElseThrow());
            workbench.constraints.maxSize.setText("200KB");
        });
        waitFor("the fit panel judges the original: 335 kB is over 200 kB", () -> workbench.fit.lookupAll(".fit-fail").size() >= 2);
        assertTrue(workbench.fit.verdict.getText().startsWith("Does not fit"), workbench.fit.verdict.getText());

        selectTechnique(robot, "int8-dynamic");
        robot.clickOn("#run-button");
        waitFor("the int8 step finishes", () -> workbench.stepsTable.getItems().size() == 2 && !workbench.runButton.isDisabled());
        assertEquals(2, workbench.charts.size.getDataCount(), "size chart gained a point");
        assertEquals(2, workbench.charts.quality.getDataCount(), "accuracy chart gained a point");
        assertEquals(2, workbench.charts.latency.getDataCount(), "latency chart gained a point");
        Step s1 = workbench.stepsTable.getItems().get(1);
        assertEquals("int8-dynamic", s1.techniqueId());
        assertEquals(Files.size(s1.artifact()) / 1048576.0, workbench.charts.size.get(1, 1), 1e-12, "the point is the written file's size");
        assertTrue(workbench.charts.size.get(1, 1) < workbench.charts.size.get(1, 0) / 2, "int8 is less than half the size");
        assertEquals(s1.metrics().latencyMs().p50(), workbench.charts.latency.get(1, 1), 1e-12);
        assertEquals("accuracy>=0.95,sqnrDb>=10", workbench.acceptRule.getText(), "the default rule in the Keep if field");
        assertEquals("accuracy", s1.decidedBy(), "labelled data: accuracy retention decides");
        assertTrue(workbench.status.getText().contains("Kept by accuracy: accuracy retention"), workbench.status.getText());

        // a rule that does not read is one sentence, and nothing runs
        robot.interact(() -> workbench.acceptRule.setText("relL2>=0.1"));
        robot.clickOn("#run-button");
        waitFor("the rule is refused", () -> workbench.errorLabel.getText().contains("relL2 is a bar from above"));
        assertEquals(2, workbench.stepsTable.getItems().size());
        robot.interact(() -> workbench.acceptRule.setText("accuracy>=0.95,sqnrDb>=10"));
        assertEquals("", workbench.errorLabel.getText(), "editing the rule clears the sentence about it");

        waitFor("the fit panel shows a status for the selected device", () -> texts(workbench.fit, ".fit-pass").stream()
                .anyMatch(t -> t.contains(FitCheck.MODEL_SIZE)));
        assertTrue(workbench.fit.verdict.getStyleClass().stream().anyMatch(c -> c.equals("fit-pass") || c.equals("fit-fail")
                || c.equals("fit-not_measured")), workbench.fit.verdict.getStyleClass().toString());
        assertTrue(workbench.fit.lookupAll(".label").stream().map(n -> ((Label) n).getText())
                .anyMatch(t -> t.contains("Latency and peak RAM are the device estimate (est., with the calibration's band)")));

        // a microcontroller: the latency row is the device estimate (est., with its band), this machine's figure beside it
        robot.interact(() -> {
            workbench.constraints.deviceBox.getSelectionModel().select(workbench.constraints.deviceBox.getItems().stream()
                    .filter(d -> d.id().equals("nucleo-h7a3zi-q")).findFirst().orElseThrow());
            workbench.constraints.maxLatency.setText("5ms");
        });
        waitFor("the fit panel judges the nucleo on its estimate", () -> workbench.fit.estimate() != null
                && workbench.fit.estimate().device().equals("nucleo-h7a3zi-q")
                && texts(workbench.fit, ".fit").stream().anyMatch(t -> t.contains(FitCheck.LATENCY + ": est. ")));
        dev.edgefit.device.Estimate onNucleo = workbench.fit.estimate();
        assertFalse(onNucleo.measured());
        String latencyRow = texts(workbench.fit, ".fit").stream().filter(t -> t.contains(FitCheck.LATENCY + ": ")).findFirst().orElseThrow();
        assertTrue(latencyRow.startsWith((onNucleo.latencyMs() <= 5 ? "✔" : "✘") + " Latency: est. "
                + dev.edgefit.device.Constraints.formatMillis(onNucleo.latencyMs()) + " ±"), latencyRow);
        assertTrue(latencyRow.contains("this machine's: " + dev.edgefit.device.Constraints.formatMillis(
                workbench.experiment().current().metrics().latencyMs().p50())), latencyRow);
        String ramRow = texts(workbench.fit, ".fit").stream().filter(t -> t.contains(FitCheck.PEAK_RAM + ": ")).findFirst().orElseThrow();
        assertTrue(ramRow.contains("Peak RAM: est. " + dev.edgefit.device.Constraints.formatBytes(onNucleo.peakRamBytes()) + " of 683.59 KiB"),
                "the nucleo's default 700,000-byte limit in binary units: " + ramRow);
        assertEquals(onNucleo.latencyMs() > 5, workbench.fit.verdict.getText().startsWith("Does not fit"), workbench.fit.verdict.getText());
        robot.interact(() -> workbench.constraints.deviceBox.getSelectionModel().select(workbench.constraints.deviceBox.getItems().stream()
                .filter(d -> d.id().equals("raspberry-pi-4")).findFirst().orElseThrow()));

        // the limit changes: the fit follows without running anything again
        robot.interact(() -> workbench.constraints.maxSize.setText("100KB"));
        waitFor("111 kB is over 100 kB", () -> texts(workbench.fit, ".fit-fail").stream().anyMatch(t -> t.contains(FitCheck.MODEL_SIZE)));
        assertEquals(2, workbench.stepsTable.getItems().size());

        shoot(robot, "workbench-after-int8.png");

        Path out = TestModels.tempDir("guiexport");
        robot.interact(() -> workbench.exportTo(out, false));
        waitFor("export writes the report", () -> Files.isRegularFile(out.resolve("report.html")) && !workbench.exportButton.isDisabled());
        assertTrue(Files.isRegularFile(out.resolve("report.json")));
        assertTrue(Files.isRegularFile(out.resolve("model.ort")));
        assertTrue(Files.isRegularFile(out.resolve("model.onnx")));
        assertFalse(Files.exists(out.resolve("model.tflite")), "the int8-dynamic step has MatMulInteger, which TFLite export does not take");
        assertTrue(workbench.status.getText().contains("Not produced: TFLite does not take") && workbench.status.getText().contains("MatMulInteger"),
                workbench.status.getText());

        robot.interact(() -> workbench.stepsTable.getSelectionModel().select(1));
        robot.clickOn("#revert-button");
        waitFor("step 1 is reverted and the fit is back on step 0", () -> workbench.stepsTable.getItems().get(1).status() == Step.Status.REVERTED
                && workbench.experiment().current().index() == 0);
        assertEquals(2, workbench.stepsTable.getItems().size());

        // the float original converts: the Raspberry Pi takes TFLite, so the export adds the float and full-integer files
        Path out2 = TestModels.tempDir("guiexport-tflite");
        robot.interact(() -> workbench.exportTo(out2, false));
        waitFor("export writes the report", () -> Files.isRegularFile(out2.resolve("report.html")) && !workbench.exportButton.isDisabled());
        assertTrue(Files.isRegularFile(out2.resolve("model.tflite")) && Files.isRegularFile(out2.resolve("model_int8.tflite")));
        assertFalse(workbench.status.getText().contains("Not produced"), workbench.status.getText());
    }

    @Test
    void recentFilesRememberTheSample() throws Exception {
        sampleMeasured();
        Path recent = RecentFiles.inConfigFolder().file();
        waitFor("recent.json is written", () -> Files.isRegularFile(recent));
        assertEquals(TestModels.sampleCnn().toAbsolutePath().normalize().toString(), RecentFiles.inConfigFolder().read().get(0));
    }

    @Test
    void aTextFileGivesOneSentenceNamingIt(FxRobot robot) throws Exception {
        sampleMeasured();
        Path bad = TestModels.tempDir("guibad").resolve("holiday-notes.txt");
        Files.writeString(bad, "Packing list: sunscreen, hat, two books.\n");
        robot.interact(() -> workbench.open(bad, null));
        waitFor("an error is shown", () -> !workbench.errorLabel.getText().isEmpty());
        String msg = workbench.errorLabel.getText();
        assertTrue(msg.contains("holiday-notes.txt"), msg);
        assertTrue(msg.contains("not an ONNX model"), msg);
        assertFalse(msg.contains("Exception") || msg.contains("\n") || msg.contains("\tat "), msg);
        assertEquals(1, msg.split("(?<=[.!?])\\s+(?=[A-Z])").length, "one sentence: " + msg);
        // the open experiment is untouched
        assertEquals(TestModels.sampleCnn().toRealPath(), workbench.experiment().sourceFile().toRealPath());
        assertFalse(workbench.runButton.isDisabled());
    }

    @Test
    void badValuesShowOneSentenceBesideTheField(FxRobot robot) throws Exception {
        sampleMeasured();
        selectTechnique(robot, "int8-dynamic");
        robot.interact(() -> workbench.form().setText("min-elements", "-3"));
        assertTrue(workbench.runButton.isDisabled(), "no run with a bad parameter");
        String msg = workbench.form().errorText();
        assertTrue(msg.contains("min-elements") && msg.contains("-3"), msg);
        robot.interact(() -> workbench.form().setText("min-elements", "16"));
        assertEquals("", workbench.form().errorText());
        assertFalse(workbench.runButton.isDisabled());

        robot.interact(() -> workbench.constraints.maxSize.setText("12 parsecs"));
        assertTrue(workbench.constraints.sizeError.isVisible());
        assertTrue(workbench.constraints.sizeError.getText().contains("'12 parsecs' is not a size"), workbench.constraints.sizeError.getText());
        assertTrue(workbench.fit.verdict.getText().contains("cannot be read"), workbench.fit.verdict.getText());
        robot.interact(() -> workbench.constraints.maxSize.setText("8MB"));
        assertFalse(workbench.constraints.sizeError.isVisible());
        assertTrue(texts(workbench.fit, ".fit-pass").stream().anyMatch(t -> t.contains(FitCheck.MODEL_SIZE)));
    }

    @Test
    void mixedPrecisionShowsItsSensitivityTable(FxRobot robot) throws Exception {
        sampleMeasured();
        selectTechnique(robot, "mixed-precision");
        robot.clickOn("#run-button");
        waitFor("the mixed-precision step finishes", () -> workbench.stepsTable.getItems().size() == 2);
        robot.interact(() -> workbench.stepsTable.getSelectionModel().select(1));
        waitFor("the sensitivity table lists both Gemm layers", () -> workbench.sensitivity.table.getItems().size() == 2);
        assertEquals(java.util.List.of("fc1", "fc2"), workbench.sensitivity.table.getItems().stream()
                .map(dev.edgefit.compress.MixedPrecision.Sensitivity::layer).toList());
        assertTrue(workbench.sensitivity.table.getColumns().stream().allMatch(javafx.scene.control.TableColumn::isSortable));
    }

    @Test
    void weightsTabShowsALayerBeforeAndAfterTheCurrentStep(FxRobot robot) throws Exception {
        sampleMeasured();
        javafx.scene.control.TabPane tabs = (javafx.scene.control.TabPane) workbench.root().lookup("#center-tabs");
        robot.interact(() -> tabs.getSelectionModel().select(tabs.getTabs().stream().filter(t -> t.getText().equals("Weights")).findFirst().orElseThrow()));
        waitFor("the layer picker lists the sample's six weighted layers", () -> workbench.weights.layerBox.getItems().size() == 6);
        assertEquals(List.of("conv1", "conv2", "dwconv", "pwconv", "fc1", "fc2"), workbench.weights.layerBox.getItems());

        selectTechnique(robot, "int8-dynamic");
        robot.clickOn("#run-button");
        waitFor("the int8 step finishes", () -> workbench.stepsTable.getItems().size() == 2 && !workbench.runButton.isDisabled());
        robot.clickOn("#weights-layer");
        robot.clickOn(robot.lookup(".list-cell").match((javafx.scene.control.ListCell<?> c) -> "fc1".equals(c.getText())).queryAs(Node.class));
        waitFor("fc1 before and after step 1 are counted", () -> {
            WeightsView.Result r = workbench.weights.shown;
            return r != null && r.layer().equals("fc1") && r.afterWeights() != null && r.afterWeights().opType().equals("MatMulInteger");
        });
        WeightsView.Result r = workbench.weights.shown;
        var sets = workbench.weights.chart.getAllDatasets();
        assertEquals(2, sets.size(), "two data sets: before and after");
        assertSame(r.before(), sets.get(0));
        assertSame(r.after(), sets.get(1));
        for (var h : List.of(r.before(), r.after())) {
            double total = 0;
            for (int i = 0; i < h.getDataCount(); i++) {
                total += h.get(1, i);
            }
            assertEquals(128 * 576, total, 0.5, "every one of fc1's weights is counted in range: " + h.getName());
        }
        // the after side is the int8 weights, not the original again
        assertTrue(r.beforeWeights().maxDistinctPerChannel() > 255, r.beforeWeights().describe());
        assertTrue(r.afterWeights().maxDistinctPerChannel() <= 255, r.afterWeights().describe());
        boolean differs = false;
        for (int i = 0; i < r.before().getDataCount(); i++) {
            differs |= r.before().get(1, i) != r.after().get(1, i);
        }
        assertTrue(differs, "the two histograms differ");
        assertTrue(workbench.weights.afterForm.getText().startsWith("Step 1, int8 dynamic quantization: int8 per-channel (MatMulInteger"),
                workbench.weights.afterForm.getText());
        assertTrue(workbench.weights.beforeForm.getText().startsWith("Original: float"), workbench.weights.beforeForm.getText());
        assertTrue(workbench.weights.chart.legendVisibleProperty().get(), "a legend names the two series");
        shoot(robot, "weights-int8.png");

        // reverting step 1 makes step 0 current: the after side is the original again
        robot.interact(() -> {
            tabs.getSelectionModel().select(0);
            workbench.stepsTable.getSelectionModel().select(1);
        });
        robot.clickOn("#revert-button");
        waitFor("step 1 is reverted", () -> workbench.experiment().current().index() == 0);
        WaitForAsyncUtils.waitForFxEvents();
        assertEquals("MatMulInteger", workbench.weights.shown.afterWeights().opType(), "a hidden Weights tab counts nothing");
        robot.interact(() -> tabs.getSelectionModel().select(tabs.getTabs().stream().filter(t -> t.getText().equals("Weights")).findFirst().orElseThrow()));
        waitFor("the weights follow the current step back to step 0", () -> {
            WeightsView.Result x = workbench.weights.shown;
            return x != null && x.afterWeights() != null && x.afterWeights().opType().equals("Gemm");
        });
        assertTrue(workbench.weights.afterForm.getText().startsWith("Step 0 (the original): float"), workbench.weights.afterForm.getText());
    }
}
