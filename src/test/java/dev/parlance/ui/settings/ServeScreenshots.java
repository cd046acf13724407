package dev.parlance.ui.settings;

import dev.parlance.service.DjlInferenceService;
import dev.parlance.store.InMemoryConversationStore;
import dev.parlance.ui.AppPreferences;
import dev.parlance.ui.FxDialogService;
import dev.parlance.ui.MainWindow;
import dev.parlance.ui.Theme;
import dev.parlance.ui.UiTestData;
import dev.parlance.ui.chat.ChatViewModel;
import dev.parlance.ui.models.ModelsViewModel;
import java.io.IOException;
import javafx.animation.PauseTransition;
import javafx.application.Application;
import javafx.application.Platform;
import javafx.scene.Node;
import javafx.scene.control.ScrollPane;
import javafx.stage.Stage;
import javafx.util.Duration;

/**
 * A screenshot of Settings → Servers → "Serve the loaded model" while it serves stories260K (from
 * {@code ../shared/models}) after one chat: run on an X display (Xvfb) with ImageMagick's
 * {@code import}, as
 * <pre>
 *   Xvfb :74 -screen 0 1280x800x24 &amp;
 *   DISPLAY=:74 java --add-modules jdk.incubator.vector -Dprism.order=sw -cp ... \
 *       dev.parlance.ui.settings.ServeScreenshots light en 8080 target/screenshots/serve-light-en.png
 * </pre>
 * The port must be free; the capture is written to the last argument, then the app exits.
 */
public final class ServeScreenshots {
    private ServeScreenshots() {}

    public static void main(String[] args) {
        Application.launch(App.class, args);
    }

    /** The window under capture. */
    public static final class App extends Application {
        private DjlInferenceService inference;
        private MainWindow window;

        @Override
        public void start(Stage stage) throws IOException {
            var args = getParameters().getRaw();
            AppPreferences prefs = UiTestData.screenshotPreferences("parlance-serve-shots", args);
            Theme theme = prefs.theme();
            prefs.setServing(true);
            prefs.setServingPort(Integer.parseInt(args.get(2)));
            inference = new DjlInferenceService();
            window = new MainWindow(inference, new InMemoryConversationStore(), prefs, theme, Platform::runLater,
                    Runnable::run, w -> new FxDialogService(() -> stage, w::bundle));
            window.show(stage);
            window.viewModel().settings().expandedProperty().set(true);
            ModelsViewModel models = window.viewModel().models();
            ChatViewModel chat = window.viewModel().chat();
            models.statusProperty().addListener((obs, was, now) -> {
                if (now == ModelsViewModel.Status.READY) {
                    window.viewModel().settings().maxTokensProperty().set(60);
                    chat.draftProperty().set("Once upon a time");
                    chat.send();
                }
            });
            chat.stateProperty().addListener((obs, was, now) -> {
                if (was == ChatViewModel.State.GENERATING && now == ChatViewModel.State.IDLE) {
                    ScrollPane panel = (ScrollPane) stage.getScene().lookup(".settings-view");
                    Node section = stage.getScene().lookup("#serveSection");
                    Node content = panel.getContent();
                    double y = content.sceneToLocal(section.localToScene(0, 0)).getY();
                    double extra = content.getBoundsInLocal().getHeight() - panel.getViewportBounds().getHeight();
                    panel.setVvalue(extra <= 0 ? 0 : Math.min(1, (y - 40) / extra));
                    var settle = new PauseTransition(Duration.seconds(1));
                    settle.setOnFinished(e -> capture(args.get(3)));
                    settle.play();
                }
            });
            models.load(prefs.modelsDirectory().resolve("stories260K"));
        }

        /** Captures the screen off the FX thread (which keeps drawing), then exits. */
        private void capture(String file) {
            Thread.ofPlatform().daemon().start(() -> {
                try {
                    new ProcessBuilder("import", "-window", "root", file).inheritIO().start().waitFor();
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                Platform.runLater(() -> {
                    window.close();
                    inference.close();
                    Platform.exit();
                });
            });
        }
    }
}
