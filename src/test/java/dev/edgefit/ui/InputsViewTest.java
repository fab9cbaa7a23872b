package dev.edgefit.ui;

import dev.edgefit.ModelCorpus;
import dev.edgefit.pipeline.Step;
import javafx.scene.control.TextField;
import javafx.stage.Stage;
import org.junit.jupiter.api.Test;
import org.testfx.api.FxRobot;
import org.testfx.framework.junit5.Start;
import org.testfx.framework.junit5.Stop;

import java.math.BigDecimal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Inputs tab on a recurrent voice-activity detector with state and sample-rate inputs: step 0 is measured on the
 * inputs generated from its signature, the tab shows what each input is fed, and a value typed there (an 8 kHz sample
 * rate) opens the experiment again with it: the audio window follows and the experiment remembers it.
 */
class InputsViewTest extends WorkbenchFixture {
    @Start
    void start(Stage stage) {
        open(stage);
    }

    @Stop
    void stop() {
        close();
    }

    private boolean measured() {
        var ex = workbench.experiment();
        return ex != null && ex.current() != null && ex.current().index() == 0 && ex.current().status() == Step.Status.DONE
                && ex.current().metrics() != null;
    }

    @Test
    void aStatefulAudioModelIsMeasuredAndItsInputsCanBeSet(FxRobot robot) throws Exception {
        var vad = ModelCorpus.VAD_V5.path();
        waitFor("the sample is open", this::measured);
        robot.interact(() -> workbench.open(vad, null));
        waitFor("the VAD is measured as step 0 on generated inputs",
                () -> measured() && workbench.experiment().sourceFile().equals(vad.toAbsolutePath()));
        InputsView v = workbench.inputsView;
        assertEquals("1x512", v.promptOf("input"), "32 ms of audio at 16 kHz");
        assertEquals("2x1x128", v.promptOf("state"), "the state takes the batch, not a sequence length");
        robot.interact(() -> {
            TextField sr = (TextField) v.lookup("#input-value-sr");
            sr.setText("8000");
            ((javafx.scene.control.Button) v.lookup("#inputs-apply")).fire();
        });
        waitFor("the VAD is measured again with the 8 kHz rate", () -> measured()
                && workbench.experiment().inputs().values().containsKey("sr"));
        assertEquals(new BigDecimal("8000"), workbench.experiment().inputs().values().get("sr").number());
        assertEquals("1x256", v.promptOf("input"), "the window follows the rate");
        assertNotNull(workbench.experiment().current().metrics().latencyMs());
        robot.interact(() -> {
            javafx.scene.control.TabPane tabs = (javafx.scene.control.TabPane) workbench.root().lookup("#center-tabs");
            tabs.getSelectionModel().select(tabs.getTabs().stream().filter(t -> t.getText().equals("Inputs")).findFirst().orElseThrow());
        });
        shoot(robot, "inputs-vad.png");

        // a technique on the VAD's weights (inside its If branches) is judged by the SQNR of its outputs, charted in dB
        robot.interact(() -> workbench.experiment().run(dev.edgefit.compress.TechniqueRegistry.get("fp16"),
                dev.edgefit.compress.Params.defaults(dev.edgefit.compress.TechniqueRegistry.get("fp16"))));
        waitFor("the fp16 step is measured and charted", () -> workbench.experiment().steps().size() == 2
                && workbench.experiment().steps().get(1).metrics() != null && workbench.charts.quality.getDataCount() == 1
                && workbench.charts.size.getDataCount() == 2);
        assertEquals(1, workbench.charts.quality.getDataCount(), "the original has no finite SQNR to itself: no point for it");
        Step fp16 = workbench.experiment().steps().get(1);
        assertEquals("sqnrDb", fp16.decidedBy(), fp16.note());
        assertTrue(fp16.metrics().fileBytes() < 0.6 * workbench.experiment().steps().get(0).metrics().fileBytes(), "weights in the branches shrank");
        assertTrue(workbench.charts.qualityChart.getTitle().contains("SQNR"));
        Thread.sleep(500); // let the charts lay out before the picture
        org.testfx.util.WaitForAsyncUtils.waitForFxEvents();
        shoot(robot, "vad-fp16.png");

        robot.interact(() -> {
            ((TextField) v.lookup("#input-shape-input")).setText("1xabc");
            ((javafx.scene.control.Button) v.lookup("#inputs-apply")).fire();
        });
        String problem = robot.lookup("#inputs-problem").queryAs(javafx.scene.control.Label.class).getText();
        assertTrue(problem.startsWith("Shape of input=1xabc"), problem);
        assertTrue(workbench.experiment().inputs().values().containsKey("sr"), "a bad field changes nothing");
    }
}
