package dev.parlance.ui;

import static org.assertj.core.api.Assertions.assertThat;

import atlantafx.base.theme.PrimerDark;
import atlantafx.base.theme.PrimerLight;
import dev.parlance.store.InMemoryConversationStore;
import dev.parlance.ui.chat.ChatViewModel;
import dev.parlance.ui.chat.MessageViewModel;
import dev.parlance.ui.models.ModelsViewModel;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javafx.application.Application;
import javafx.application.Platform;
import javafx.geometry.Bounds;
import javafx.scene.Node;
import javafx.scene.Parent;
import javafx.scene.control.Button;
import javafx.scene.control.ComboBox;
import javafx.scene.control.Labeled;
import javafx.scene.control.ListView;
import javafx.scene.control.ScrollPane;
import javafx.scene.control.TitledPane;
import javafx.scene.input.Clipboard;
import javafx.scene.input.KeyCode;
import javafx.scene.input.MouseButton;
import javafx.scene.shape.Path;
import javafx.scene.text.Text;
import javafx.scene.text.TextFlow;
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

@Tag("ui")
@ExtendWith(ApplicationExtension.class)
class MainWindowUiTest {
    static {
        Headless.configure();
    }

    private static final List<String> STORY = story(40);

    @TempDir java.nio.file.Path dir;
    private FakeInferenceService inference;
    private final ScriptedDialogs dialogs = new ScriptedDialogs();
    private MainWindow window;
    private Stage stage;
    private AppPreferences prefs;

    static List<String> story(int tokens) {
        List<String> list = new ArrayList<>();
        list.add("Once");
        for (int i = 1; i < tokens; i++) {
            list.add(i % 10 == 0 ? " **upon**\n\n" : " time");
        }
        return list;
    }

    @Start
    void start(Stage stage) throws IOException {
        this.stage = stage;
        prefs = UiTestData.preferencesWithTinyModel(dir);
        Files.writeString(dir.resolve("models/smol_lm-q4_k_m.gguf"), "GGUF");
        Files.createDirectories(dir.resolve("broken"));
        inference = new FakeInferenceService().streamScript(STORY, TimeUnit.MILLISECONDS.toNanos(15));
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
        robot.clickOn("#composer").write(question).type(KeyCode.ENTER);
        waitUntil(() -> chat().getState() == ChatViewModel.State.GENERATING
                || chat().getState() == ChatViewModel.State.IDLE && chat().getMessages().size() >= 2);
    }

    private void awaitAnswer() throws TimeoutException {
        waitUntil(() -> chat().getState() == ChatViewModel.State.IDLE);
    }

    private MessageViewModel lastMessage() {
        return chat().getMessages().get(chat().getMessages().size() - 1);
    }

    private static String fullStory() {
        return String.join("", STORY);
    }

    private Button button(FxRobot robot, String text) {
        return robot.lookup((Node n) -> n instanceof Button && text.equals(((Button) n).getText()) && n.isVisible())
                .queryButton();
    }

    @Test
    void theTitleStartsWithParlanceAndTheWindowHasTheAppIcon() {
        assertThat(stage.getTitle()).startsWith("Parlance");
        assertThat(stage.getIcons()).hasSize(1);
        assertThat(stage.getIcons().get(0).getWidth()).isEqualTo(256);
    }

    @Test
    void withoutAModelTheComposerIsDisabledWithAHint(FxRobot robot) {
        Node composer = robot.lookup("#composer").query();
        assertThat(composer.isDisabled()).isTrue();
        assertThat(robot.lookup("#composer").queryTextInputControl().getPromptText()).contains("Load a model");
    }

    @Test
    void typingAndPressingEnterStreamsAnAnswer(FxRobot robot) throws TimeoutException {
        loadTinyModel(robot);
        ask(robot, "Tell me a story");
        awaitAnswer();
        assertThat(chat().getMessages()).hasSize(2);
        assertThat(chat().getMessages().get(0).getText()).isEqualTo("Tell me a story");
        assertThat(lastMessage().getText()).isEqualTo(fullStory());
        assertThat(robot.lookup(".md-strong").queryAll()).isNotEmpty();
        assertThat(robot.lookup(".md-text").queryAllAs(javafx.scene.text.Text.class))
                .anyMatch(t -> t.getText().startsWith("Once"));
    }

    @Test
    void shiftEnterAddsANewLineInsteadOfSending(FxRobot robot) throws TimeoutException {
        loadTinyModel(robot);
        robot.clickOn("#composer").write("line one").press(KeyCode.SHIFT).type(KeyCode.ENTER).release(KeyCode.SHIFT)
                .write("line two");
        WaitForAsyncUtils.waitForFxEvents();
        assertThat(chat().draftProperty().get()).isEqualTo("line one\nline two");
        assertThat(chat().getMessages()).isEmpty();
    }

