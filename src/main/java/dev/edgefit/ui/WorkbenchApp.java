package dev.edgefit.ui;

import dev.edgefit.common.AppPaths;
import javafx.application.Application;
import javafx.application.HostServices;
import javafx.stage.Stage;

import java.nio.file.Path;
import java.util.List;

/**
 * The JavaFX application: one workbench window. Arguments: an optional model file to open and, after it, an
 * optional data folder; with none, the bundled sample model opens with its data.
 */
public final class WorkbenchApp extends Application {
    private Workbench workbench;

    @Override
    public void start(Stage stage) {
        workbench = show(stage, getHostServices(), getParameters().getRaw());
    }

    /** Builds the window on {@code stage}, shows it and opens the model the arguments name, or the sample. */
    static Workbench show(Stage stage, HostServices host, List<String> args) {
        Workbench w = new Workbench(stage, host);
        stage.setTitle("EdgeFit");
        stage.setScene(w.scene());
        stage.setMinWidth(1000);
        stage.setMinHeight(640);
        stage.show();
        if (!args.isEmpty()) {
            w.open(Path.of(args.get(0)), args.size() > 1 ? Path.of(args.get(1)) : null);
        } else {
            AppPaths.find(Workbench.SAMPLE_MODEL).ifPresentOrElse(p -> w.open(p, null), () -> w.model.showError(
                    "The bundled sample " + AppPaths.resolve(Workbench.SAMPLE_MODEL) + " is not there: open a model with File ▸ Open model…"));
        }
        return w;
    }

    @Override
    public void stop() {
        if (workbench != null) {
            workbench.close();
        }
    }
}
