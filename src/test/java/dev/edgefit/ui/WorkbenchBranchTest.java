package dev.edgefit.ui;

import com.fasterxml.jackson.databind.JsonNode;
import dev.edgefit.TestModels;
import dev.edgefit.common.Json;
import dev.edgefit.pipeline.Step;
import io.fair_acc.chartfx.XYChart;
import io.fair_acc.dataset.DataSet;
import javafx.stage.Stage;
import org.junit.jupiter.api.Test;
import org.testfx.api.FxRobot;
import org.testfx.framework.junit5.Start;
import org.testfx.framework.junit5.Stop;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** Steps as a tree in the workbench: int8 and int4 both from the original, two lines in every chart, revert selects the current step. */
class WorkbenchBranchTest extends WorkbenchFixture {
    @Start
    void start(Stage stage) {
        open(stage);
    }

    @Stop
    void stop() {
        close();
    }

    private void selectTechnique(FxRobot robot, String id) {
        robot.interact(() -> workbench.techniqueList.getSelectionModel().select(
                workbench.techniqueList.getItems().stream().filter(t -> t.id().equals(id)).findFirst().orElseThrow()));
    }

    private static List<Double> xs(DataSet d) {
        List<Double> out = new ArrayList<>();
        for (int i = 0; i < d.getDataCount(); i++) {
            out.add(d.get(DataSet.DIM_X, i));
        }
        return out;
    }

    @Test
    void int4FromTheOriginalBesideInt8IsASecondLineAndRevertSelectsTheCurrentStep(FxRobot robot) throws Exception {
        waitFor("the sample's original is measured as step 0", () -> workbench.stepsTable.getItems().size() == 1 && !workbench.runButton.isDisabled());
        selectTechnique(robot, "int8-dynamic");
        robot.clickOn("#run-button");
        waitFor("the int8 step finishes", () -> workbench.stepsTable.getItems().size() == 2 && !workbench.runButton.isDisabled());

        // int4 after int8 is refused by name before anything runs
        selectTechnique(robot, "int4");
        robot.interact(() -> workbench.fromStep.setValue(1));
        robot.clickOn("#run-button");
        waitFor("the refusal is shown", () -> workbench.errorLabel.getText().startsWith("int4 cannot apply to step 1 (int8-dynamic)"));
        assertEquals(2, workbench.stepsTable.getItems().size(), "nothing ran");

        robot.interact(() -> workbench.fromStep.setValue(0));
        robot.clickOn("#run-button");
        waitFor("the int4 step from the original finishes", () -> workbench.stepsTable.getItems().size() == 3 && !workbench.runButton.isDisabled());
        Step int4 = workbench.stepsTable.getItems().get(2);
        assertEquals("int4", int4.techniqueId());
        assertEquals(0, int4.parent(), "int4 was applied to the original");
        assertEquals(Step.Status.DONE, int4.status(), int4.note());
        assertEquals(2, workbench.experiment().current().index());
        assertEquals(-1, workbench.fromStep.getValue(), "the chooser goes back to the current step");

        for (XYChart c : List.of(workbench.charts.sizeChart, workbench.charts.qualityChart, workbench.charts.latencyChart)) {
            List<DataSet> branches = workbench.charts.branches(c);
            assertEquals(1, branches.size(), "one branch beside the main line on " + c.getTitle());
            assertEquals(List.of(0.0, 2.0), xs(branches.get(0)), "the branch runs from the original to step 2");
        }
        assertEquals(List.of(0.0, 1.0), xs(workbench.charts.size), "the main line: the original, then int8");
        assertEquals(Files.size(int4.artifact()) / 1048576.0, workbench.charts.branches(workbench.charts.sizeChart).get(0).get(DataSet.DIM_Y, 1), 1e-12);
        assertSame(int4, workbench.stepsTable.getSelectionModel().getSelectedItem(), "the finished step is selected");

        // the GUI export writes the real chain of the current step: only int4, from the original
        Path out = TestModels.tempDir("guibranch");
        robot.interact(() -> workbench.exportTo(out, false));
        waitFor("export writes the manifest", () -> Files.isRegularFile(out.resolve("report.json")) && !workbench.exportButton.isDisabled());
        JsonNode recipe = Json.mapper().readTree(out.resolve("manifest.json").toFile()).get("recipe");
        assertEquals(1, recipe.get("steps").size(), recipe.toString());
        assertEquals("int4", recipe.get("steps").get(0).get("technique").asText());
        assertEquals(2, recipe.get("steps").get(0).get("step").asInt());
        assertEquals(workbench.experiment().sourceSha256(), recipe.get("source").get("sha256").asText());
        assertEquals(recipe, Json.mapper().readTree(out.resolve("report.json").toFile()).get("recipe"), "the report holds the same recipe");
        String html = Files.readString(out.resolve("report.html"));
        assertTrue(html.contains("<h2>Recipe</h2>") && html.contains(workbench.experiment().sourceSha256()), "the HTML report shows the recipe");
        JsonNode rows = Json.mapper().readTree(out.resolve("report.json").toFile()).get("steps");
        assertEquals(0, rows.get(2).get("parent").asInt(), "the report's steps name their parent");

        // no click on the table: the current step is selected, so Revert acts on it
        robot.clickOn("#revert-button");
        waitFor("step 2 is reverted and the original is current", () -> workbench.stepsTable.getItems().get(2).status() == Step.Status.REVERTED
                && workbench.experiment().current().index() == 0);
        waitFor("the current step is selected", () -> workbench.stepsTable.getSelectionModel().getSelectedItem() != null
                && workbench.stepsTable.getSelectionModel().getSelectedItem().index() == 0);
        assertEquals(0, workbench.weights.shownStep().index(), "the Weights tab shows the current step");
        List<DataSet> marks = workbench.charts.marks(workbench.charts.sizeChart);
        assertEquals(1, marks.size());
        assertEquals(List.of(2.0), xs(marks.get(0)), "the reverted step is marked");
        assertEquals(StepCharts.MARK_STYLE, marks.get(0).getStyle());
    }
}