    @Test
    void stopEndsTheAnswerMidwayAndKeepsItsText(FxRobot robot) throws TimeoutException {
        inference.streamScript(story(400), TimeUnit.MILLISECONDS.toNanos(20));
        loadTinyModel(robot);
        ask(robot, "A long story please");
        waitUntil(() -> lastMessage().getText().length() > 20);
        assertThat(robot.lookup("#sendButton").queryButton().getText()).isEqualTo("Stop");
        robot.clickOn("#sendButton");
        awaitAnswer();
        String partial = lastMessage().getText();
        assertThat(partial).isNotEmpty().hasSizeLessThan(String.join("", story(400)).length());
        assertThat(robot.lookup("#sendButton").queryButton().getText()).isEqualTo("Send");
        assertThat(robot.lookup(".message-footer").queryAllAs(Labeled.class))
                .anyMatch(l -> l.getText().startsWith("Stopped"));
    }

    @Test
    void escapeStopsTheAnswer(FxRobot robot) throws TimeoutException {
        inference.streamScript(story(400), TimeUnit.MILLISECONDS.toNanos(20));
        loadTinyModel(robot);
        ask(robot, "A long story please");
        waitUntil(() -> lastMessage().getText().length() > 10);
        robot.type(KeyCode.ESCAPE);
        awaitAnswer();
        assertThat(lastMessage().getText().length()).isLessThan(String.join("", story(400)).length());
    }

    @Test
    void regenerateWritesTheLastAnswerAgain(FxRobot robot) throws TimeoutException {
        loadTinyModel(robot);
        ask(robot, "Hi");
        awaitAnswer();
        robot.clickOn(button(robot, "Regenerate"));
        awaitAnswer();
        assertThat(inference.requests()).hasSize(2);
        assertThat(chat().getMessages()).hasSize(2);
        assertThat(lastMessage().getText()).isEqualTo(fullStory());
    }

    @Test
    void editAndResendAsksTheEditedQuestion(FxRobot robot) throws TimeoutException {
        loadTinyModel(robot);
        ask(robot, "Hi");
        awaitAnswer();
        dialogs.editedText = "Hello instead";
        robot.clickOn(button(robot, "Edit"));
        awaitAnswer();
        assertThat(inference.lastRequest().messages.get(inference.lastRequest().messages.size() - 1).content())
                .isEqualTo("Hello instead");
        assertThat(chat().getMessages().get(0).getText()).isEqualTo("Hello instead");
        assertThat(robot.lookup(".user-text").queryAllAs(Text.class))
                .anyMatch(t -> t.getText().equals("Hello instead"));
    }

    @Test
    void switchingConversationsShowsEachOnesMessages(FxRobot robot) throws TimeoutException {
        loadTinyModel(robot);
        ask(robot, "First question");
        awaitAnswer();
        robot.press(KeyCode.CONTROL).type(KeyCode.N).release(KeyCode.CONTROL);
        waitUntil(() -> chat().getMessages().isEmpty());
        ask(robot, "Second question");
        awaitAnswer();
        ListView<?> sidebar = robot.lookup("#conversationList").queryListView();
        waitUntil(() -> sidebar.getItems().size() == 2);
        robot.clickOn("First question");
        waitUntil(() -> !chat().getMessages().isEmpty()
                && chat().getMessages().get(0).getText().equals("First question"));
        assertThat(chat().getMessages()).hasSize(2);
        robot.clickOn("Second question");
        waitUntil(() -> chat().getMessages().get(0).getText().equals("Second question"));
    }

    @Test
    void themeAndLanguageCanBeSwitched(FxRobot robot) throws TimeoutException {
        robot.clickOn("#settingsToggle");
        ScrollPane panel = robot.lookup(".settings-view").query();
        robot.interact(() -> panel.setVvalue(1));   // the appearance section is at the bottom of the panel
        ComboBox<?> theme = robot.lookup("#themeBox").queryComboBox();
        robot.clickOn(theme).clickOn("Dark");
        waitUntil(() -> Application.getUserAgentStylesheet().equals(new PrimerDark().getUserAgentStylesheet()));
        ComboBox<?> language = robot.lookup("#languageBox").queryComboBox();
        robot.clickOn(language).clickOn(Locale.SIMPLIFIED_CHINESE.getDisplayName(Locale.SIMPLIFIED_CHINESE));
        waitUntil(() -> window.viewModel().localeProperty().get().equals(Locale.SIMPLIFIED_CHINESE));
        assertThat(robot.lookup("#sendButton").queryButton().getText()).isEqualTo("发送");
        assertThat(robot.lookup("#newChatButton").queryButton().getText()).isEqualTo("新对话");
        assertThat(stage.getTitle()).startsWith("Parlance");
    }

