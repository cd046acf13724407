package dev.parlance.ui.chat;

import dev.parlance.inference.FinishReason;
import dev.parlance.ui.DialogService;
import dev.parlance.store.SearchHit;
import dev.parlance.ui.MainViewModel;
import dev.parlance.ui.SearchSnippet;
import dev.parlance.ui.models.ModelsViewModel;
import java.nio.file.Path;
import java.text.MessageFormat;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.ResourceBundle;
import javafx.beans.binding.Bindings;
import javafx.collections.ListChangeListener;
import javafx.fxml.FXML;
import javafx.geometry.Pos;
import javafx.scene.AccessibleAttribute;
import javafx.scene.control.Button;
import javafx.scene.control.Label;
import javafx.scene.control.ListView;
import javafx.scene.control.ProgressIndicator;
import javafx.scene.control.TextArea;
import javafx.scene.control.TextField;
import javafx.scene.control.skin.VirtualFlow;
import javafx.scene.input.KeyCode;
import javafx.scene.input.KeyCodeCombination;
import javafx.scene.input.KeyCombination;
import javafx.scene.input.KeyEvent;
import javafx.scene.input.ScrollEvent;
import javafx.scene.layout.FlowPane;
import javafx.scene.layout.HBox;
import javafx.scene.layout.VBox;

/** The transcript and the composer. */
public final class ChatView {
    private static final KeyCombination COPY = new KeyCodeCombination(KeyCode.C, KeyCombination.SHORTCUT_DOWN);
    private static final KeyCombination SELECT_ALL =
            new KeyCodeCombination(KeyCode.A, KeyCombination.SHORTCUT_DOWN);
    private static final KeyCombination REGENERATE =
            new KeyCodeCombination(KeyCode.R, KeyCombination.SHORTCUT_DOWN);

    private final MainViewModel main;
    private final ChatViewModel chat;
    private final ModelsViewModel models;
    private final DialogService dialogs;
    private Runnable openModelFolder = () -> { };
    private Runnable openModelFile = () -> { };
    private Runnable getModel = () -> { };
    private boolean follow = true;   // the transcript follows the answer until the user scrolls up
    private boolean scrollPending;
    private final Runnable scroller = this::scrollAfterLayout;
    private TextSelection selection;   // the last text selection made in the transcript, if any

    @FXML private ResourceBundle resources;
    @FXML private ListView<MessageViewModel> transcript;
    @FXML private TextArea composer;
    @FXML private Button sendButton;
    @FXML private Label errorLabel;
    @FXML private Label announcer;
    @FXML private HBox findBar;
    @FXML private TextField findField;
    @FXML private Label findCount;
    private List<Integer> matches = List.of();   // indexes of the messages that contain the find text
    private int match;                            // which of them is shown

    /**
     * @param main gives the quick starts of the empty state
     * @param dialogs opens the edit dialog of a message
     */
    public ChatView(MainViewModel main, DialogService dialogs) {
        this.main = main;
        this.chat = main.chat();
        this.models = main.models();
        this.dialogs = dialogs;
    }

