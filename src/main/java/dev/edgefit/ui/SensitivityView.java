package dev.edgefit.ui;

import dev.edgefit.compress.MixedPrecision;
import dev.edgefit.pipeline.Step;
import javafx.beans.property.ReadOnlyObjectWrapper;
import javafx.geometry.Insets;
import javafx.scene.chart.BarChart;
import javafx.scene.chart.CategoryAxis;
import javafx.scene.chart.NumberAxis;
import javafx.scene.chart.XYChart;
import javafx.scene.control.Label;
import javafx.scene.control.TableColumn;
import javafx.scene.control.TableView;
import javafx.scene.layout.HBox;
import javafx.scene.layout.Priority;
import javafx.scene.layout.VBox;

import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/**
 * Mixed precision's per-layer sensitivity for the selected step: a sortable table (layer, parameters, loss at each
 * precision, the precision chosen) and a bar chart of the loss per layer and precision.
 */
final class SensitivityView extends VBox {
    static final List<String> PRECISIONS = List.of("fp16", "int8", "int4");

    final TableView<MixedPrecision.Sensitivity> table = new TableView<>();
    private final BarChart<String, Number> chart = new BarChart<>(new CategoryAxis(), new NumberAxis());
    private final Label header = new Label("Select a mixed-precision step to see how much each layer loses at each precision.");

    SensitivityView() {
        super(6);
        setPadding(new Insets(6));
        table.setId("sensitivity-table");
        table.getColumns().add(col("Layer", MixedPrecision.Sensitivity::layer, 160));
        table.getColumns().add(numCol("Parameters", s -> (double) s.parameters(), "%,.0f"));
        for (String p : PRECISIONS) {
            table.getColumns().add(numCol("Loss at " + p, s -> s.dropByPrecision().get(p), "%.4f"));
        }
        table.getColumns().add(col("Chosen", MixedPrecision.Sensitivity::chosen, 70));
        table.setPlaceholder(new Label("No sensitivity table for this step."));
        chart.setAnimated(false);
        chart.setTitle("Loss per layer and precision");
        chart.getYAxis().setLabel("loss");
        chart.setLegendVisible(true);
        HBox row = new HBox(8, table, chart);
        HBox.setHgrow(table, Priority.ALWAYS);
        HBox.setHgrow(chart, Priority.ALWAYS);
        VBox.setVgrow(row, Priority.ALWAYS);
        header.setWrapText(true);
        getChildren().addAll(header, row);
    }

    @SuppressWarnings("unchecked")
    void show(Step s) {
        Object rows = s == null ? null : s.details().get("sensitivity");
        chart.getData().clear();
        if (!(rows instanceof List<?> list) || list.isEmpty()) {
            table.getItems().clear();
            header.setText("Select a mixed-precision step to see how much each layer loses at each precision.");
            return;
        }
        List<MixedPrecision.Sensitivity> items = (List<MixedPrecision.Sensitivity>) list;
        table.getItems().setAll(items);
        header.setText(String.format(Locale.ROOT, "Step %d: loss = %s when only that layer changes precision; predicted total %.4f.",
                s.index(), s.details().get("sensitivityMetric"), ((Number) s.details().getOrDefault("predictedDrop", 0.0)).doubleValue()));
        for (String p : PRECISIONS) {
            XYChart.Series<String, Number> series = new XYChart.Series<>();
            series.setName(p);
            for (MixedPrecision.Sensitivity r : items) {
                Double d = r.dropByPrecision().get(p);
                if (d != null) {
                    series.getData().add(new XYChart.Data<>(r.layer(), d));
                }
            }
            if (!series.getData().isEmpty()) {
                chart.getData().add(series);
            }
        }
    }

    private static TableColumn<MixedPrecision.Sensitivity, String> col(String name, Function<MixedPrecision.Sensitivity, String> f, double w) {
        TableColumn<MixedPrecision.Sensitivity, String> c = new TableColumn<>(name);
        c.setCellValueFactory(v -> new ReadOnlyObjectWrapper<>(f.apply(v.getValue())));
        c.setPrefWidth(w);
        return c;
    }

    /** A numeric column that sorts by value and shows it formatted. */
    private static TableColumn<MixedPrecision.Sensitivity, Double> numCol(String name, Function<MixedPrecision.Sensitivity, Double> f, String fmt) {
        TableColumn<MixedPrecision.Sensitivity, Double> c = new TableColumn<>(name);
        c.setCellValueFactory(v -> new ReadOnlyObjectWrapper<>(f.apply(v.getValue())));
        c.setCellFactory(col -> new javafx.scene.control.TableCell<>() {
            @Override
            protected void updateItem(Double d, boolean empty) {
                super.updateItem(d, empty);
                setText(empty || d == null ? null : String.format(Locale.ROOT, fmt, d));
            }
        });
        c.setPrefWidth(90);
        return c;
    }
}