    @Test
    void aGgufFileInTheModelsFolderIsOfferedByItsWholeName(FxRobot robot) throws TimeoutException {
        waitUntil(() -> robot.lookup("smol_lm-q4_k_m.gguf").tryQuery().isPresent());
        assertThat(robot.lookup(".button").queryAllAs(javafx.scene.control.Button.class))
                .anyMatch(b -> b.getText().equals("smol_lm-q4_k_m.gguf") && !b.isMnemonicParsing());
        javafx.scene.control.MenuButton menu = robot.lookup("#modelMenu").queryAs(javafx.scene.control.MenuButton.class);
        assertThat(menu.isMnemonicParsing()).as("the menu shows the loaded model's name whole").isFalse();
        assertThat(menu.getItems()).anyMatch(item -> "smol_lm-q4_k_m.gguf".equals(item.getText())
                && !item.isMnemonicParsing());
    }

    @Test
    void aBrokenModelFolderShowsWhatIsWrongAndWhatToDo(FxRobot robot) throws TimeoutException {
        dialogs.directory = dir.resolve("broken");
        robot.clickOn(button(robot, "Open model folder…"));
        waitUntil(() -> window.viewModel().models().getStatus() == ModelsViewModel.Status.FAILED);
        assertThat(robot.lookup(".empty-body").queryAllAs(Labeled.class)).anyMatch(l ->
                l.getText().contains("no config.json") && l.getText().contains("Parlance runs GGUF files"));
        Labeled modelStatus = robot.lookup("#modelStatus").queryLabeled();
        assertThat(modelStatus.getText()).isEqualTo("The model could not be loaded");
        assertThat(modelStatus.getTooltip().getText()).isEqualTo(modelStatus.getText()); // whole, if cut short
        assertThat(robot.lookup("#speedStatus").queryLabeled().getTooltip()).as("no answer, no speed").isNull();
    }

    @Test
    void aboutNamesTheVersionTheComputePathAndWhereTheDataAndLogAre(FxRobot robot) {
        robot.clickOn("#aboutButton");
        assertThat(dialogs.informations).singleElement().asString()
                .contains("Parlance " + dev.parlance.RuntimeInfo.version())
                .contains("compute: ")
                .contains("Data folder: ")
                .contains("parlance-0.log");
    }

    @Test
    void thePromptInspectorHighlightsSpecialTokensAndCountsThem(FxRobot robot) throws TimeoutException {
        loadTinyModel(robot);
        ask(robot, "Hi there");
        awaitAnswer();
        robot.clickOn("#inspectButton");
        waitUntil(() -> robot.lookup(".special-token").tryQuery().isPresent());
        assertThat(robot.lookup(".special-token").queryAllAs(javafx.scene.text.Text.class))
                .extracting(javafx.scene.text.Text::getText).contains("<|user|>", "<|assistant|>");
        assertThat(robot.lookup(".prompt-inspector .label").queryAllAs(Labeled.class))
                .anyMatch(l -> l.getText() != null && l.getText().matches("Context: \\d+ of 512 tokens"));
        robot.type(KeyCode.ESCAPE);
    }

    @Test
    void shortcutsFocusTheComposerAndCopyTheLastAnswer(FxRobot robot) throws Exception {
        loadTinyModel(robot);
        ask(robot, "Hi");
        awaitAnswer();
        robot.clickOn("#searchField");
        robot.press(KeyCode.CONTROL).type(KeyCode.L).release(KeyCode.CONTROL);
        WaitForAsyncUtils.waitForFxEvents();
        assertThat(robot.lookup("#composer").query().isFocused()).isTrue();
        robot.press(KeyCode.CONTROL, KeyCode.SHIFT).type(KeyCode.C).release(KeyCode.SHIFT, KeyCode.CONTROL);
        WaitForAsyncUtils.waitForFxEvents();
        String copied = WaitForAsyncUtils.asyncFx(() -> Clipboard.getSystemClipboard().getString()).get();
        assertThat(copied).isEqualTo(fullStory());
    }

    @Test
    void aFinishedAnswerIsAnnouncedToScreenReaders(FxRobot robot) throws TimeoutException {
        loadTinyModel(robot);
        ask(robot, "Hi");
        awaitAnswer();
        Labeled announcer = robot.lookup("#announcer").queryLabeled();
        assertThat(announcer.getAccessibleText()).startsWith("Answer finished: Once");
    }

    @Test
    void aQuickStartOpensAConversationWithItsSystemPrompt(FxRobot robot) throws TimeoutException {
        loadTinyModel(robot);
        robot.clickOn(button(robot, "Translate Chinese ↔ English"));
        ask(robot, "你好");
        awaitAnswer();
        assertThat(inference.lastRequest().messages.get(0).content()).startsWith("You are a translator");
        assertThat(robot.lookup("#conversationList").queryListView().getItems()).hasSize(1);
    }

