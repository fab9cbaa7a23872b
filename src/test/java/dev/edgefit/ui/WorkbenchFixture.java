package dev.edgefit.ui;

import dev.edgefit.TestModels;
import javafx.stage.Stage;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.ExtendWith;
import org.testfx.api.FxRobot;
import org.testfx.framework.junit5.ApplicationExtension;
import org.testfx.util.WaitForAsyncUtils;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The workbench on Monocle (headless), started as the application starts it: with no arguments it opens the
 * bundled sample and measures it as step 0. Dialogs are off and the user's config folder is a test folder.
 */
@ExtendWith(ApplicationExtension.class)
abstract class WorkbenchFixture {
    protected Workbench workbench;

    @BeforeAll
    static void headlessSettings() {
        System.setProperty(Workbench.NO_DIALOGS, "true");
        // recent files and the user's device profiles go to a test folder, not the user's ~/.config
        System.setProperty(RecentFiles.CONFIG_PROPERTY, TestModels.tempDir("guiconfig").toString());
    }

    /**
     * Opens the workbench as the application does. TestFX looks for {@code @Start}/{@code @Stop} among the test
     * class's own methods only, so each test class declares them and calls this and {@link #close()}.
     */
    protected void open(Stage stage) {
        workbench = WorkbenchApp.show(stage, null, List.of());
    }

    protected void close() {
        workbench.close();
    }

    /** Polls (with FX events flushed) until the condition holds, failing after two minutes. */
    protected void waitFor(String what, BooleanSupplier condition) throws Exception {
        try {
            WaitForAsyncUtils.waitFor(120, TimeUnit.SECONDS, () -> {
                WaitForAsyncUtils.waitForFxEvents();
                return onFx(condition);
            });
        } catch (java.util.concurrent.TimeoutException e) {
            fail("timed out waiting: " + what + "; status '" + workbench.status.getText() + "', error '" + workbench.errorLabel.getText()
                    + "', devices '" + workbench.comparison.status.getText() + "'");
        }
        assertTrue(onFx(condition), what);
    }

    /** Evaluates on the FX thread, so a condition never sees a UI update half done. */
    private static boolean onFx(BooleanSupplier condition) throws Exception {
        return WaitForAsyncUtils.asyncFx(condition::getAsBoolean).get(30, TimeUnit.SECONDS);
    }

    /** Keeps a picture of the window for people reviewing the GUI (target/screenshots). */
    protected void shoot(FxRobot robot, String name) {
        robot.interact(() -> {
            try {
                Path shot = TestModels.root().resolve("target/screenshots/" + name);
                Files.createDirectories(shot.getParent());
                javax.imageio.ImageIO.write(javafx.embed.swing.SwingFXUtils.fromFXImage(
                        workbench.root().getScene().snapshot(null), null), "png", shot.toFile());
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
    }
}