    @FXML
    private void initialize() {
        transcript.setItems(chat.getMessages());
        transcript.setCellFactory(list -> new MessageCell(chat, resources, dialogs, this::selecting));
        transcript.setAccessibleText(resources.getString("chat.transcript"));
        transcript.addEventFilter(ScrollEvent.SCROLL, e -> follow = e.getDeltaY() < 0 && atBottom());
        transcript.addEventFilter(KeyEvent.KEY_PRESSED, e -> follow = follow && !isUpKey(e.getCode()));
        transcript.addEventHandler(KeyEvent.KEY_PRESSED, this::messageKey);
        transcript.addEventFilter(KeyEvent.KEY_PRESSED, e -> {
            if (e.getCode() == KeyCode.ESCAPE && chat.canStopProperty().get()) {
                chat.stop();   // the list would take Esc for itself, before the window's shortcut
                e.consume();
            }
        });
        chat.getMessages().addListener((ListChangeListener<MessageViewModel>) change -> {
            while (change.next()) {
                for (MessageViewModel added : change.getAddedSubList()) {
                    if (added.isStreaming()) {
                        added.textProperty().addListener((obs, was, now) -> scrollToEnd());
                    }
                }
            }
            scrollToEnd();
        });
        transcript.sceneProperty().addListener((obs, was, now) -> {
            if (was != null) {
                was.removePostLayoutPulseListener(scroller);
            }
            if (now != null) {
                now.addPostLayoutPulseListener(scroller);
            }
        });
        chat.finishedAnswerProperty().addListener((obs, was, now) -> announce(now));
        chat.stateProperty().addListener((obs, was, now) -> {
            if (now == ChatViewModel.State.GENERATING) {
                announcer.setText("");   // the last answer's "finished" is not this one's
            }
        });
        findField.textProperty().addListener((obs, was, now) -> find());
        findField.addEventHandler(KeyEvent.KEY_PRESSED, this::findKey);
        chat.getMessages().addListener((ListChangeListener<MessageViewModel>) change -> {
            if (findBar.isVisible()) {
                find();
            }
        });
        composer.textProperty().bindBidirectional(chat.draftProperty());
        composer.disableProperty().bind(chat.stateProperty().isEqualTo(ChatViewModel.State.NO_MODEL)
                .or(chat.stateProperty().isEqualTo(ChatViewModel.State.LOADING)));
        composer.promptTextProperty().bind(Bindings.createStringBinding(() -> resources.getString(
                chat.getState() == ChatViewModel.State.NO_MODEL ? "composer.hint.noModel"
                        : chat.getState() == ChatViewModel.State.LOADING ? "composer.hint.loading"
                        : "composer.hint"), chat.stateProperty()));
        composer.setAccessibleText(resources.getString("composer.accessible"));
        composer.addEventFilter(KeyEvent.KEY_PRESSED, this::composerKey);
        chat.stateProperty().addListener((obs, was, now) -> {
            if (was == ChatViewModel.State.LOADING && now == ChatViewModel.State.IDLE) {
                composer.requestFocus();   // the model is ready: the next thing to do is type
            }
        });
        sendButton.textProperty().bind(Bindings.when(chat.canStopProperty())
                .then(resources.getString("chat.stop")).otherwise(resources.getString("chat.send")));
        sendButton.accessibleTextProperty().bind(sendButton.textProperty());
        sendButton.disableProperty().bind(chat.canSendProperty().not().and(chat.canStopProperty().not()));
        errorLabel.textProperty().bind(Bindings.createStringBinding(() -> chat.errorProperty().get().isEmpty() ? ""
                : MessageFormat.format(resources.getString("chat.error"), chat.errorProperty().get()),
                chat.errorProperty()));
        errorLabel.visibleProperty().bind(chat.errorProperty().isNotEmpty());
        errorLabel.managedProperty().bind(errorLabel.visibleProperty());
        main.openedMatchProperty().addListener((obs, was, now) -> showOpenedMatch());
        chat.getMessages().addListener((ListChangeListener<MessageViewModel>) change -> showOpenedMatch());
        models.statusProperty().addListener((obs, was, now) -> updatePlaceholder());
        models.getModels().addListener((ListChangeListener<Path>) change -> updatePlaceholder());
        models.errorProperty().addListener((obs, was, now) -> updatePlaceholder());
        updatePlaceholder();
    }

    /** What the empty state's "Open model folder…" button does. */
    public void setOnOpenModelFolder(Runnable action) {
        openModelFolder = action;
        updatePlaceholder();
    }

    /** What the empty state's "Open GGUF file…" button does. */
    public void setOnOpenModelFile(Runnable action) {
        openModelFile = action;
        updatePlaceholder();
    }

    /** What the empty state's "Get a model" button does (opens the Models page). */
    public void setOnGetModel(Runnable action) {
        getModel = action;
        updatePlaceholder();
    }

    /** Shows the find bar and puts the keyboard focus in it (Ctrl+F). */
    public void openFind() {
        findBar.setVisible(true);
        findBar.setManaged(true);
        findField.requestFocus();
        findField.selectAll();
        find();
    }

    @FXML
    private void closeFind() {
        findBar.setVisible(false);
        findBar.setManaged(false);
        if (selection != null) {
            selection.clear();
        }
        transcript.requestFocus();
    }

    @FXML
    private void findNext() {
        showMatch(match + 1);
    }

    @FXML
    private void findPrevious() {
        showMatch(match - 1);
    }

    private void findKey(KeyEvent e) {
        if (e.getCode() == KeyCode.ENTER) {
            showMatch(e.isShiftDown() ? match - 1 : match + 1);
        } else if (e.getCode() == KeyCode.ESCAPE) {
            closeFind();
        } else {
            return;
        }
        e.consume();
    }