    @Test
    void conversationsCanBeSearchedRenamedAndDeleted(FxRobot robot) throws TimeoutException {
        loadTinyModel(robot);
        ask(robot, "Paris in spring");
        awaitAnswer();
        robot.press(KeyCode.CONTROL).type(KeyCode.N).release(KeyCode.CONTROL);
        ask(robot, "Budget for May");
        awaitAnswer();
        ListView<?> sidebar = robot.lookup("#conversationList").queryListView();
        waitUntil(() -> sidebar.getItems().size() == 2);
        robot.clickOn("#searchField").write("paris");
        waitUntil(() -> sidebar.getItems().size() == 1);
        robot.clickOn("Paris in spring");
        dialogs.line = "Trip";
        robot.clickOn("#renameButton");
        waitUntil(() -> robot.lookup("Trip").tryQuery().isPresent() || sidebar.getItems().isEmpty());
        robot.doubleClickOn("#searchField").eraseText(5);
        waitUntil(() -> sidebar.getItems().size() == 2);
        robot.clickOn("Trip");
        robot.clickOn("#deleteButton");
        waitUntil(() -> sidebar.getItems().size() == 1);
        assertThat(chat().getMessages()).isEmpty();
        assertThat(chat().getConversationId()).isNull();
    }

    @Test
    void theFontSizeApplies(FxRobot robot) {
        robot.interact(() -> window.viewModel().fontSizeProperty().set(18));
        assertThat(stage.getScene().getRoot().getStyle()).contains("-fx-font-size: 18px");
        assertThat(robot.lookup("#sendButton").queryButton().getFont().getSize()).isEqualTo(18);
    }

    @Test
    void theWindowRemembersItsBounds(FxRobot robot) {
        robot.interact(() -> {
            stage.setX(40);
            stage.setY(30);
            stage.setWidth(900);
            stage.setHeight(640);
            stage.hide();
        });
        assertThat(prefs.windowBounds()).containsExactly(40, 30, 900, 640);
    }

    @Test
    void reasoningIsShownFolded(FxRobot robot) throws TimeoutException {
        inference.streamReasoning(List.of("The user ", "wants a story."));
        loadTinyModel(robot);
        ask(robot, "Hi");
        awaitAnswer();
        TitledPane reasoning = robot.lookup(".reasoning").queryAllAs(TitledPane.class).stream()
                .filter(Node::isVisible).findFirst().orElseThrow();
        assertThat(reasoning.isExpanded()).isFalse();
        assertThat(lastMessage().getReasoning()).isEqualTo("The user wants a story.");
        robot.clickOn(reasoning);
        waitUntil(reasoning::isExpanded);
    }

    @Test
    void messageActionsAreReachableFromTheKeyboard(FxRobot robot) throws TimeoutException {
        loadTinyModel(robot);
        ask(robot, "Hi");
        awaitAnswer();
        ListView<?> transcript = robot.lookup("#transcript").queryListView();
        robot.interact(() -> {
            transcript.requestFocus();
            transcript.getSelectionModel().select(1);
        });
        robot.press(KeyCode.CONTROL).type(KeyCode.R).release(KeyCode.CONTROL);
        waitUntil(() -> inference.requests().size() == 2);
        awaitAnswer();
        dialogs.editedText = "Hello again";
        robot.interact(() -> transcript.getSelectionModel().select(0));
        robot.type(KeyCode.F2);
        waitUntil(() -> inference.requests().size() == 3);
        awaitAnswer();
        assertThat(chat().getMessages().get(0).getText()).isEqualTo("Hello again");
        robot.interact(() -> transcript.getSelectionModel().select(1));
        robot.type(KeyCode.DELETE);
        waitUntil(() -> chat().getMessages().size() == 1);
    }

    private void send(FxRobot robot, String message) throws TimeoutException {
        robot.interact(() -> chat().draftProperty().set(message));
        robot.clickOn("#sendButton");
        awaitAnswer();
    }

    private static String clipboard() throws Exception {
        return WaitForAsyncUtils.asyncFx(() -> Clipboard.getSystemClipboard().getString()).get();
    }

    /** The text flow showing a user message, found by its whole text. */
    private TextFlow userFlow(FxRobot robot, String message) {
        return (TextFlow) robot.lookup(".user-text").queryAllAs(Text.class).stream()
                .filter(t -> t.getText().equals(message) && t.getParent().isVisible())
                .findFirst().orElseThrow().getParent();
    }

    /** The height of one line of a text node's font. */
    private static double lineHeight(Text text) {
        var line = new Text("X");
        line.setFont(text.getFont());
        return line.getLayoutBounds().getHeight();
    }

