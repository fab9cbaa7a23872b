package dev.edgefit.ui;

import dev.edgefit.common.AppPaths;
import javafx.application.Application;
import javafx.stage.Stage;

import java.nio.file.Path;
import java.util.List;

/** The JavaFX application: one workbench window, opened on the given model or the bundled sample. */
public final class WorkbenchApp extends Application {
    private Workbench workbench;

    @Override
    public void start(Stage stage) {
        workbench = new Workbench(stage, getHostServices());
        stage.setTitle("EdgeFit");
        stage.setScene(workbench.scene());
        stage.show();
        List<String> args = getParameters().getRaw();
        if (!args.isEmpty()) {
            workbench.open(Path.of(args.get(0)), args.size() > 1 ? Path.of(args.get(1)) : null);
        } else {
            AppPaths.find("assets/models/fashion_cnn.onnx").ifPresent(p -> workbench.open(p, null));
        }
    }

    @Override
    public void stop() {
        if (workbench != null) {
            workbench.close();
        }
    }
}
