package dev.edgefit.ui;

/** Starts the JavaFX workbench. */
public final class WorkbenchLauncher {
    private WorkbenchLauncher() {
    }

    public static void launch(String[] args) {
        throw new UnsupportedOperationException("the workbench is being built");
    }
}