    /** Asserts that a user message's flow shows at least {@code lines} lines, inside its card. */
    private void assertShownWhole(FxRobot robot, String message, int lines) {
        TextFlow flow = userFlow(robot, message);
        Text text = (Text) flow.getChildren().getLast();
        assertThat(flow.getHeight()).as("height of %s", message)
                .isGreaterThanOrEqualTo(lines * lineHeight(text) - 1);
        assertThat(flow.getHeight()).isGreaterThanOrEqualTo(flow.prefHeight(flow.getWidth()) - 1);
        Node cell = flow;
        while (!cell.getStyleClass().contains("message-cell")) {
            cell = cell.getParent();
        }
        var card = cell.localToScene(cell.getLayoutBounds());
        var shown = flow.localToScene(flow.getLayoutBounds());
        assertThat(card.getMinY()).isLessThanOrEqualTo(shown.getMinY());
        assertThat(card.getMaxY()).as("the card holds the whole text").isGreaterThanOrEqualTo(shown.getMaxY());
    }

    @Test
    void userMessagesShowEveryLineAlsoAfterReopening(FxRobot robot) throws TimeoutException {
        String twoLines = "Line one\nLine two";
        String longLine = "This is a long one-line message that goes on and on, well beyond the width of the card, "
                + "so that it has to wrap onto several lines to be shown whole, as every message should be.";
        robot.interact(() -> {
            stage.setWidth(800);
            stage.setHeight(600);
        });
        loadTinyModel(robot);
        send(robot, twoLines);
        send(robot, longLine);
        robot.interact(() -> robot.lookup("#transcript").queryListView().scrollTo(0));
        assertShownWhole(robot, twoLines, 2);
        robot.interact(() -> robot.lookup("#transcript").queryListView().scrollTo(2));
        assertShownWhole(robot, longLine, 2);
        robot.press(KeyCode.CONTROL).type(KeyCode.N).release(KeyCode.CONTROL);
        waitUntil(() -> chat().getMessages().isEmpty());
        robot.clickOn(robot.lookup("#conversationList .list-cell").queryAllAs(Labeled.class).stream()
                .filter(cell -> cell.getText() != null && cell.getText().startsWith("Line one")).findFirst()
                .orElseThrow());
        waitUntil(() -> chat().getMessages().size() == 4);
        robot.interact(() -> robot.lookup("#transcript").queryListView().scrollTo(0));
        assertShownWhole(robot, twoLines, 2);
    }

    /** The first paragraph of the answer, as a flow of text runs. */
    private TextFlow firstParagraph(FxRobot robot) {
        return robot.lookup(".markdown .md-paragraph").queryAllAs(TextFlow.class).stream()
                .filter(Node::isVisible).findFirst().orElseThrow();
    }

    private static javafx.geometry.Point2D onScreen(TextFlow flow, double x, double y) {
        return flow.localToScreen(x, y);
    }

    @Test
    void draggingOverAnAnswerSelectsTextAndCtrlCCopiesIt(FxRobot robot) throws Exception {
        loadTinyModel(robot);
        ask(robot, "Tell me a story");
        awaitAnswer();
        TextFlow paragraph = firstParagraph(robot);
        double middle = lineHeight((Text) paragraph.getChildren().getFirst()) / 2;
        robot.moveTo(onScreen(paragraph, 1, middle)).press(MouseButton.PRIMARY)
                .moveTo(onScreen(paragraph, 60, middle)).moveTo(onScreen(paragraph, 120, middle))
                .release(MouseButton.PRIMARY);
        assertThat(robot.lookup(".text-selection").queryAllAs(Path.class)).anyMatch(p -> !p.getElements().isEmpty());
        robot.press(KeyCode.CONTROL).type(KeyCode.C).release(KeyCode.CONTROL);
        WaitForAsyncUtils.waitForFxEvents();
        String copied = clipboard();
        assertThat(copied).startsWith("Once time").hasSizeLessThan(fullStory().length());
        assertThat(fullStory()).startsWith(copied);
    }

    @Test
    void doubleClickSelectsAWordInAUserMessage(FxRobot robot) throws Exception {
        loadTinyModel(robot);
        send(robot, "Tell me a story");
        TextFlow flow = userFlow(robot, "Tell me a story");
        robot.moveTo(onScreen(flow, 3, flow.getHeight() / 2)).doubleClickOn(MouseButton.PRIMARY);
        robot.press(KeyCode.CONTROL).type(KeyCode.C).release(KeyCode.CONTROL);
        WaitForAsyncUtils.waitForFxEvents();
        assertThat(clipboard()).isEqualTo("Tell");
    }

    @Test
    void ctrlASelectsTheWholeAnswerAsShownAndOnlyIt(FxRobot robot) throws Exception {
        loadTinyModel(robot);
        send(robot, "Tell me a story");
        TextFlow paragraph = firstParagraph(robot);
        robot.clickOn(onScreen(paragraph, 5, 5));
        robot.press(KeyCode.CONTROL).type(KeyCode.A).release(KeyCode.CONTROL);
        robot.press(KeyCode.CONTROL).type(KeyCode.C).release(KeyCode.CONTROL);
        WaitForAsyncUtils.waitForFxEvents();
        List<String> paragraphs = new ArrayList<>();
        for (String block : fullStory().replace("**", "").split("\n\n")) {
            if (!block.isBlank()) {
                paragraphs.add(block.strip());
            }
        }
        assertThat(clipboard()).isEqualTo(String.join("\n", paragraphs));
    }

