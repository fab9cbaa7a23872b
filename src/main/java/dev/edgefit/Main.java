package dev.edgefit;

import dev.edgefit.cli.EdgeFitCli;
import dev.edgefit.ui.WorkbenchLauncher;

/**
 * Entry point of target/edgefit.jar: with no arguments it opens the workbench, with arguments it runs the
 * command line. (It does not extend javafx.application.Application, so JavaFX loads from the classpath.)
 */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) {
        if (args.length == 0 || (args.length >= 1 && args[0].equals("gui"))) {
            WorkbenchLauncher.launch(args.length == 0 ? args : java.util.Arrays.copyOfRange(args, 1, args.length));
        } else {
            System.exit(EdgeFitCli.run(args));
        }
    }
}
