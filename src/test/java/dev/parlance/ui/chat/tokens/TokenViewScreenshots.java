package dev.parlance.ui.chat.tokens;

import dev.parlance.service.DjlInferenceService;
import dev.parlance.store.InMemoryConversationStore;
import dev.parlance.ui.AppPreferences;
import dev.parlance.ui.FxDialogService;
import dev.parlance.ui.MainWindow;
import dev.parlance.ui.Theme;
import dev.parlance.ui.UiTestData;
import dev.parlance.ui.chat.ChatViewModel;
import dev.parlance.ui.chat.MessageViewModel;
import dev.parlance.ui.models.ModelsViewModel;
import java.io.IOException;
import java.util.Comparator;
import java.util.List;
import javafx.animation.PauseTransition;
import javafx.application.Application;
import javafx.application.Platform;
import javafx.scene.Node;
import javafx.scene.control.Button;
import javafx.scene.input.MouseButton;
import javafx.scene.input.MouseEvent;
import javafx.scene.text.Text;
import javafx.stage.Stage;
import javafx.stage.Window;
import javafx.util.Duration;

/**
 * Screenshots of the token view and the attention view on the real engine with stories260K (from
 * {@code ../shared/models}): run on an X display (Xvfb) with ImageMagick's {@code import}, as
 * <pre>
 *   Xvfb :76 -screen 0 1280x800x24 &amp;
 *   DISPLAY=:76 java --add-modules jdk.incubator.vector -Dprism.order=sw -cp ... \
 *       dev.parlance.ui.chat.tokens.TokenViewScreenshots light en target/screenshots/tokens-light-en
 * </pre>
 * It asks "Once upon a time", switches the answer to its tokens, keeps one of its least likely tokens
 * shown, captures {@code <prefix>-tokens.png}, opens that token's attention and captures
 * {@code <prefix>-attention.png}, closes it, continues the answer with that token's likeliest
 * other alternative and, once the new version has ended, keeps the same token shown and captures
 * {@code <prefix>-branch.png}; then exits.
 */
public final class TokenViewScreenshots {
    private TokenViewScreenshots() {}

    public static void main(String[] args) {
        Application.launch(App.class, args);
    }

    /** The window under capture. */
    public static final class App extends Application {
        private DjlInferenceService inference;
        private String prefix;
        private int answers;
        private int pinned;

        @Override
        public void start(Stage stage) throws IOException {
            var args = getParameters().getRaw();
            prefix = args.get(2);
            AppPreferences prefs = UiTestData.screenshotPreferences("parlance-token-shots", args);
            Theme theme = prefs.theme();
            inference = new DjlInferenceService();
            var window = new MainWindow(inference, new InMemoryConversationStore(), prefs, theme, Platform::runLater,
                    Runnable::run, w -> new FxDialogService(() -> stage, w::bundle));
            window.show(stage);
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
                if (was == ChatViewModel.State.GENERATING && now == ChatViewModel.State.IDLE && answers++ == 0) {
                    MessageViewModel answer = chat.getMessages().getLast();
                    answer.showingTokensProperty().set(true);
                    later(1, () -> pin(stage));
                } else if (was == ChatViewModel.State.GENERATING && now == ChatViewModel.State.IDLE) {
                    later(1, () -> {
                        click(tokens(stage).get(pinned));
                        later(1, () -> capture("-branch", () -> {
                            inference.close();
                            Platform.exit();
                        }));
                    });
                }
            });
            models.load(prefs.modelsDirectory().resolve("stories260K"));
        }

        private void pin(Stage stage) {
            List<Text> tokens = tokens(stage);
            Text token = tokens.stream().skip(25).limit(30)
                    .max(Comparator.comparing(t -> t.getStyleClass().contains("token-p0") ? 2
                            : t.getStyleClass().contains("token-p1") ? 1 : 0)).orElseThrow();
            pinned = tokens.indexOf(token);
            click(token);
            later(1, () -> capture("-tokens", () -> {
                Node button = stage.getScene().getRoot().lookup(".token-attention");
                ((Button) button).fire();
                later(3, () -> capture("-attention", () -> {
                    Window.getWindows().stream().filter(w -> w != stage).toList().forEach(Window::hide);
                    stage.getScene().getRoot().lookupAll(".token-alternative").stream()
                            .filter(b -> !b.getStyleClass().contains("chosen")).map(Button.class::cast)
                            .findFirst().orElseThrow().fire();
                }));
            }));
        }

        private static List<Text> tokens(Stage stage) {
            return stage.getScene().getRoot().lookupAll(".token-flow .token").stream().map(Text.class::cast)
                    .filter(Node::isVisible).toList();
        }

        private static void click(Text token) {
            token.fireEvent(new MouseEvent(MouseEvent.MOUSE_CLICKED, 0, 0, 0, 0, MouseButton.PRIMARY, 1,
                    false, false, false, false, true, false, false, true, false, false, null));
        }

        private static void later(double seconds, Runnable then) {
            var pause = new PauseTransition(Duration.seconds(seconds));
            pause.setOnFinished(e -> then.run());
            pause.play();
        }

        /** Captures the screen off the FX thread (which keeps drawing), then runs {@code then} on it. */
        private void capture(String suffix, Runnable then) {
            Thread.ofPlatform().daemon().start(() -> {
                try {
                    new ProcessBuilder("import", "-window", "root", prefix + suffix + ".png").inheritIO().start()
                            .waitFor();
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                Platform.runLater(then);
            });
        }
    }
}
