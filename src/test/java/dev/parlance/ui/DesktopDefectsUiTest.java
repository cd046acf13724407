package dev.parlance.ui;

import static org.assertj.core.api.Assertions.assertThat;

import dev.parlance.store.InMemoryConversationStore;
import dev.parlance.ui.chat.ChatViewModel;
import dev.parlance.ui.chat.MessageViewModel;
import dev.parlance.ui.models.ModelsViewModel;
import java.io.IOException;
import java.nio.file.Files;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javafx.application.Platform;
import javafx.scene.Node;
import javafx.scene.control.Button;
import javafx.scene.control.Label;
import javafx.scene.control.Labeled;
import javafx.scene.control.ListView;
import javafx.scene.text.Text;
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

/** The desktop defects of issue 19's second round, each as the user meets it. */
@Tag("ui")
@ExtendWith(ApplicationExtension.class)
class DesktopDefectsUiTest {
    static {
        Headless.configure();
    }

    @TempDir java.nio.file.Path dir;
    private FakeInferenceService inference;
    private final ScriptedDialogs dialogs = new ScriptedDialogs();
    private final InMemoryConversationStore store = new InMemoryConversationStore();
    private MainWindow window;
    private Stage stage;
    private AppPreferences prefs;

    @Start
    void start(Stage stage) throws IOException {
        this.stage = stage;
        prefs = UiTestData.preferencesWithTinyModel(dir);
        Files.createDirectories(dir.resolve("broken"));
        inference = new FakeInferenceService().unloadFirst()
                .streamScript(List.of("Once", " upon", " a", " time"), TimeUnit.MILLISECONDS.toNanos(5));
        window = new MainWindow(inference, store, prefs, Theme.LIGHT, Platform::runLater, Runnable::run, w -> dialogs);
        window.show(stage);
    }

    @AfterEach
    void closeService() {
        inference.close();
    }

    private ChatViewModel chat() {
        return window.viewModel().chat();
    }

    private ModelsViewModel models() {
        return window.viewModel().models();
    }

    private static void waitUntil(Callable<Boolean> condition) throws TimeoutException {
        WaitForAsyncUtils.waitFor(10, TimeUnit.SECONDS, condition);
        WaitForAsyncUtils.waitForFxEvents();
    }

    private void loadTinyModel(FxRobot robot) throws TimeoutException {
        waitUntil(() -> robot.lookup("tiny").tryQuery().isPresent());
        robot.clickOn("tiny");
        waitUntil(() -> models().getStatus() == ModelsViewModel.Status.READY);
    }

    private void send(FxRobot robot, String message) throws TimeoutException {
        robot.interact(() -> chat().draftProperty().set(message));
        robot.clickOn("#sendButton");
        waitUntil(() -> chat().getState() == ChatViewModel.State.IDLE && !chat().getMessages().getLast().isStreaming());
    }

    private MessageViewModel lastMessage() {
        return chat().getMessages().getLast();
    }

    private Button button(FxRobot robot, String text) {
        return robot.lookup((Node n) -> n instanceof Button b && text.equals(b.getText()) && n.isVisible())
                .queryButton();
    }

    @Test
    void eachAnswerShowsTheSeedItWasSampledWithAndRegenerateUsesAnother(FxRobot robot) throws TimeoutException {
        loadTinyModel(robot);
        send(robot, "Hi");
        long first = inference.lastRequest().options.sampling().seed();
        assertThat(lastMessage().seedProperty().get()).isEqualTo(first);
        assertThat(robot.lookup(".message-footer").queryAllAs(Label.class))
                .anyMatch(l -> l.isVisible() && l.getText().endsWith("seed " + first));
        robot.clickOn(button(robot, "Regenerate"));
        waitUntil(() -> inference.requests().size() == 2 && chat().getState() == ChatViewModel.State.IDLE
                && !lastMessage().isStreaming());
        long second = inference.lastRequest().options.sampling().seed();
        assertThat(second).isNotEqualTo(first);
        assertThat(robot.lookup(".message-footer").queryAllAs(Label.class))
                .anyMatch(l -> l.isVisible() && l.getText().endsWith("seed " + second));
    }

