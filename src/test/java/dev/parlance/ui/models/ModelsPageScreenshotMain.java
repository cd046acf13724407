package dev.parlance.ui.models;

import dev.parlance.AppDirectories;
import dev.parlance.models.Catalog;
import dev.parlance.models.CatalogModel;
import dev.parlance.models.FakeHub;
import dev.parlance.models.Variant;
import dev.parlance.store.InMemoryConversationStore;
import dev.parlance.ui.AppPreferences;
import dev.parlance.ui.FakeInferenceService;
import dev.parlance.ui.FxDialogService;
import dev.parlance.ui.MainWindow;
import dev.parlance.ui.Theme;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import javafx.animation.PauseTransition;
import javafx.application.Application;
import javafx.application.Platform;
import javafx.stage.Stage;
import javafx.util.Duration;

/**
 * The Models page as a person sees it while a download runs, for screenshots on a real display:
 * the built-in catalog, a local {@link FakeHub} that serves the recommended model slowly (it stalls
 * part-way), and a gated model whose download failed for want of a token. Reads theme, language
 * and bounds from {@code $PARLANCE_DATA_DIR}; prints READY when the page is settled. With the
 * argument {@code --medium-reasoning} the catalog is filtered to medium reasoning models, where the
 * running download is on screen.
 */
public final class ModelsPageScreenshotMain {
    private ModelsPageScreenshotMain() {}

    public static void main(String[] args) {
        Application.launch(App.class, args);
    }

    /** The window under test. */
    public static final class App extends Application {
        private FakeHub server;
        private FakeInferenceService inference;

        @Override
        public void start(Stage stage) throws IOException {
            Path data = AppDirectories.dataDirectory();
            AppPreferences prefs = AppPreferences.load(data.resolve("settings.properties"));
            prefs.setModelsDirectory(data.resolve("models"));
            Catalog catalog = Catalog.builtIn();
            server = new FakeHub();
            var random = new Random(1);
            for (CatalogModel model : catalog.models()) {
                for (Variant variant : model.variants()) {
                    byte[] content = new byte[8_000_000];
                    random.nextBytes(content);
                    server.file(variant.repo(), variant.files().getFirst().path(), content);
                }
                if (model.gated()) {
                    server.gated(model.repo(), "not-your-token");
                }
            }
            server.fault(FakeHub.Fault.STALL, 3_100_000);
            Files.createDirectories(data.resolve("home"));
            inference = new FakeInferenceService();
            var window = new MainWindow(inference, new InMemoryConversationStore(), prefs, Theme.LIGHT,
                    Platform::runLater, Runnable::run, w -> new FxDialogService(() -> stage, w::bundle),
                    new ModelSources(catalog, Map.of("HF_ENDPOINT", server.endpoint().toString(),
                            "HF_HOME", data.resolve("hf").toString()), data.resolve("home"), "Linux"));
            window.show(stage);
            ModelsPageViewModel page = window.modelsPage();
            page.open();
            page.recommendedProperty().addListener((obs, was, now) -> {
                if (now != null && was == null) {
                    now.download();
                    page.getCatalog().stream().filter(r -> r.model().gated()).findFirst()
                            .ifPresent(CatalogRowViewModel::download);
                    if (getParameters().getRaw().contains("--medium-reasoning")) {
                        page.sizeProperty().set(ModelsPageViewModel.SizeFilter.MEDIUM);
                        page.taskProperty().set("reasoning");
                    }
                    var settle = new PauseTransition(Duration.millis(2500));
                    settle.setOnFinished(e -> System.out.println("READY"));
                    settle.play();
                }
            });
        }

        @Override
        public void stop() {
            inference.close();
            server.close();
        }
    }
}
