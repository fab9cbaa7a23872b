package dev.edgefit.ui;

import javafx.application.Application;

/** Starts the JavaFX workbench. Not an Application itself, so JavaFX loads from the classpath. */
public final class WorkbenchLauncher {
    private WorkbenchLauncher() {
    }

    /** An optional first argument is a model file to open; without one the bundled sample opens. */
    public static void launch(String[] args) {
        Application.launch(WorkbenchApp.class, args);
    }
}