    @Test
    void answerFinishedIsNotShownWhileTheNextAnswerStreamsNorAfterStop(FxRobot robot) throws TimeoutException {
        loadTinyModel(robot);
        send(robot, "Hi");
        Labeled announcer = robot.lookup("#announcer").queryLabeled();
        assertThat(announcer.getText()).isEqualTo("Answer finished.");
        inference.streamScript(story(400), TimeUnit.MILLISECONDS.toNanos(20));
        ask(robot, "A long story please");
        waitUntil(() -> lastMessage().getText().length() > 10);
        assertThat(announcer.getText()).isEmpty();
        robot.clickOn("#sendButton");
        awaitAnswer();
        assertThat(announcer.getText()).isEqualTo("Answer stopped.");
    }

    @Test
    void ctrlFFindsTextInTheConversationAndSelectsIt(FxRobot robot) throws Exception {
        loadTinyModel(robot);
        send(robot, "Where is the blue lamp?");
        send(robot, "And the red one?");
        robot.press(KeyCode.CONTROL).type(KeyCode.F).release(KeyCode.CONTROL);
        WaitForAsyncUtils.waitForFxEvents();
        assertThat(robot.lookup("#findField").query().isFocused()).isTrue();
        robot.write("BLUE");
        WaitForAsyncUtils.waitForFxEvents();
        assertThat(robot.lookup("#findCount").queryLabeled().getText()).isEqualTo("1 of 1");
        ListView<?> transcript = robot.lookup("#transcript").queryListView();
        assertThat(transcript.getSelectionModel().getSelectedIndex()).isZero();
        robot.type(KeyCode.ESCAPE);
        WaitForAsyncUtils.waitForFxEvents();
        assertThat(robot.lookup("#findBar").query().isVisible()).isFalse();
        robot.press(KeyCode.CONTROL).type(KeyCode.C).release(KeyCode.CONTROL);
        WaitForAsyncUtils.waitForFxEvents();
        assertThat(clipboard()).as("closing the find bar ends its selection").isEqualTo("Where is the blue lamp?");
        robot.press(KeyCode.CONTROL).type(KeyCode.F).release(KeyCode.CONTROL);
        robot.write(" time");
        WaitForAsyncUtils.waitForFxEvents();
        assertThat(robot.lookup("#findCount").queryLabeled().getText()).isEqualTo("1 of 2");
        assertThat(robot.lookup(".text-selection").queryAllAs(Path.class)).anyMatch(p -> !p.getElements().isEmpty());
        robot.type(KeyCode.ENTER);
        WaitForAsyncUtils.waitForFxEvents();
        assertThat(robot.lookup("#findCount").queryLabeled().getText()).isEqualTo("2 of 2");
        assertThat(transcript.getSelectionModel().getSelectedIndex()).isEqualTo(3);
        robot.doubleClickOn("#findField").write("nowhere");
        WaitForAsyncUtils.waitForFxEvents();
        assertThat(robot.lookup("#findCount").queryLabeled().getText()).isEqualTo("No matches");
    }

    @Test
    void ctrlCommaTogglesTheSettingsAndCtrlQCloses(FxRobot robot) {
        assertThat(robot.lookup(".settings-view").query().isVisible()).isFalse();
        robot.press(KeyCode.CONTROL).type(KeyCode.COMMA).release(KeyCode.CONTROL);
        WaitForAsyncUtils.waitForFxEvents();
        assertThat(robot.lookup(".settings-view").query().isVisible()).isTrue();
        robot.press(KeyCode.CONTROL).type(KeyCode.COMMA).release(KeyCode.CONTROL);
        WaitForAsyncUtils.waitForFxEvents();
        assertThat(robot.lookup(".settings-view").query().isVisible()).isFalse();
        robot.press(KeyCode.CONTROL).type(KeyCode.Q).release(KeyCode.CONTROL);
        WaitForAsyncUtils.waitForFxEvents();
        assertThat(stage.isShowing()).isFalse();
    }

    @Test
    void theThemeCanFollowTheSystem(FxRobot robot) throws TimeoutException {
        robot.clickOn("#settingsToggle");
        ScrollPane panel = robot.lookup(".settings-view").query();
        robot.interact(() -> panel.setVvalue(1));
        ComboBox<?> theme = robot.lookup("#themeBox").queryComboBox();
        robot.clickOn(theme).clickOn("Dark");
        waitUntil(() -> Application.getUserAgentStylesheet().equals(new PrimerDark().getUserAgentStylesheet()));
        robot.clickOn(theme).clickOn("Same as the system");
        waitUntil(() -> Application.getUserAgentStylesheet().equals(new PrimerLight().getUserAgentStylesheet()));
        assertThat(prefs.theme()).isEqualTo(Theme.SYSTEM);
    }