    @Test
    void aFixedSeedIsChosenInTheSettings(FxRobot robot) throws TimeoutException {
        loadTinyModel(robot);
        robot.clickOn("#settingsToggle");
        robot.clickOn("#fixedSeed");
        robot.doubleClickOn("#seed").write("31337").type(javafx.scene.input.KeyCode.TAB);
        send(robot, "Hi");
        assertThat(inference.lastRequest().options.sampling().seed()).isEqualTo(31337);
    }

    @Test
    void aModelThatFailsToLoadKeepsTheWorkingOneAndSaysSoInAConversation(FxRobot robot) throws TimeoutException {
        loadTinyModel(robot);
        send(robot, "Hi");
        dialogs.directory = dir.resolve("broken");
        robot.clickOn("#modelMenu").clickOn("Open model folder…");
        waitUntil(() -> inference.loads.size() == 3 && models().getStatus() == ModelsViewModel.Status.READY);
        assertThat(models().getLoaded().name()).isEqualTo("tiny");
        Labeled banner = robot.lookup("#modelErrorText").queryLabeled();
        assertThat(banner.isVisible()).isTrue();
        assertThat(banner.getText()).contains("Could not load broken").contains("no config.json")
                .contains("tiny is still loaded");
        assertThat(chat().getMessages()).as("the conversation stays open").hasSize(2);
        send(robot, "Still there?");
        assertThat(chat().getMessages()).hasSize(4);
        robot.clickOn("#modelErrorDismiss");
        WaitForAsyncUtils.waitForFxEvents();
        assertThat(robot.lookup("#modelErrorBanner").query().isVisible()).isFalse();
    }

    @Test
    void sidebarSearchFindsMessageTextShowsTheSnippetAndOpensTheConversationAtTheMatch(FxRobot robot)
            throws TimeoutException {
        loadTinyModel(robot);
        send(robot, "Plans for the weekend");
        for (int i = 0; i < 6; i++) {
            send(robot, "Filler question " + i);
        }
        String first = chat().getConversationId();
        robot.press(KeyCode.CONTROL).type(KeyCode.N).release(KeyCode.CONTROL);
        send(robot, "Budget for May");
        ListView<?> sidebar = robot.lookup("#conversationList").queryListView();
        waitUntil(() -> sidebar.getItems().size() == 2);
        robot.clickOn("#searchField").write("weekend");
        waitUntil(() -> sidebar.getItems().size() == 1);
        assertThat(robot.lookup(".search-match").queryAllAs(Text.class))
                .anyMatch(t -> t.getText().equalsIgnoreCase("weekend") && t.isVisible());
        robot.clickOn(".search-snippet");
        waitUntil(() -> first.equals(chat().getConversationId()) && chat().getMessages().size() == 14);
        waitUntil(() -> window.viewModel().openedMatchProperty().get() == null);
        ListView<?> transcript = robot.lookup("#transcript").queryListView();
        assertThat(transcript.getSelectionModel().getSelectedIndex()).as("the matched message").isZero();
        var flow = (javafx.scene.control.skin.VirtualFlow<?>) transcript.lookup(".virtual-flow");
        assertThat(flow.getFirstVisibleCell().getIndex()).as("scrolled up to it").isZero();
        assertThat(robot.lookup("#findField").queryAs(javafx.scene.control.TextField.class).getText())
                .isEqualToIgnoringCase("weekend");
        robot.doubleClickOn("#searchField").eraseText(7).write("zebra");
        waitUntil(() -> sidebar.getItems().isEmpty());
        assertThat(robot.lookup(".sidebar-empty").queryLabeled().getText()).isEqualTo("No matches");
    }

