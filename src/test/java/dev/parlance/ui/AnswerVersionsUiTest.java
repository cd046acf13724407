package dev.parlance.ui;

import static org.assertj.core.api.Assertions.assertThat;

import dev.parlance.store.InMemoryConversationStore;
import dev.parlance.ui.chat.ChatViewModel;
import dev.parlance.ui.chat.MessageViewModel;
import dev.parlance.ui.models.ModelsViewModel;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javafx.application.Platform;
import javafx.scene.Node;
import javafx.scene.control.Button;
import javafx.scene.control.Labeled;
import javafx.scene.control.ListCell;
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

/** The "‹ 2/3 ›" switcher on answers with versions and on questions that were edited. */
@Tag("ui")
@ExtendWith(ApplicationExtension.class)
class AnswerVersionsUiTest {
    static {
        Headless.configure();
    }

    @TempDir Path dir;
    private FakeInferenceService inference;
    private final ScriptedDialogs dialogs = new ScriptedDialogs();
    private MainWindow window;

    @Start
    void start(Stage stage) throws IOException {
        AppPreferences prefs = UiTestData.preferencesWithTinyModel(dir);
        inference = new FakeInferenceService().streamScript(List.of("First", " answer"), 0);
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

    private static void waitUntil(Callable<Boolean> condition) throws TimeoutException {
        WaitForAsyncUtils.waitFor(10, TimeUnit.SECONDS, condition);
        WaitForAsyncUtils.waitForFxEvents();
    }

    private void loadTinyModel(FxRobot robot) throws TimeoutException {
        waitUntil(() -> robot.lookup("tiny").tryQuery().isPresent());
        robot.clickOn("tiny");
        waitUntil(() -> window.viewModel().models().getStatus() == ModelsViewModel.Status.READY);
    }

    private void ask(FxRobot robot, String question) throws TimeoutException {
        int before = chat().getMessages().size();
        robot.clickOn("#composer").write(question).type(KeyCode.ENTER);
        waitUntil(() -> chat().getMessages().size() == before + 2 && chat().getState() == ChatViewModel.State.IDLE);
    }

    private void answerWith(String text) {
        inference.streamScript(List.of(text), 0);
    }

    /** The buttons with this text shown in cards of messages, top of the window first. */
    private static List<Button> buttons(FxRobot robot, String text) {
        return robot.lookup((Node n) -> n instanceof Button b && text.equals(b.getText()))
                .queryAllAs(Button.class).stream().filter(AnswerVersionsUiTest::inAShownCard)
                .sorted(Comparator.comparingDouble(b -> b.localToScene(0, 0).getY())).toList();
    }

    private static List<String> versionLabels(FxRobot robot) {
        return robot.lookup(".version-label").queryAllAs(Labeled.class).stream()
                .filter(AnswerVersionsUiTest::inAShownCard).map(Labeled::getText).toList();
    }

    /**
     * Whether a node and everything around it up to its list cell are visible, in a cell that shows
     * a message (the list keeps spare cells around).
     */
    private static boolean inAShownCard(Node node) {
        for (Node n = node; n != null; n = n.getParent()) {
            if (!n.isVisible()) {
                return false;
            }
            if (n instanceof ListCell<?> cell) {
                return !cell.isEmpty() && cell.getItem() != null;
            }
        }
        return false;
    }

    private List<String> transcript() {
        return chat().getMessages().stream().map(MessageViewModel::getText).toList();
    }

    @Test
    void regeneratingTwiceGivesThreeVersionsToFlipBetween(FxRobot robot) throws TimeoutException {
        loadTinyModel(robot);
        ask(robot, "Hi");
        answerWith("Second answer");
        robot.clickOn(buttons(robot, "Regenerate").getFirst());
        waitUntil(() -> transcript().equals(List.of("Hi", "Second answer")));
        answerWith("Third answer");
        robot.clickOn(buttons(robot, "Regenerate").getFirst());
        waitUntil(() -> transcript().equals(List.of("Hi", "Third answer"))
                && chat().getState() == ChatViewModel.State.IDLE);
        assertThat(versionLabels(robot)).containsExactly("3/3");

        robot.clickOn(buttons(robot, "‹").getFirst());
        waitUntil(() -> transcript().equals(List.of("Hi", "Second answer")));
        assertThat(versionLabels(robot)).containsExactly("2/3");

        robot.clickOn(buttons(robot, "‹").getFirst());
        waitUntil(() -> transcript().equals(List.of("Hi", "First answer")));
        assertThat(versionLabels(robot)).containsExactly("1/3");
        assertThat(buttons(robot, "‹").getFirst().isDisabled()).isTrue();

        robot.clickOn(buttons(robot, "›").getFirst());
        waitUntil(() -> transcript().equals(List.of("Hi", "Second answer")));
    }

    @Test
    void editingAnEarlierQuestionGivesTwoBranchesToFlipBetween(FxRobot robot) throws TimeoutException {
        loadTinyModel(robot);
        ask(robot, "Hi");
        answerWith("More to say");
        ask(robot, "More");
        answerWith("Hello to you");
        dialogs.editedText = "Hello instead";
        robot.clickOn(buttons(robot, "Edit").getFirst());
        waitUntil(() -> transcript().equals(List.of("Hello instead", "Hello to you"))
                && chat().getState() == ChatViewModel.State.IDLE);
        assertThat(versionLabels(robot)).containsExactly("2/2");

        robot.clickOn(buttons(robot, "‹").getFirst());
        waitUntil(() -> transcript().equals(List.of("Hi", "First answer", "More", "More to say")));
        assertThat(versionLabels(robot)).containsExactly("1/2");

        robot.clickOn(buttons(robot, "›").getFirst());
        waitUntil(() -> transcript().equals(List.of("Hello instead", "Hello to you")));
    }
}
