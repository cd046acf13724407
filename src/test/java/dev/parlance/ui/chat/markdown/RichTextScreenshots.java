package dev.parlance.ui.chat.markdown;

import dev.parlance.AppDirectories;
import dev.parlance.ui.AppPreferences;
import dev.parlance.ui.FakeInferenceService;
import dev.parlance.ui.FxDialogService;
import dev.parlance.ui.MainViewModel;
import dev.parlance.ui.MainWindow;
import dev.parlance.store.InMemoryConversationStore;
import dev.parlance.ui.Theme;
import dev.parlance.ui.chat.ChatViewModel;
import dev.parlance.ui.models.ModelsViewModel;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import javafx.animation.PauseTransition;
import javafx.application.Application;
import javafx.application.Platform;
import javafx.stage.Stage;
import javafx.util.Duration;

/**
 * The window with an answer that has math and coloured code, for screenshots of them: the real
 * {@link MainWindow} with a scripted engine. Its settings (theme, language, bounds) come from
 * {@code $PARLANCE_DATA_DIR}; its argument is a model folder the scripted engine accepts (one with
 * a {@code config.json} and a {@code tokenizer.json}). It prints READY when the answer is on
 * screen; capture it then with ImageMagick, as
 * <pre>
 *   Xvfb :73 -screen 0 1280x800x24 &amp;
 *   DISPLAY=:73 PARLANCE_DATA_DIR=... java --add-modules jdk.incubator.vector -Dprism.order=sw -cp ... \
 *       dev.parlance.ui.chat.markdown.RichTextScreenshots target/fake-model
 *   import -display :73 -window root docs/images/parlance-math-code-light-en.png
 * </pre>
 * (Made the screenshots of {@code docs/images/parlance-math-code-*.png}.)
 */
public final class RichTextScreenshots {
    private RichTextScreenshots() {}

    public static void main(String[] args) {
        Application.launch(App.class, args);
    }

    /** The window under capture. */
    public static final class App extends Application {
        private FakeInferenceService inference;

        @Override
        public void start(Stage stage) {
            AppPreferences prefs =
                    AppPreferences.load(AppDirectories.dataDirectory().resolve("settings.properties"));
            inference = new FakeInferenceService().streamScript(FakeInferenceService.piecesOf(ANSWER), TimeUnit.MILLISECONDS.toNanos(2));
            var window = new MainWindow(inference, new InMemoryConversationStore(), prefs, Theme.LIGHT,
                    Platform::runLater, Runnable::run, w -> new FxDialogService(() -> stage, w::bundle));
            window.show(stage);
            MainViewModel main = window.viewModel();
            main.models().statusProperty().addListener((obs, was, now) -> {
                if (now == ModelsViewModel.Status.READY) {
                    main.chat().draftProperty().set("What is the Gaussian integral, and how do I check it numerically?");
                    main.chat().send();
                }
            });
            main.chat().stateProperty().addListener((obs, was, now) -> {
                if (was == ChatViewModel.State.GENERATING && now == ChatViewModel.State.IDLE) {
                    var settle = new PauseTransition(Duration.millis(800));
                    settle.setOnFinished(e -> System.out.println("READY"));
                    settle.play();
                }
            });
            main.models().load(Path.of(getParameters().getRaw().getFirst()));
        }

        @Override
        public void stop() {
            inference.close();
        }
    }


    private static final String ANSWER = "For $a > 0$ the **Gaussian integral** is\n\n"
            + "$$\n\\int_{-\\infty}^{\\infty} e^{-a x^2}\\,dx = \\sqrt{\\frac{\\pi}{a}}\n$$\n\n"
            + "so with \\(a = 1\\) it is $\\sqrt{\\pi} \\approx 1.7725$. A check in Python:\n\n"
            + "```python\nimport math\nfrom scipy.integrate import quad\n\n"
            + "def gauss(x, a=1.0):\n    return math.exp(-a * x * x)  # the integrand\n\n"
            + "value, error = quad(gauss, -math.inf, math.inf)\n"
            + "print(f\"{value:.6f} vs {math.sqrt(math.pi):.6f}\")\n```\n\n"
            + "and the same sum in SQL, if the samples are in a table:\n\n"
            + "```sql\nSELECT SUM(EXP(-x * x)) * 0.01 AS estimate -- step 0.01\nFROM samples WHERE x BETWEEN -10 AND 10;\n```\n\n"
            + "(A library costs $0 and a textbook $40; neither `$x$` here nor the prices are math.)\n";
}