    private void resize(FxRobot robot, double width, double height) {
        robot.interact(() -> {
            stage.setWidth(width);
            stage.setHeight(height);
        });
        WaitForAsyncUtils.waitForFxEvents();
    }

    private static Bounds inScene(Node node) {
        return node.localToScene(node.getLayoutBounds());
    }

    /** The message cards on screen, top to bottom. */
    private List<Node> shownCells(FxRobot robot) {
        return robot.lookup(".message-cell").queryAll().stream()
                .filter(n -> n.isVisible() && ((javafx.scene.control.ListCell<?>) n).getItem() != null)
                .sorted(java.util.Comparator.comparingDouble(n -> inScene(n).getMinY()))
                .toList();
    }

    @Test
    void at800By600WithSettingsOpenNothingOverlapsOrIsCut(FxRobot robot) throws TimeoutException {
        resize(robot, 800, 600);
        loadTinyModel(robot);
        send(robot, "Line one\nLine two");
        send(robot, "A longer question that has to wrap in a narrow transcript, several times over.");
        robot.clickOn("#settingsToggle");
        WaitForAsyncUtils.waitForFxEvents();
        Parent root = stage.getScene().getRoot();
        assertThat(root.getLayoutBounds().getWidth()).as("the window holds the whole layout")
                .isLessThanOrEqualTo(stage.getScene().getWidth() + 0.5);
        ScrollPane panel = robot.lookup(".settings-view").query();
        Bounds viewport = panel.localToScene(panel.getViewportBounds());
        double panelRight = inScene(panel).getMinX() + viewport.getWidth() + 1;
        for (String control : List.of(".spinner", ".combo-box", ".text-field", ".text-area", ".button")) {
            for (Node node : robot.from(panel).lookup(control).queryAll()) {
                assertThat(inScene(node).getMaxX()).as("right edge of %s", node).isLessThanOrEqualTo(panelRight);
            }
        }
        for (String scrollTo : List.of("0", "1", "2", "3")) {
            robot.interact(() -> robot.lookup("#transcript").queryListView().scrollTo(Integer.parseInt(scrollTo)));
            List<Node> cells = shownCells(robot);
            for (int i = 0; i < cells.size(); i++) {
                Bounds cell = inScene(cells.get(i));
                Bounds content = inScene(robot.from(cells.get(i)).lookup(".message-content").query());
                assertThat(content.getMaxY()).as("card %d holds its content", i).isLessThanOrEqualTo(cell.getMaxY() + 0.5);
                if (i > 0) {
                    assertThat(cell.getMinY()).as("card %d starts below card %d", i, i - 1)
                            .isGreaterThanOrEqualTo(inScene(cells.get(i - 1)).getMaxY() - 0.5);
                }
            }
        }
        for (Button action : robot.lookup(".message-action").queryAllAs(Button.class)) {
            if (action.isVisible() && action.getParent().isVisible() && action.getScene() != null) {
                assertThat(action.getWidth()).as(action.getText()).isGreaterThanOrEqualTo(action.prefWidth(-1) - 0.5);
            }
        }
        assertThat(robot.lookup(".message-more").queryAllAs(Node.class)).as("a narrow card's actions are in a menu")
                .anyMatch(Node::isVisible);
        for (Node cell : shownCells(robot)) {
            Bounds role = inScene(robot.from(cell).lookup(".message-role").query());
            for (Button action : robot.from(cell).lookup(".message-action").queryAllAs(Button.class)) {
                if (action.isVisible() && action.getParent().isVisible()) {
                    assertThat(inScene(action).getMinX()).as("%s starts after the role", action.getText())
                            .isGreaterThanOrEqualTo(role.getMaxX());
                }
            }
        }
    }

    @Test
    void theStatusBarIsNotCutAtTheDefaultWidth(FxRobot robot) throws TimeoutException {
        resize(robot, 1100, 720);   // the scene's size on a first start
        loadTinyModel(robot);
        send(robot, "Hi");
        for (String id : List.of("#modelStatus", "#speedStatus", "#contextStatus")) {
            Labeled label = robot.lookup(id).queryLabeled();
            assertThat(label.getText()).isNotEmpty();
            assertThat(label.getWidth()).as(id).isGreaterThanOrEqualTo(label.prefWidth(-1) - 0.5);
            assertThat(inScene(label).getMaxX()).as(id).isLessThanOrEqualTo(stage.getScene().getWidth());
        }
    }

