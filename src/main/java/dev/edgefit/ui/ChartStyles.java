package dev.edgefit.ui;

import io.fair_acc.chartfx.XYChart;
import io.fair_acc.chartfx.axes.spi.DefaultNumericAxis;
import io.fair_acc.chartfx.renderer.LineStyle;
import io.fair_acc.chartfx.renderer.spi.ErrorDataSetRenderer;
import io.fair_acc.chartfx.renderer.spi.HistogramRenderer;
import io.fair_acc.dataset.DataSet;
import io.fair_acc.dataset.spi.DoubleDataSet;

import java.util.Locale;

/**
 * The one place that builds the workbench's charts, so they look alike (and like the report's: the same series
 * colours as {@code ReportWriter}). Axes are ranged here by hand rather than by chartfx's auto-ranging, so that a
 * 0.1-point accuracy change does not fill the whole chart and the step axis shows whole steps only.
 */
final class ChartStyles {
    /** Series colours, the same as the HTML report's: size, accuracy, latency. */
    static final String[] COLOURS = {"#2f6db5", "#2e8b57", "#c0552b"};
    /** Steps shown before the step axis starts to grow. */
    static final int MIN_STEPS = 5;

    private ChartStyles() {
    }

    /**
     * A chart of one value per pipeline step. The data set is attached here, while it is still empty and before
     * the chart is in a scene; points are added later, from step events (see the chartfx note in DESIGN.md).
     */
    static XYChart perStep(String title, String axisName, String unit, DoubleDataSet data, int colour) {
        DefaultNumericAxis x = new StepAxis();
        x.setUnit(null);
        x.setAutoRanging(false);
        x.setAutoGrowRanging(false);
        x.setMinorTickCount(0);
        DefaultNumericAxis y = new DefaultNumericAxis(axisName, unit);
        y.setAutoRanging(false);
        y.setAutoGrowRanging(false);
        y.setMinorTickCount(0);
        XYChart chart = new XYChart(x, y);
        chart.setTitle(title);
        chart.setLegendVisible(false);
        chart.setAnimated(false);
        chart.setPrefSize(300, 240);
        chart.setMinSize(180, 150);
        chart.getStyleClass().add("step-chart");
        ErrorDataSetRenderer r = new ErrorDataSetRenderer();
        r.setDrawMarker(true);
        r.getDatasets().add(data);
        chart.getRenderers().setAll(r);
        String c = COLOURS[colour % COLOURS.length];
        data.setStyle("-fx-line-color: " + c + "; -fx-marker-color: " + c + "; -fx-line-width: 2; -fx-marker-size: 4; -fx-marker-type: circle;");
        chart.setId("chart-" + title.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-").replaceAll("-$", ""));
        rangeSteps(chart, 0);
        rangeValues(chart, data, true, 1);
        return chart;
    }

    /** Colours of a histogram's two series, before and after: the original in blue, the step in orange. */
    static final String[] HISTOGRAM_COLOURS = {"#2f6db5", "#d9822b"};

    /**
     * A histogram chart for two series on the same bins: the first filled (translucent), the second drawn as an outline
     * on top, so that both stay readable where they overlap. It has no data set yet: data sets are made and filled off
     * the FX thread and attached whole with {@link #showHistograms} (never a point added to an attached data set; see
     * DESIGN.md).
     */
    static XYChart histogram(String title, String axisName) {
        DefaultNumericAxis x = new DefaultNumericAxis(axisName, null);
        x.setAutoRanging(false);
        x.setAutoGrowRanging(false);
        x.setMinorTickCount(0);
        x.setMaxMajorTickLabelCount(9);
        x.setTickLabelFormatter(new javafx.util.StringConverter<>() {
            @Override
            public String toString(Number n) {
                // ticks are sums of steps: -5.6e-17 is zero, not "-0.0"
                double v = n.doubleValue();
                double r = Math.rint(v * 1e9) / 1e9;
                return r == 0 ? "0" : java.math.BigDecimal.valueOf(r).stripTrailingZeros().toPlainString();
            }

            @Override
            public Number fromString(String s) {
                return Double.parseDouble(s);
            }
        });
        DefaultNumericAxis y = new DefaultNumericAxis("weights per bin", null);
        y.setTickLabelFormatter(new javafx.util.StringConverter<>() {
            @Override
            public String toString(Number n) {
                // counts: whole numbers with thousands separators, never 2.5E3 shown as "3E3"
                return String.format(Locale.ROOT, "%,.0f", n.doubleValue());
            }

            @Override
            public Number fromString(String s) {
                return Double.parseDouble(s.replace(",", ""));
            }
        });
        y.setAutoRanging(false);
        y.setAutoGrowRanging(false);
        y.setMinorTickCount(0);
        y.setMaxMajorTickLabelCount(7);
        XYChart chart = new XYChart(x, y);
        chart.setTitle(title);
        chart.setLegendVisible(true);
        chart.setAnimated(false);
        chart.setMinSize(240, 180);
        chart.getStyleClass().add("step-chart");
        HistogramRenderer filled = new HistogramRenderer();
        filled.setPolyLineStyle(LineStyle.HISTOGRAM_FILLED);
        HistogramRenderer outline = new HistogramRenderer();
        outline.setPolyLineStyle(LineStyle.HISTOGRAM);
        for (HistogramRenderer r : new HistogramRenderer[] {filled, outline}) {
            r.setDrawMarker(false);
            r.setAutoSorting(false);
            r.setAnimate(false);
        }
        chart.getRenderers().setAll(filled, outline);
        chart.setId("chart-" + title.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-").replaceAll("-$", ""));
        x.set(-1, 1);
        y.set(0, 1);
        return chart;
    }

    /**
     * Shows the first data set filled and the second (if any) as an outline, on x from lo to hi and counts from 0 to
     * yMax. Both are filled before they are attached.
     */
    static void showHistograms(XYChart chart, double lo, double hi, double yMax, DataSet filled, DataSet outline) {
        // the filled series is drawn in its line colour: a translucent one keeps the outline and the grid visible
        filled.setStyle("-fx-line-color: " + HISTOGRAM_COLOURS[0] + "80; -fx-line-width: 1;");
        chart.getRenderers().get(0).getDatasets().setAll(filled);
        if (outline == null) {
            chart.getRenderers().get(1).getDatasets().clear();
        } else {
            outline.setStyle("-fx-line-color: " + HISTOGRAM_COLOURS[1] + "; -fx-line-width: 1.6;");
            chart.getRenderers().get(1).getDatasets().setAll(outline);
        }
        DefaultNumericAxis x = (DefaultNumericAxis) chart.getXAxis();
        double pad = (hi - lo) * 0.02;
        x.set(lo - pad, hi + pad);
        double tick = niceStep(Math.max(yMax, 1) * 1.1 / 5);
        ((DefaultNumericAxis) chart.getYAxis()).set(0, Math.ceil(Math.max(yMax, 1) * 1.1 / tick) * tick);
    }

    /** The step axis: whole steps from 0 to at least {@value #MIN_STEPS} - 1, growing with the steps taken. */
    static void rangeSteps(XYChart chart, int steps) {
        DefaultNumericAxis x = (DefaultNumericAxis) chart.getXAxis();
        int last = Math.max(MIN_STEPS, steps) - 1;
        x.set(-0.5, last + 0.5);
    }

    /**
     * The value axis: from zero (sizes, times) or around the data, with at least {@code minSpan} between its ends so
     * that small differences look small, and some room above and below the points.
     */
    static void rangeValues(XYChart chart, DoubleDataSet data, boolean fromZero, double minSpan) {
        rangeValues(chart, data, fromZero, minSpan, 1);
    }

    /** As above; {@code emptyMax} is the top of the axis while there are no points (100 for a percentage). */
    static void rangeValues(XYChart chart, DoubleDataSet data, boolean fromZero, double minSpan, double emptyMax) {
        double lo = Double.POSITIVE_INFINITY;
        double hi = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < data.getDataCount(); i++) {
            double v = data.get(DoubleDataSet.DIM_Y, i);
            if (Double.isFinite(v)) {
                lo = Math.min(lo, v);
                hi = Math.max(hi, v);
            }
        }
        DefaultNumericAxis y = (DefaultNumericAxis) chart.getYAxis();
        y.setMaxMajorTickLabelCount(7);
        if (lo > hi) {
            y.set(0, emptyMax);
            return;
        }
        if (fromZero) {
            lo = Math.min(0, lo);
            hi = Math.max(hi * 1.15, lo + minSpan);
        } else {
            double span = Math.max(hi - lo, minSpan);
            double mid = (hi + lo) / 2;
            lo = mid - span * 0.65;
            hi = mid + span * 0.65;
        }
        double tick = niceStep((hi - lo) / 5);
        y.set(Math.floor(lo / tick) * tick, Math.ceil(hi / tick) * tick);
    }

    /** The step axis: ticks on whole steps only (1, 2, 5, 10, ... apart), at most about eight of them. */
    private static final class StepAxis extends DefaultNumericAxis {
        StepAxis() {
            super("step");
        }

        @Override
        public double computePreferredTickUnit(double axisLength) {
            double span = getMax() - getMin();
            double unit = 1;
            for (int i = 0; span / unit > 8; i++) {
                unit = (i % 3 == 1 ? 2.5 : 2) * unit; // 1, 2, 5, 10, 20, 50, ...
            }
            return unit;
        }
    }

    /** 1, 2, 2.5 or 5 times a power of ten, at least {@code raw}. */
    static double niceStep(double raw) {
        if (!(raw > 0) || Double.isInfinite(raw)) {
            return 1;
        }
        double p = Math.pow(10, Math.floor(Math.log10(raw)));
        for (double m : new double[] {1, 2, 2.5, 5, 10}) {
            if (m * p >= raw * (1 - 1e-9)) {
                return m * p;
            }
        }
        return 10 * p;
    }
}