    @Test
    void theNextStartReopensTheLastConversationAndOffersTheModelOpenedFromElsewhere(FxRobot robot)
            throws Exception {
        java.nio.file.Path elsewhere = Files.createDirectories(dir.resolve("downloads/story-model"));
        Files.writeString(elsewhere.resolve("config.json"), "{}");
        Files.writeString(elsewhere.resolve("tokenizer.json"), "{}");
        dialogs.directory = elsewhere;
        robot.clickOn("#modelMenu").clickOn("Open model folder…");
        waitUntil(() -> models().getStatus() == ModelsViewModel.Status.READY);
        send(robot, "Remember me");
        String id = chat().getConversationId();
        robot.press(KeyCode.CONTROL).type(KeyCode.N).release(KeyCode.CONTROL);
        WaitForAsyncUtils.waitForFxEvents();
        assertThat(prefs.openedModels()).containsExactly(elsewhere);
        assertThat(prefs.lastConversation()).isEqualTo(id);

        Stage nextStage = WaitForAsyncUtils.asyncFx(() -> new Stage()).get();
        MainWindow next = WaitForAsyncUtils.asyncFx(() -> {
            var restarted = new MainWindow(inference, store, prefs, Theme.LIGHT, Platform::runLater, Runnable::run,
                    w -> dialogs);
            restarted.show(nextStage);
            return restarted;
        }).get();
        waitUntil(() -> id.equals(next.viewModel().chat().getConversationId())
                && next.viewModel().chat().getMessages().size() == 2);
        assertThat(next.viewModel().selectedProperty().get().id()).isEqualTo(id);
        waitUntil(() -> next.viewModel().models().getModels().contains(elsewhere));
        robot.interact(nextStage::hide);
    }

    @Test
    void theInspectorShowsThePromptActuallySentMarksWhatWasLeftOutAndKeepsCloseOnScreen(FxRobot robot)
            throws TimeoutException {
        robot.interact(() -> {
            stage.setWidth(800);
            stage.setHeight(600);
        });
        loadTinyModel(robot);
        for (int i = 0; i < 10; i++) {
            send(robot, "Question number " + i);
        }
        inference.dropped = 4;
        send(robot, "The last question");
        Labeled status = robot.lookup("#contextStatus").queryLabeled();
        assertThat(status.getText()).contains("4 oldest messages were left out");
        robot.clickOn("#inspectButton");
        waitUntil(() -> robot.lookup(".left-out-note").tryQuery().map(Node::isVisible).orElse(false));
        assertThat(robot.lookup(".left-out-note").queryLabeled().getText())
                .isEqualTo("The 4 oldest messages were left out of this prompt to fit the context.");
        assertThat(robot.lookup(".left-out").queryAllAs(Labeled.class))
                .filteredOn(l -> l.getText().equals("left out")).hasSize(4);
        String prompt = robot.lookup(".prompt-inspector .prompt-token").queryAllAs(Text.class).stream()
                .map(Text::getText).collect(java.util.stream.Collectors.joining());
        assertThat(prompt).doesNotContain("Question number 0 ").doesNotContain("Question number 1 ")
                .contains("Question number 2 ").contains("The last question ");
        Button close = robot.lookup((Node n) -> n instanceof Button b && "Close".equals(b.getText())
                && b.getScene() != stage.getScene()).queryButton();
        var bounds = close.localToScreen(close.getLayoutBounds());
        var screen = javafx.stage.Screen.getPrimary().getVisualBounds();
        var dialogWindow = close.getScene().getWindow();
        assertThat(bounds.getMaxY()).as("inside the dialog").isLessThanOrEqualTo(dialogWindow.getY() + dialogWindow.getHeight());
        assertThat(bounds.getMaxY()).as("on the screen").isLessThanOrEqualTo(screen.getMaxY());
        robot.clickOn(close);
    }

    @Test
    void theStatusBarIsLiveWhileStreamingAndClearedOnANewChat(FxRobot robot) throws TimeoutException {
        inference.streamScript(java.util.Collections.nCopies(200, " word"), TimeUnit.MILLISECONDS.toNanos(10));
        loadTinyModel(robot);
        robot.interact(() -> chat().draftProperty().set("Talk"));
        robot.clickOn("#sendButton");
        Labeled status = robot.lookup("#contextStatus").queryLabeled();
        waitUntil(() -> lastMessage().getText().length() > 50 && lastMessage().isStreaming());
        int during = chat().contextUsedProperty().get();
        assertThat(during).isPositive();
        assertThat(status.getText()).contains("Context: " + during + " of 512");
        waitUntil(() -> chat().contextUsedProperty().get() > during);
        robot.clickOn("#sendButton");   // Stop
        waitUntil(() -> chat().getState() == ChatViewModel.State.IDLE);
        robot.press(KeyCode.CONTROL).type(KeyCode.N).release(KeyCode.CONTROL);
        WaitForAsyncUtils.waitForFxEvents();
        assertThat(status.getText()).isEqualTo("Context: 0 of 512 tokens");
        assertThat(robot.lookup("#speedStatus").queryLabeled().getText()).isEmpty();
    }
}
