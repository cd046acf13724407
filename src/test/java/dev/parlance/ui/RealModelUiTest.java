package dev.parlance.ui;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.parlance.inference.FinishReason;
import dev.parlance.service.DjlInferenceService;
import dev.parlance.store.InMemoryConversationStore;
import dev.parlance.ui.chat.ChatViewModel;
import dev.parlance.ui.chat.MessageViewModel;
import dev.parlance.ui.models.ModelsViewModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import javafx.application.Platform;
import javafx.collections.ListChangeListener;
import javafx.scene.control.Button;
import javafx.scene.control.Labeled;
import javafx.scene.input.KeyCode;
import javafx.stage.Stage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.testfx.api.FxRobot;
import org.testfx.framework.junit5.ApplicationExtension;
import org.testfx.framework.junit5.Start;
import org.testfx.util.WaitForAsyncUtils;

/** The window on the real engine: stories260K (a 260K-parameter Llama trained on TinyStories) answers. */
@Tag("ui")
@Tag("model")
@ExtendWith(ApplicationExtension.class)
class RealModelUiTest {
    static {
        Headless.configure();
    }

    /** Relative to the project directory, as in CI, where shared/ sits beside the clone. */
    private static final Path MODEL = Path.of("../shared/models/stories260K").toAbsolutePath().normalize();

    @TempDir Path dir;
    private final ScriptedDialogs dialogs = new ScriptedDialogs();
    private DjlInferenceService inference;
    private MainWindow window;

    @BeforeAll
    static void needsTheModel() {
        assumeTrue(Files.isRegularFile(MODEL.resolve("config.json")),
                "Skipped: the stories260K model is not at " + MODEL
                        + " (it comes with the shared folder beside the project)");
    }

    @Start
    void start(Stage stage) {
        AppPreferences prefs = AppPreferences.load(dir.resolve("settings.properties"));
        prefs.setModelsDirectory(MODEL.getParent());
        prefs.setLocale(Locale.ENGLISH);
        inference = new DjlInferenceService();
        window = new MainWindow(inference, new InMemoryConversationStore(), prefs, Theme.LIGHT, Platform::runLater,
                Runnable::run, w -> dialogs);
        window.show(stage);
    }

    @AfterEach
    void closeService() {
        inference.close();
    }

    private ChatViewModel chat() {
        return window.viewModel().chat();
    }

    private static void waitUntil(long seconds, Callable<Boolean> condition) throws TimeoutException {
        WaitForAsyncUtils.waitFor(seconds, TimeUnit.SECONDS, condition);
        WaitForAsyncUtils.waitForFxEvents();
    }

    private void loadStories(FxRobot robot) throws TimeoutException {
        waitUntil(10, () -> robot.lookup("stories260K").tryQuery().isPresent());
        robot.clickOn("stories260K");
        waitUntil(120, () -> window.viewModel().models().getStatus() != ModelsViewModel.Status.LOADING);
        assertThat(window.viewModel().models().errorProperty().get()).isEmpty();
        assertThat(window.viewModel().models().getStatus()).isEqualTo(ModelsViewModel.Status.READY);
    }

    private MessageViewModel lastMessage() {
        return chat().getMessages().get(chat().getMessages().size() - 1);
    }

    @Test
    void typingAndPressingEnterStreamsAnAnswerFromTheRealModel(FxRobot robot) throws TimeoutException {
        loadStories(robot);
        robot.interact(() -> window.viewModel().settings().maxTokensProperty().set(48));
        robot.clickOn("#composer").write("Once upon a time").type(KeyCode.ENTER);
        waitUntil(10, () -> chat().getState() == ChatViewModel.State.GENERATING
                || chat().getMessages().size() == 2);
        waitUntil(120, () -> chat().getState() != ChatViewModel.State.GENERATING);
        assertThat(chat().errorProperty().get()).isEmpty();
        assertThat(lastMessage().getText()).isNotBlank();
        assertThat(lastMessage().getFinish()).isIn(FinishReason.STOP, FinishReason.LENGTH);
        assertThat(chat().lastStatsProperty().get().generatedTokens()).isPositive();
        assertThat(robot.lookup("#speedStatus").queryLabeled().getText()).contains("tokens/s");
    }

