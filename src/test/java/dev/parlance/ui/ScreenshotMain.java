package dev.parlance.ui;

import dev.parlance.AppDirectories;
import dev.parlance.chat.Role;
import dev.parlance.store.ConversationRecord;
import dev.parlance.store.ConversationSettings;
import dev.parlance.store.InMemoryConversationStore;
import dev.parlance.ui.chat.ChatViewModel;
import dev.parlance.ui.models.ModelsViewModel;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import javafx.animation.PauseTransition;
import javafx.application.Application;
import javafx.application.Platform;
import javafx.scene.control.Button;
import javafx.stage.Stage;
import javafx.util.Duration;

/**
 * The app's window as a person sees it mid-conversation, for {@link ScreenshotTest}: the real
 * {@link MainWindow} on the real display, with a scripted engine that streams a Markdown answer.
 * Reads its settings (theme, language, bounds) from {@code $PARLANCE_DATA_DIR}; arguments: the model
 * folder, then {@code --inspect} to open the prompt inspector too. Prints READY when the answer is on
 * screen.
 */
public final class ScreenshotMain {
    private ScreenshotMain() {}

    /** Not the Application itself: the java launcher refuses an Application main class off the module path. */
    public static void main(String[] args) {
        Application.launch(App.class, args);
    }

    /** The window under test. */
    public static final class App extends Application {
        private FakeInferenceService inference;

        @Override
        public void start(Stage stage) {
            AppPreferences prefs =
                    AppPreferences.load(AppDirectories.dataDirectory().resolve("settings.properties"));
            boolean chinese = Locale.SIMPLIFIED_CHINESE.equals(prefs.locale());
            inference = new FakeInferenceService()
                    .streamReasoning(List.of(chinese ? "用户想要读取文件。" : "The user wants to read a file."))
                    .streamScript(FakeInferenceService.piecesOf(chinese ? ANSWER_ZH : ANSWER_EN),
                            TimeUnit.MILLISECONDS.toNanos(2));
            var store = new InMemoryConversationStore();
            for (String title : chinese ? List.of("周末杭州行程", "给房东的邮件", "总结会议记录")
                    : List.of("Weekend in Hangzhou", "Email to the landlord", "Summary of the meeting notes")) {
                ConversationRecord c = store.create(title, "stories260K", ConversationSettings.DEFAULTS);
                store.append(c.id(), Role.USER, title);
            }
            var window = new MainWindow(inference, store, prefs, Theme.LIGHT, Platform::runLater, Runnable::run,
                    w -> new FxDialogService(() -> stage, w::bundle));
            window.show(stage);
            MainViewModel main = window.viewModel();
            main.settings().expandedProperty().set(true);
            main.models().statusProperty().addListener((obs, was, now) -> {
                if (now == ModelsViewModel.Status.READY) {
                    main.chat().draftProperty().set(
                            chinese ? "如何用 Java 读取文本文件？\n文件很大，而且不是 UTF-8。"
                                    : "How do I read a text file in Java?\nIt is large, and not UTF-8.");
                    main.chat().send();
                }
            });
            main.chat().stateProperty().addListener((obs, was, now) -> {
                if (was == ChatViewModel.State.GENERATING && now == ChatViewModel.State.IDLE) {
                    if (getParameters().getRaw().contains("--inspect")) {
                        ((Button) stage.getScene().lookup("#inspectButton")).fire();
                    }
                    var settle = new PauseTransition(Duration.millis(800));
                    settle.setOnFinished(e -> System.out.println("READY"));
                    settle.play();
                }
            });
            main.models().load(Path.of(getParameters().getRaw().get(0)));
        }

        @Override
        public void stop() {
            inference.close();
        }

    }


    private static final String ANSWER_EN = "## Reading a text file\n\n"
            + "The simplest way is `Files.readString`, which reads the **whole file** at once. "
            + "For *large* files, read it line by line instead.\n\n"
            + "```java\nPath path = Path.of(System.getProperty(\"user.home\"), \"Documents\", \"notes\", \"2026\", \"notes.txt\");\n"
            + "try (var lines = Files.lines(path, Charset.forName(\"GB18030\"))) {\n"
            + "    lines.forEach(System.out::println);\n}\n```\n\n"
            + "1. `readString` for small files\n2. `lines` for big ones\n3. `newBufferedReader` for full control\n\n"
            + "- [x] ~~`new FileReader(file)`~~ names no charset before Java 11\n"
            + "- [ ] read https://openjdk.org/jeps/400 on UTF-8 by default\n\n"
            + "| Method | Memory | Since |\n|:---|:---:|---:|\n| `readString` | whole file | 11 |\n"
            + "| `lines` | one line | 8 |\n\n"
            + "> Always name the charset when the file is not UTF-8.\n";

    private static final String ANSWER_ZH = "## 读取文本文件\n\n"
            + "最简单的方法是 `Files.readString`，它一次读入**整个文件**。"
            + "如果文件*很大*，请逐行读取。\n\n"
            + "```java\nPath path = Path.of(System.getProperty(\"user.home\"), \"Documents\", \"notes\", \"2026\", \"notes.txt\");\n"
            + "try (var lines = Files.lines(path, Charset.forName(\"GB18030\"))) {\n"
            + "    lines.forEach(System.out::println);\n}\n```\n\n"
            + "1. 小文件用 `readString`\n2. 大文件用 `lines`\n"
            + "3. 需要完全控制时用 `newBufferedReader`\n\n"
            + "- [x] ~~`new FileReader(file)`~~ 在 Java 11 之前无法指定字符集\n"
            + "- [ ] 阅读 https://openjdk.org/jeps/400 （默认 UTF-8）\n\n"
            + "| 方法 | 内存 | 版本 |\n|:---|:---:|---:|\n| `readString` | 整个文件 | 11 |\n"
            + "| `lines` | 一行 | 8 |\n\n"
            + "> 文件不是 UTF-8 时，请务必指定字符集。\n";
}
