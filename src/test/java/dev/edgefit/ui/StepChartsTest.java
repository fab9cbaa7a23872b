package dev.edgefit.ui;

import io.fair_acc.chartfx.XYChart;
import io.fair_acc.chartfx.axes.spi.DefaultNumericAxis;
import javafx.scene.Scene;
import javafx.stage.Stage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.testfx.api.FxRobot;
import org.testfx.framework.junit5.ApplicationExtension;
import org.testfx.framework.junit5.Start;
import org.testfx.util.WaitForAsyncUtils;

import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/** The three charts in a shown scene: points added after the first layout, axes that read well. */
@ExtendWith(ApplicationExtension.class)
class StepChartsTest {
    private StepCharts charts;

    @Start
    void start(Stage stage) {
        charts = new StepCharts();
        stage.setScene(new Scene(charts.node(), 960, 300));
        stage.show();
    }

    private static List<Double> ticks(XYChart c, boolean x) {
        DefaultNumericAxis a = (DefaultNumericAxis) (x ? c.getXAxis() : c.getYAxis());
        return a.getTickMarks().stream().map(t -> t.getValue()).toList();
    }

    private void settle(FxRobot robot) throws Exception {
        // a layout pass has happened once the axes have tick marks for the current range
        WaitForAsyncUtils.waitFor(10, TimeUnit.SECONDS, () -> {
            WaitForAsyncUtils.waitForFxEvents();
            return !ticks(charts.sizeChart, true).isEmpty();
        });
    }

    @Test
    void pointsAddedAfterLayoutAppearOnWholeStepsWithHonestAxes(FxRobot robot) throws Exception {
        settle(robot);
        // thirteen steps: the step axis grows and keeps whole-number ticks
        robot.interact(() -> {
            charts.reset(true);
            for (int i = 0; i < 13; i++) {
                charts.size.add(i, 0.335 - i * 0.02);
                charts.quality.add(i, 89.65 - i * 0.01);
                charts.latency.add(i, 0.05 + i * 0.001);
            }
            charts.rescale();
        });
        WaitForAsyncUtils.waitFor(10, TimeUnit.SECONDS, () -> {
            WaitForAsyncUtils.waitForFxEvents();
            List<Double> t = ticks(charts.sizeChart, true);
            return !t.isEmpty() && t.get(t.size() - 1) >= 12;
        });
        for (XYChart c : List.of(charts.sizeChart, charts.qualityChart, charts.latencyChart)) {
            List<Double> xt = ticks(c, true);
            assertTrue(xt.stream().allMatch(v -> v == Math.rint(v)), "whole steps only: " + xt);
            assertTrue(xt.size() <= 9, "not crowded: " + xt);
        }
        DefaultNumericAxis q = (DefaultNumericAxis) charts.qualityChart.getYAxis();
        assertTrue(q.getMax() - q.getMin() >= 2, "a 0.12-point change is not blown up to the full height: " + q.getMin() + ".." + q.getMax());
        assertTrue(q.getMin() <= 89.53 && q.getMax() >= 89.65);
        DefaultNumericAxis s = (DefaultNumericAxis) charts.sizeChart.getYAxis();
        assertEquals(0, s.getMin(), "sizes start at zero");
        assertTrue(s.getMax() >= 0.335);

        // no labels: the quality chart becomes the worst output's SQNR, the figure the acceptance rule judges by
        robot.interact(() -> charts.reset(false));
        assertEquals(0, charts.quality.getDataCount());
        assertTrue(charts.qualityChart.getTitle().contains("SQNR"));
        assertEquals("dB", charts.qualityChart.getYAxis().getUnit());
    }
}