    @Test
    void stopEndsTheRealModelsAnswerMidway(FxRobot robot) throws TimeoutException {
        loadStories(robot);
        robot.interact(() -> window.viewModel().settings().maxTokensProperty().set(400));
        // the tiny model writes its 400 tokens in about a second: Stop is pressed in the same FX
        // pulse as the answer's first text, which a click could reach only after the answer ended
        Button stop = robot.lookup("#sendButton").queryButton();
        AtomicBoolean pressed = new AtomicBoolean();
        robot.interact(() -> chat().getMessages().addListener((ListChangeListener<MessageViewModel>) change ->
                lastMessage().textProperty().addListener((text, before, now) -> {
                    if (!now.isEmpty() && pressed.compareAndSet(false, true)) {
                        stop.fire();
                    }
                })));
        robot.clickOn("#composer").write("Tell me a long story").type(KeyCode.ENTER);
        waitUntil(120, () -> chat().getMessages().size() == 2 && chat().getState() != ChatViewModel.State.GENERATING);
        assertThat(pressed).isTrue();
        assertThat(lastMessage().getFinish()).isIn(FinishReason.CANCELLED, FinishReason.STOP);
        assertThat(lastMessage().getText()).isNotEmpty();
    }

    @Test
    void aGgufFileOpenedFromTheEmptyWindowAnswers(FxRobot robot) throws TimeoutException {
        Path file = MODEL.resolveSibling("../fixtures/gguf/stories260K-Q8_0.gguf").normalize();
        assumeTrue(Files.isRegularFile(file), "Skipped: " + file + " is absent (it comes with the shared folder)");
        dialogs.modelFile = file;
        robot.clickOn(robot.lookup((javafx.scene.Node n) -> n instanceof javafx.scene.control.Button
                && "Open GGUF file…".equals(((javafx.scene.control.Button) n).getText())).queryButton());
        waitUntil(120, () -> window.viewModel().models().getStatus() == ModelsViewModel.Status.READY
                || window.viewModel().models().getStatus() == ModelsViewModel.Status.FAILED);
        assertThat(window.viewModel().models().errorProperty().get()).isEmpty();
        robot.interact(() -> window.viewModel().settings().maxTokensProperty().set(16));
        robot.clickOn("#composer").write("Once upon a time").type(KeyCode.ENTER);
        waitUntil(10, () -> chat().getMessages().size() == 2);
        waitUntil(120, () -> chat().getState() != ChatViewModel.State.GENERATING);
        assertThat(chat().errorProperty().get()).isEmpty();
        assertThat(lastMessage().getText()).isNotBlank();
    }

    @Test
    void aBrokenModelFolderGivesThePlainWordsOfTheEngine(FxRobot robot) throws IOException, TimeoutException {
        Path broken = dir.resolve("broken-model");
        Files.createDirectories(broken);
        Files.writeString(broken.resolve("config.json"), "{ this is not json");
        dialogs.directory = broken;
        robot.clickOn(robot.lookup((javafx.scene.Node n) -> n instanceof javafx.scene.control.Button
                && "Open model folder…".equals(((javafx.scene.control.Button) n).getText())).queryButton());
        waitUntil(60, () -> window.viewModel().models().getStatus() == ModelsViewModel.Status.FAILED);
        String error = window.viewModel().models().errorProperty().get();
        assertThat(error).contains("config.json").contains("not valid JSON");
        assertThat(robot.lookup(".empty-body").queryAllAs(Labeled.class))
                .anyMatch(l -> l.getText().contains(error) && l.getText().contains("Parlance runs GGUF files"));
    }

    @Test
    void thePromptInspectorShowsTheRealModelsPrompt(FxRobot robot) throws TimeoutException {
        loadStories(robot);
        robot.clickOn("#composer").write("Once upon a time");
        robot.clickOn("#inspectButton");
        waitUntil(30, () -> robot.lookup(".prompt-token").tryQuery().isPresent()
                || !window.viewModel().chat().errorProperty().get().isEmpty());
        assertThat(robot.lookup(".prompt-inspector .label").queryAllAs(Labeled.class))
                .anyMatch(l -> l.getText() != null && l.getText().matches("Context: \\d+ of 512 tokens"));
        robot.type(KeyCode.ESCAPE);
    }
}