    @Test
    void at1440PixelsCardsKeepAReadingWidth(FxRobot robot) throws TimeoutException {
        resize(robot, 1440, 900);
        loadTinyModel(robot);
        send(robot, "Tell me a long story");
        Node transcript = robot.lookup("#transcript").query();
        for (Node card : robot.lookup(".message-content").queryAll()) {
            if (card.isVisible() && card.getScene() != null) {
                Bounds b = inScene(card);
                assertThat(b.getWidth()).isLessThanOrEqualTo(900);
                Bounds list = inScene(transcript);
                double left = b.getMinX() - list.getMinX();
                double right = list.getMaxX() - b.getMaxX();
                assertThat(Math.abs(left - right)).as("centred, give or take the scroll bar").isLessThan(30);
            }
        }
    }

    @Test
    void theSidebarCanBeResizedAndCollapsed(FxRobot robot) {
        Node sidebar = robot.lookup(".sidebar").query();
        double before = sidebar.getLayoutBounds().getWidth();
        assertThat(before).isBetween(230.0, 250.0);
        Node divider = robot.lookup(".split-pane-divider").query();
        robot.drag(divider, MouseButton.PRIMARY).moveBy(80, 0).release(MouseButton.PRIMARY);
        WaitForAsyncUtils.waitForFxEvents();
        assertThat(sidebar.getLayoutBounds().getWidth()).isCloseTo(before + 80, org.assertj.core.data.Offset.offset(6.0));
        assertThat(prefs.sidebarWidth()).as("remembered").isCloseTo(before + 80, org.assertj.core.data.Offset.offset(6.0));
        robot.clickOn("#sidebarToggle");
        WaitForAsyncUtils.waitForFxEvents();
        assertThat(sidebar.getScene()).as("the sidebar is gone").isNull();
        assertThat(prefs.sidebarShown()).isFalse();
        robot.clickOn("#sidebarToggle");
        WaitForAsyncUtils.waitForFxEvents();
        assertThat(sidebar.getLayoutBounds().getWidth()).isCloseTo(before + 80, org.assertj.core.data.Offset.offset(6.0));
        robot.interact(() -> window.viewModel().localeProperty().set(Locale.SIMPLIFIED_CHINESE));
        WaitForAsyncUtils.waitForFxEvents();
        Node rebuilt = robot.lookup(".sidebar").query();
        assertThat(rebuilt).isNotSameAs(sidebar);
        assertThat(rebuilt.getLayoutBounds().getWidth()).as("the width survives a change of language")
                .isCloseTo(before + 80, org.assertj.core.data.Offset.offset(6.0));
    }

    @Test
    void afterEditTheFocusIsNotOnDelete(FxRobot robot) throws TimeoutException {
        loadTinyModel(robot);
        send(robot, "Hi");
        dialogs.editedText = "Hello instead";
        robot.clickOn(button(robot, "Edit"));
        awaitAnswer();
        Node focused = stage.getScene().getFocusOwner();
        assertThat(focused).as("focus after Edit → OK").isNotInstanceOf(Button.class);
        robot.type(KeyCode.SPACE);
        WaitForAsyncUtils.waitForFxEvents();
        assertThat(chat().getMessages()).hasSize(2);
        dialogs.confirmed = false;
        robot.clickOn(messageDelete(robot));
        WaitForAsyncUtils.waitForFxEvents();
        assertThat(chat().getMessages()).as("not deleted when the user says no").hasSize(2);
        dialogs.confirmed = true;
        robot.clickOn(messageDelete(robot));
        // the edited question's branch is gone, and the one it was edited from shows again
        waitUntil(() -> chat().getMessages().getFirst().getText().equals("Hi"));
        assertThat(chat().getMessages().getFirst().getVersionCount()).isEqualTo(1);
    }

    /** The first message card's Delete button (the sidebar has one too). */
    private static Button messageDelete(FxRobot robot) {
        return robot.lookup(".message-action").queryAllAs(Button.class).stream()
                .filter(b -> b.getText().equals("Delete") && b.isVisible() && b.getScene() != null)
                .min(java.util.Comparator.comparingDouble(b -> b.localToScene(0, 0).getY())).orElseThrow();
    }

    @Test
    void escapeInTheFindBarClosesItAndAgainInTheTranscriptStopsTheAnswer(FxRobot robot) throws TimeoutException {
        inference.streamScript(story(400), TimeUnit.MILLISECONDS.toNanos(20));
        loadTinyModel(robot);
        ask(robot, "A long story please");
        robot.press(KeyCode.CONTROL).type(KeyCode.F).release(KeyCode.CONTROL);
        robot.write("time").type(KeyCode.ESCAPE);
        WaitForAsyncUtils.waitForFxEvents();
        assertThat(robot.lookup("#findBar").query().isVisible()).isFalse();
        assertThat(chat().getState()).isEqualTo(ChatViewModel.State.GENERATING);
        robot.type(KeyCode.ESCAPE);
        awaitAnswer();
        assertThat(lastMessage().getFinish()).isEqualTo(dev.parlance.inference.FinishReason.CANCELLED);
    }
}
