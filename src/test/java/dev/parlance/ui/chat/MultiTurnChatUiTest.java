package dev.parlance.ui.chat;

import static org.assertj.core.api.Assertions.assertThat;

import dev.parlance.chat.Message;
import dev.parlance.chat.Role;
import dev.parlance.inference.SharedData;
import dev.parlance.service.DjlInferenceService;
import dev.parlance.store.InMemoryConversationStore;
import dev.parlance.ui.AppPreferences;
import dev.parlance.ui.Headless;
import dev.parlance.ui.MainWindow;
import dev.parlance.ui.ScriptedDialogs;
import dev.parlance.ui.Theme;
import dev.parlance.ui.models.ModelsViewModel;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import javafx.application.Platform;
import javafx.scene.Node;
import javafx.scene.control.CheckBox;
import javafx.scene.control.Labeled;
import javafx.scene.input.KeyCode;
import javafx.stage.Stage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.testfx.api.FxRobot;
import org.testfx.framework.junit5.ApplicationExtension;
import org.testfx.framework.junit5.Start;
import org.testfx.util.WaitForAsyncUtils;

/**
 * Two turns typed into the window with three families' fixtures on the real engine: the second
 * answer's conversation reaches the model in the family's own template, earlier turns included,
 * and the Thinking toggle shows only for a template with the switch. The expected prompts are
 * written out by hand from each fixture's template.
 */
@Tag("ui")
@Tag("model")
@ExtendWith(ApplicationExtension.class)
class MultiTurnChatUiTest {
    static {
        Headless.configure();
    }

    @TempDir Path dir;
    private DjlInferenceService inference;
    private MainWindow window;

    @Start
    void start(Stage stage) {
        AppPreferences prefs = AppPreferences.load(dir.resolve("settings.properties"));
        prefs.setModelsDirectory(dir);
        prefs.setLocale(Locale.ENGLISH);
        inference = new DjlInferenceService();
        window = new MainWindow(inference, new InMemoryConversationStore(), prefs, Theme.LIGHT, Platform::runLater,
                Runnable::run, w -> new ScriptedDialogs());
        window.show(stage);
    }

    @AfterEach
    void closeService() {
        inference.close();
    }

    private ChatViewModel chat() {
        return window.viewModel().chat();
    }

    private static void waitUntil(long seconds, Callable<Boolean> condition) throws Exception {
        WaitForAsyncUtils.waitFor(seconds, TimeUnit.SECONDS, condition);
        WaitForAsyncUtils.waitForFxEvents();
    }

    private void load(FxRobot robot, Path folder) throws Exception {
        robot.interact(() -> window.viewModel().models().load(folder));
        waitUntil(120, () -> window.viewModel().models().getStatus() == ModelsViewModel.Status.READY
                || window.viewModel().models().getStatus() == ModelsViewModel.Status.FAILED);
        assertThat(window.viewModel().models().errorProperty().get()).isEmpty();
        robot.interact(() -> window.viewModel().settings().maxTokensProperty().set(6));
    }

    private CheckBox thinkingToggle(FxRobot robot) {
        if (!robot.lookup(".settings-view").query().isVisible()) {
            robot.clickOn("#settingsToggle");
        }
        return robot.lookup("#thinking").queryAs(CheckBox.class);
    }

    private void say(FxRobot robot, String text) throws Exception {
        int before = chat().getMessages().size();
        robot.clickOn("#composer").write(text).type(KeyCode.ENTER);
        waitUntil(10, () -> chat().getMessages().size() == before + 2);
        waitUntil(120, () -> chat().getState() != ChatViewModel.State.GENERATING);
        assertThat(chat().errorProperty().get()).isEmpty();
    }

    /**
     * Types two messages, then checks the conversation the model sees next, rendered by the
     * service as the prompt inspector shows it, against {@code format}.
     */
    private void twoTurns(FxRobot robot, Function<List<Message>, String> format) throws Exception {
        say(robot, "Hello there");
        say(robot, "Tell me more");

        List<Message> conversation = chat().promptMessages();
        assertThat(conversation).extracting(Message::role)
                .containsExactly(Role.USER, Role.ASSISTANT, Role.USER, Role.ASSISTANT);
        assertThat(conversation).extracting(Message::content).startsWith("Hello there")
                .contains("Tell me more", chat().getMessages().get(1).getText(), chat().getMessages().get(3).getText());
        String prompt = inference.inspect(conversation, window.viewModel().settings().options())
                .get(60, TimeUnit.SECONDS).prompt();
        assertThat(prompt).isEqualTo(format.apply(conversation));
        robot.clickOn("#inspectButton");
        waitUntil(30, () -> robot.lookup(".prompt-inspector .label").queryAllAs(Labeled.class).stream()
                .anyMatch(l -> l.getText() != null && l.getText().startsWith("Context: ")));
        robot.type(KeyCode.ESCAPE);
    }

    private static String each(List<Message> messages, Function<Message, String> turn) {
        StringBuilder out = new StringBuilder();
        messages.forEach(m -> out.append(turn.apply(m)));
        return out.toString();
    }

    @Test
    void qwen3WithThinkingTurnedOffHoldsTwoTurnsInChatMl(FxRobot robot) throws Exception {
        load(robot, SharedData.require("fixtures/tiny-qwen3"));
        CheckBox thinking = thinkingToggle(robot);
        assertThat(thinking.isVisible()).isTrue();
        assertThat(thinking.isSelected()).isTrue();
        robot.clickOn(thinking);
        assertThat(window.viewModel().settings().thinkingProperty().get()).isFalse();

        twoTurns(robot, m -> each(m, t -> "<|im_start|>" + t.role().wireName() + "\n" + t.content() + "<|im_end|>\n")
                + "<|im_start|>assistant\n<think>\n\n</think>\n\n");
    }

    @Test
    void gemma3HoldsTwoTurnsInItsTurnsAndHasNoThinkingToggle(FxRobot robot) throws Exception {
        load(robot, SharedData.require("fixtures/tiny-gemma3"));
        assertThat(thinkingToggle(robot).isVisible()).isFalse();

        twoTurns(robot, m -> each(m, t -> "<start_of_turn>" + (t.role() == Role.ASSISTANT ? "model" : "user") + "\n"
                + t.content() + "<end_of_turn>\n") + "<start_of_turn>model\n");
    }

    @Test
    void phi3HoldsTwoTurnsInItsRoleTags(FxRobot robot) throws Exception {
        load(robot, SharedData.require("fixtures/tiny-phi3"));
        Node toggle = thinkingToggle(robot);
        assertThat(toggle.isVisible()).isFalse();

        twoTurns(robot, m -> each(m, t -> "<|" + t.role().wireName() + "|>" + t.content() + "<|end|>")
                + "<|assistant|>");
    }
}