    /**
     * Scrolls to the message a sidebar search opened the conversation at, once it is read, and
     * highlights the matched words in it with the find bar.
     */
    private void showOpenedMatch() {
        SearchHit hit = main.openedMatchProperty().get();
        if (hit == null || transcript.getScene() == null) {   // a view left behind by a change of language
            return;
        }
        int at = -1;
        for (int i = 0; i < chat.getMessages().size(); i++) {
            if (hit.messageId().equals(chat.getMessages().get(i).getId())) {
                at = i;
            }
        }
        if (at < 0) {
            return;
        }
        main.matchShown();
        String words = SearchSnippet.firstMatch(hit.snippet());
        follow = false;
        scrollPending = false;
        if (words.isBlank()) {
            transcript.getSelectionModel().select(at);
            transcript.scrollTo(at);
            return;
        }
        findBar.setVisible(true);
        findBar.setManaged(true);
        findField.setText(words);   // finds it in every message; then the one that matched is shown
        int index = matches.indexOf(at);
        showMatch(index < 0 ? 0 : index);
    }

    /** Finds the messages that contain the find text, ignoring case, and shows the first. */
    private void find() {
        String query = findField.getText().strip().toLowerCase(Locale.ROOT);
        List<Integer> found = new ArrayList<>();
        if (!query.isEmpty()) {
            for (int i = 0; i < chat.getMessages().size(); i++) {
                if (chat.getMessages().get(i).getText().toLowerCase(Locale.ROOT).contains(query)) {
                    found.add(i);
                }
            }
        }
        matches = found;
        showMatch(0);
    }

    /** Scrolls to a match (wrapping around), selects its message and highlights the text in it. */
    private void showMatch(int index) {
        if (matches.isEmpty()) {
            match = 0;
            findCount.setText(findField.getText().isBlank() ? "" : resources.getString("find.none"));
            return;
        }
        match = Math.floorMod(index, matches.size());
        findCount.setText(MessageFormat.format(resources.getString("find.count"), match + 1, matches.size()));
        int at = matches.get(match);
        follow = false;
        transcript.getSelectionModel().select(at);
        transcript.scrollTo(at);
        transcript.layout();
        MessageViewModel message = chat.getMessages().get(at);
        cellOf(message).ifPresent(cell -> cell.selection().selectFirst(findField.getText().strip()));
    }

    /** Moves the keyboard focus to the composer (Ctrl+L). */
    public void focusComposer() {
        composer.requestFocus();
    }

    @FXML
    private void sendOrStop() {
        if (chat.canStopProperty().get()) {
            chat.stop();
        } else {
            follow = true;
            chat.send();
        }
    }

    private void composerKey(KeyEvent e) {
        if (e.getCode() != KeyCode.ENTER) {
            return;
        }
        if (e.isShiftDown()) {
            composer.replaceSelection("\n");
        } else if (!chat.canStopProperty().get()) {
            follow = true;
            chat.send();
        }
        e.consume();
    }

    /** One text selection in the transcript at a time: a new one clears the one before. */
    private void selecting(TextSelection now) {
        if (selection != null && selection != now) {
            selection.clear();
        }
        selection = now;
    }

    /**
     * The card actions for the selected message: Ctrl+C copies the selected text, or the whole
     * message when none is selected; Ctrl+A selects the message's text; F2 edit, Ctrl+R
     * regenerate, Delete.
     */
    private void messageKey(KeyEvent e) {
        MessageViewModel message = transcript.getSelectionModel().getSelectedItem();
        if (message == null) {
            return;
        }
        if (COPY.match(e)) {
            MessageCell.copyText(selection != null && !selection.isEmpty() ? selection.selectedText()
                    : message.getText());
        } else if (SELECT_ALL.match(e)) {
            cellOf(message).ifPresent(cell -> cell.selection().selectAll());
        } else if (e.getCode() == KeyCode.F2) {
            MessageCell.edit(chat, dialogs, resources, message);
        } else if (REGENERATE.match(e) && message.isLastAnswer()) {
            chat.regenerate();
        } else if (e.getCode() == KeyCode.DELETE) {
            MessageCell.delete(chat, dialogs, resources, message);
        } else {
            return;
        }
        e.consume();
    }

    /** The card showing a message, if it is on screen. */
    private Optional<MessageCell> cellOf(MessageViewModel message) {
        return transcript.lookupAll(".message-cell").stream()
                .filter(node -> node instanceof MessageCell cell && cell.getItem() == message)
                .map(MessageCell.class::cast)
                .findFirst();
    }

    private static boolean isUpKey(KeyCode code) {
        return code == KeyCode.UP || code == KeyCode.PAGE_UP || code == KeyCode.HOME;
    }

    private VirtualFlow<?> flow() {
        return (VirtualFlow<?>) transcript.lookup(".virtual-flow");
    }

