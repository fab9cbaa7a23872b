package dev.edgefit;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

/** Core packages know nothing of the GUI, the CLI or JavaFX. */
class ArchitectureTest {
    private static final String[] CORE = {
        "dev.edgefit.common..", "dev.edgefit.model..", "dev.edgefit.runtime..", "dev.edgefit.data..",
        "dev.edgefit.eval..", "dev.edgefit.compress..", "dev.edgefit.device..", "dev.edgefit.export..",
        "dev.edgefit.report..", "dev.edgefit.pipeline.."};

    private final JavaClasses classes = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("dev.edgefit");

    @Test
    void coreDoesNotDependOnUiOrCli() {
        noClasses().that().resideInAnyPackage(CORE)
                .should().dependOnClassesThat().resideInAnyPackage("dev.edgefit.ui..", "dev.edgefit.cli..")
                .check(classes);
    }

    @Test
    void coreDoesNotUseJavaFxOrPicocli() {
        noClasses().that().resideInAnyPackage(CORE)
                .should().dependOnClassesThat().resideInAnyPackage("javafx..", "picocli..", "io.fair_acc..", "org.controlsfx..")
                .check(classes);
    }

    @Test
    void cliAndUiDoNotDependOnEachOther() {
        noClasses().that().resideInAPackage("dev.edgefit.cli..")
                .should().dependOnClassesThat().resideInAPackage("dev.edgefit.ui..").check(classes);
        noClasses().that().resideInAPackage("dev.edgefit.ui..")
                .should().dependOnClassesThat().resideInAPackage("dev.edgefit.cli..").check(classes);
    }
}
