package dev.edgefit.ui;

import io.fair_acc.chartfx.XYChart;
import io.fair_acc.chartfx.axes.spi.DefaultNumericAxis;
import io.fair_acc.chartfx.renderer.spi.ErrorDataSetRenderer;
import io.fair_acc.dataset.spi.DoubleDataSet;

/** The one place that builds the workbench's charts, so they look alike (and like the report's). */
final class ChartStyles {
    /** Series colours, the same as the HTML report's. */
    static final String[] COLOURS = {"#2f6db5", "#2e8b57", "#c0552b"};

    private ChartStyles() {
    }

    /** A chart of one value per pipeline step; the data set is attached here, empty, before the chart is shown. */
    static XYChart perStep(String title, String unit, DoubleDataSet data, int colour, boolean fromZero) {
        DefaultNumericAxis x = new DefaultNumericAxis("step");
        x.setAutoRanging(false);
        x.set(-0.5, 4.5);
        x.setTickUnit(1);
        x.setUnit(null);
        DefaultNumericAxis y = new DefaultNumericAxis(title, unit);
        y.setAutoRanging(true);
        y.setAutoRangeRounding(false);
        y.setAutoRangePadding(0.15);
        y.setForceZeroInRange(fromZero);
        XYChart chart = new XYChart(x, y);
        chart.setTitle(title);
        chart.setLegendVisible(false);
        chart.setAnimated(false);
        chart.setPrefSize(320, 230);
        chart.setMinSize(200, 160);
        ErrorDataSetRenderer r = new ErrorDataSetRenderer();
        r.setDrawMarker(true);
        r.getDatasets().add(data);
        chart.getRenderers().setAll(r);
        data.setStyle("-fx-stroke: " + COLOURS[colour] + "; -fx-fill: " + COLOURS[colour] + "; -fx-stroke-width: 2;");
        chart.setId("chart-" + title.toLowerCase(java.util.Locale.ROOT).replace(' ', '-'));
        return chart;
    }
}
