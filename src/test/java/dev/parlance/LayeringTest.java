package dev.parlance;

import static com.tngtech.archunit.base.DescribedPredicate.not;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.belongToAnyOf;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import dev.parlance.server.AppServer;
import org.junit.jupiter.api.Test;

/** The layering that docs/architecture.md ("Packages") states, held against the compiled classes. */
class LayeringTest {
    private static final JavaClasses MAIN = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("dev.parlance");

    @Test
    void packagesUseOnlyThePackagesBelowThem() {
        layeredArchitecture().consideringOnlyDependenciesInLayers()
                .layer("launcher").definedBy("dev.parlance")
                .layer("ui").definedBy("dev.parlance.ui..")
                .layer("cli").definedBy("dev.parlance.cli..")
                .layer("server").definedBy("dev.parlance.server..")
                .layer("service").definedBy("dev.parlance.service..")
                .layer("models").definedBy("dev.parlance.models..")
                .layer("store").definedBy("dev.parlance.store..")
                .layer("chat").definedBy("dev.parlance.chat..")
                .layer("inference").definedBy("dev.parlance.inference..")
                .whereLayer("ui").mayOnlyBeAccessedByLayers("launcher")
                .whereLayer("cli").mayOnlyBeAccessedByLayers("launcher")
                // the OpenAI-compatible server: a front end beside the command line, started by "parlance serve"
                // and by the app's switch "Serve the loaded model" (through AppServer only, see below)
                .whereLayer("server").mayOnlyBeAccessedByLayers("cli", "ui")
                .whereLayer("service").mayOnlyBeAccessedByLayers("launcher", "ui", "cli", "server")
                .whereLayer("models").mayOnlyBeAccessedByLayers("ui", "cli")
                .whereLayer("store").mayOnlyBeAccessedByLayers("launcher", "ui", "cli", "service")
                .whereLayer("chat").mayOnlyBeAccessedByLayers("ui", "cli", "server", "service", "store")
                .whereLayer("inference")
                .mayOnlyBeAccessedByLayers("launcher", "ui", "cli", "server", "service", "models", "store", "chat")
                // AppDirectories and RuntimeInfo serve the layers above the engine; the engine needs neither
                .whereLayer("launcher").mayOnlyBeAccessedByLayers("ui", "cli", "service", "store")
                .check(MAIN);
    }

    @Test
    void theDesktopAppReachesTheServerOnlyThroughAppServer() {
        noClasses().that().resideInAPackage("dev.parlance.ui..")
                .should().dependOnClassesThat(resideInAPackage("dev.parlance.server..")
                        .and(not(belongToAnyOf(AppServer.class))))
                .because("the app serves on loopback only, as AppServer does; the HTTP details stay in the server")
                .check(MAIN);
    }

    @Test
    void onlyTheDesktopAppUsesJavaFx() {
        noClasses().that().resideOutsideOfPackages("dev.parlance.ui..", "dev.parlance")
                .should().dependOnClassesThat().resideInAPackage("javafx..")
                .because("the engine, the store and the command line run without a display")
                .check(MAIN);
    }
}