    private boolean atBottom() {
        VirtualFlow<?> flow = flow();
        if (flow == null || flow.getLastVisibleCell() == null) {
            return true;
        }
        var last = flow.getLastVisibleCell();
        return last.getIndex() == transcript.getItems().size() - 1
                && last.getLayoutY() + last.getHeight() <= flow.getHeight() + 2;
    }

    private void scrollToEnd() {
        if (follow && !transcript.getItems().isEmpty()) {
            scrollPending = true;
        }
    }

    /** Scrolls after the layout pass, when the growing cell knows its new height; no runLater needed. */
    private void scrollAfterLayout() {
        if (!scrollPending) {
            return;
        }
        scrollPending = false;
        VirtualFlow<?> flow = flow();
        if (follow && flow != null) {
            flow.setPosition(1);
        }
    }

    private void announce(MessageViewModel answer) {
        if (answer == null) {
            return;
        }
        if (answer.getFinish() == FinishReason.CANCELLED) {
            announcer.setText(resources.getString("chat.stopped"));
            announcer.setAccessibleText(resources.getString("chat.stopped"));
            announcer.notifyAccessibleAttributeChanged(AccessibleAttribute.TEXT);
            return;
        }
        String text = answer.getText();
        String summary = MessageFormat.format(resources.getString("chat.announce"),
                text.length() > 300 ? text.substring(0, 300) + "…" : text);
        announcer.setText(resources.getString("chat.answered"));
        announcer.setAccessibleText(summary);
        announcer.notifyAccessibleAttributeChanged(AccessibleAttribute.TEXT);
    }

    private void updatePlaceholder() {
        var box = new VBox(12);
        box.setAlignment(Pos.CENTER);
        box.getStyleClass().add("empty-state");
        var title = new Label();
        title.getStyleClass().add("empty-title");
        var body = new Label();
        body.setWrapText(true);
        body.getStyleClass().add("empty-body");
        box.getChildren().addAll(title, body);
        switch (models.getStatus()) {
            case LOADING:
                Path loading = models.loadingProperty().get();
                title.setText(MessageFormat.format(resources.getString("empty.loading"),
                        loading == null ? "" : loading.getFileName()));
                var progress = new ProgressIndicator();
                progress.progressProperty().bind(models.progressProperty());
                box.getChildren().add(progress);
                break;
            case READY:
                title.setText(resources.getString("empty.ready.title"));
                body.setText(resources.getString("empty.ready.body"));
                var starts = new FlowPane(8, 8);
                starts.setAlignment(Pos.CENTER);
                for (QuickStart start : QuickStart.values()) {
                    var button = new Button(resources.getString(start.nameKey()));
                    button.setAccessibleText(resources.getString(start.nameKey()));
                    button.setOnAction(e -> main.newChat(start, resources.getString(start.promptKey())));
                    starts.getChildren().add(button);
                }
                box.getChildren().add(starts);
                break;
            case FAILED:
                title.setText(resources.getString("empty.failed.title"));
                body.setText(MessageFormat.format(resources.getString("model.error"), models.errorProperty().get()));
                box.getChildren().add(openButtons());
                break;
            default:
                boolean none = models.getModels().isEmpty();
                title.setText(resources.getString(none ? "empty.noModels.title" : "empty.pick.title"));
                body.setText(MessageFormat.format(resources.getString(none ? "empty.noModels.body" : "empty.pick.body"),
                        models.modelsDirectoryProperty().get()));
                for (Path folder : models.getModels()) {
                    var button = new Button(folder.getFileName().toString());
                    button.setMnemonicParsing(false); // "q4_k_m" is a name, not a shortcut
                    button.setOnAction(e -> models.load(folder));
                    box.getChildren().add(button);
                }
                box.getChildren().add(openButtons());
                break;
        }
        body.setMaxWidth(560);
        transcript.setPlaceholder(box);
    }

    /** "Get a model", "Open GGUF file…" and "Open model folder…", side by side. */
    private FlowPane openButtons() {
        var get = new Button(resources.getString("models.get"));
        get.getStyleClass().add("accent");
        get.setAccessibleText(resources.getString("models.get"));
        get.setOnAction(e -> getModel.run());
        var openFile = new Button(resources.getString("model.openFile"));
        openFile.setAccessibleText(resources.getString("model.openFile"));
        openFile.setOnAction(e -> openModelFile.run());
        var openFolder = new Button(resources.getString("model.open"));
        openFolder.setAccessibleText(resources.getString("model.open"));
        openFolder.setOnAction(e -> openModelFolder.run());
        var buttons = new FlowPane(8, 8, get, openFile, openFolder);
        buttons.setAlignment(Pos.CENTER);
        return buttons;
    }
}
