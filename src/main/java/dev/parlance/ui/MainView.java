package dev.parlance.ui;

import dev.parlance.AppDirectories;
import dev.parlance.AppLog;
import dev.parlance.RuntimeInfo;
import dev.parlance.inference.GenerationStats;
import dev.parlance.service.ModelInfo;
import dev.parlance.service.remote.RemoteModel;
import dev.parlance.store.ConversationRecord;
import dev.parlance.store.SearchHit;
import dev.parlance.ui.chat.ChatView;
import dev.parlance.ui.chat.ChatViewModel;
import dev.parlance.ui.chat.PromptInspectorDialog;
import dev.parlance.ui.chat.PromptInspectorViewModel;
import dev.parlance.ui.chat.QuickStart;
import dev.parlance.ui.models.ModelsPageViewModel;
import dev.parlance.ui.models.ModelsViewModel;
import java.nio.file.Path;
import java.text.MessageFormat;
import java.util.ResourceBundle;
import javafx.beans.binding.Bindings;
import javafx.collections.ListChangeListener;
import javafx.fxml.FXML;
import javafx.scene.control.Button;
import javafx.scene.control.ContextMenu;
import javafx.scene.control.Label;
import javafx.scene.control.ListCell;
import javafx.scene.control.ListView;
import javafx.scene.control.MenuButton;
import javafx.scene.control.MenuItem;
import javafx.scene.control.ProgressBar;
import javafx.scene.control.SeparatorMenuItem;
import javafx.scene.control.SplitPane;
import javafx.scene.control.TextField;
import javafx.scene.control.ToggleButton;
import javafx.scene.control.Tooltip;
import javafx.scene.input.KeyCode;
import javafx.scene.input.KeyEvent;
import javafx.scene.layout.HBox;
import javafx.scene.layout.Region;
import javafx.scene.layout.VBox;
import javafx.scene.text.TextFlow;

/** The main window: toolbar with the model picker, sidebar of conversations, status bar. */
public final class MainView {
    private final MainViewModel main;
    private final ModelsViewModel models;
    private final ChatViewModel chat;
    private final PromptInspectorViewModel inspector;
    private final DialogService dialogs;
    private final ChatView chatView;
    private final ModelsPageViewModel modelsPage;
    private PromptInspectorDialog inspectorDialog;   // one per view: it listens to the inspector for good

    @FXML private ResourceBundle resources;
    @FXML private MenuButton modelMenu;
    @FXML private MenuButton quickStartMenu;
    @FXML private Button inspectButton;
    @FXML private ToggleButton settingsToggle;
    @FXML private ToggleButton sidebarToggle;
    @FXML private SplitPane split;
    @FXML private Region sidebar;
    @FXML private Button newChatButton;
    @FXML private TextField searchField;
    @FXML private ListView<ConversationRecord> conversationList;
    @FXML private Button renameButton;
    @FXML private Button deleteButton;
    @FXML private Region settingsPanel;
    @FXML private Label modelStatus;
    @FXML private ProgressBar loadProgress;
    @FXML private Label speedStatus;
    @FXML private Label contextStatus;
    @FXML private ToggleButton modelsToggle;
    @FXML private Region modelsPageView;
    @FXML private HBox modelErrorBanner;
    @FXML private Label modelErrorText;
    @FXML private Button modelErrorDismiss;

    /**
     * @param main the window's view model
     * @param inspector the prompt inspector's view model
     * @param dialogs the dialogs this view opens
     * @param chatView the included chat view, told how to open a model folder
     * @param modelsPage the Models page, shown in place of the chat
     */
    public MainView(MainViewModel main, PromptInspectorViewModel inspector, DialogService dialogs, ChatView chatView,
            ModelsPageViewModel modelsPage) {
        this.main = main;
        this.modelsPage = modelsPage;
        this.models = main.models();
        this.chat = main.chat();
        this.inspector = inspector;
        this.dialogs = dialogs;
        this.chatView = chatView;
    }

    @FXML
    private void initialize() {
        chatView.setOnOpenModelFolder(this::openModelFolder);
        chatView.setOnOpenModelFile(this::openModelFile);
        chatView.setOnGetModel(modelsPage::open);
        modelsToggle.selectedProperty().bindBidirectional(modelsPage.shownProperty());
        modelsPageView.visibleProperty().bind(modelsPage.shownProperty());
        split.visibleProperty().bind(modelsPage.shownProperty().not());
        modelsPage.shownProperty().addListener((obs, was, shown) -> {
            if (!shown) {
                chatView.focusComposer();
            }
        });
        models.getModels().addListener((ListChangeListener<Path>) change -> buildModelMenu());
        models.getRemoteModels().addListener((ListChangeListener<RemoteModel>) change -> buildModelMenu());
        buildModelMenu();
        modelMenu.textProperty().bind(Bindings.createStringBinding(() -> models.getLoaded() == null
                ? resources.getString("model.choose") : models.getLoaded().name(), models.loadedProperty()));
        modelMenu.setAccessibleText(resources.getString("model.menu"));
        modelMenu.setMnemonicParsing(false); // the model's name, "q4_k_m" and all
        for (QuickStart start : QuickStart.values()) {
            var item = new MenuItem(resources.getString(start.nameKey()));
            item.setOnAction(e -> main.newChat(start, resources.getString(start.promptKey())));
            quickStartMenu.getItems().add(item);
        }
        quickStartMenu.setAccessibleText(resources.getString("quickstart.menu"));
        inspectButton.disableProperty().bind(models.statusProperty().isNotEqualTo(ModelsViewModel.Status.READY));
        settingsToggle.selectedProperty().bindBidirectional(main.settings().expandedProperty());
        settingsPanel.visibleProperty().bind(settingsToggle.selectedProperty());
        settingsPanel.managedProperty().bind(settingsToggle.selectedProperty());
        SplitPane.setResizableWithParent(sidebar, false);   // a wider window widens the chat, not the list
        split.widthProperty().addListener((obs, was, now) -> {
            if (was.doubleValue() == 0 && now.doubleValue() > 0) {
                placeDivider();
            }
        });
        sidebarToggle.selectedProperty().bindBidirectional(main.sidebarShownProperty());
        sidebarToggle.selectedProperty().addListener((obs, was, shown) -> showSidebar(shown));
        showSidebar(sidebarToggle.isSelected());
        sidebar.widthProperty().addListener((obs, was, now) -> {
            if (split.getItems().contains(sidebar) && split.getWidth() > 0 && now.doubleValue() > 0) {
                main.sidebarWidthProperty().set(now.doubleValue());   // dragged, or placed
            }
        });

        searchField.textProperty().bindBidirectional(main.searchProperty());
        searchField.setAccessibleText(resources.getString("sidebar.search"));
        conversationList.setItems(main.getConversations());
        conversationList.setAccessibleText(resources.getString("sidebar.conversations"));
        conversationList.setCellFactory(list -> new ConversationCell());
        var noConversations = new Label();
        noConversations.setWrapText(true);
        noConversations.getStyleClass().add("sidebar-empty");
        noConversations.textProperty().bind(Bindings.when(main.searchProperty().isEmpty())
                .then(resources.getString("sidebar.empty")).otherwise(resources.getString("sidebar.noMatches")));
        conversationList.setPlaceholder(noConversations);
        // only the user's clicks and keys open a conversation: the list also moves its selection by
        // itself, for example to a neighbour when the selected conversation is deleted
        conversationList.setOnMouseClicked(e -> openSelected());
        conversationList.addEventHandler(KeyEvent.KEY_RELEASED, e -> {
            if (e.getCode().isNavigationKey() || e.getCode() == KeyCode.ENTER || e.getCode() == KeyCode.SPACE) {
                openSelected();
            }
        });
        main.selectedProperty().addListener((obs, was, now) -> showSelection(now));
        // a refreshed list clears the list's selection even when the selected conversation is unchanged
        main.getConversations().addListener(
                (ListChangeListener<ConversationRecord>) change -> showSelection(main.selectedProperty().get()));
        showSelection(main.selectedProperty().get());
        conversationList.setOnKeyPressed(e -> {
            if (e.getCode() == KeyCode.F2) {
                rename();
            } else if (e.getCode() == KeyCode.DELETE) {
                delete();
            }
        });
        renameButton.disableProperty().bind(main.selectedProperty().isNull());
        deleteButton.disableProperty().bind(main.selectedProperty().isNull());
        newChatButton.setAccessibleText(resources.getString("chat.new"));

        loadProgress.progressProperty().bind(models.progressProperty());
        loadProgress.visibleProperty().bind(models.statusProperty().isEqualTo(ModelsViewModel.Status.LOADING));
        loadProgress.managedProperty().bind(loadProgress.visibleProperty());
        modelStatus.textProperty().bind(Bindings.createStringBinding(this::modelStatusText,
                models.statusProperty(), models.loadedProperty(), models.loadingProperty()));
        speedStatus.textProperty().bind(Bindings.createStringBinding(this::speedText, chat.lastStatsProperty()));
        contextStatus.textProperty().bind(Bindings.createStringBinding(this::contextText,
                chat.contextUsedProperty(), chat.droppedMessagesProperty(), models.loadedProperty()));
        showWholeTextOnHover(modelStatus, speedStatus, contextStatus);
        modelErrorText.textProperty().bind(Bindings.createStringBinding(this::modelErrorText,
                models.errorProperty(), models.failedProperty(), models.loadedProperty(), models.statusProperty()));
        modelErrorBanner.visibleProperty().bind(models.errorProperty().isNotEmpty());
        modelErrorBanner.managedProperty().bind(modelErrorBanner.visibleProperty());
        modelErrorDismiss.setAccessibleText(resources.getString("banner.dismiss"));
        models.refresh();
        models.refreshRemote();
        main.refreshConversations();
    }

    /** Shows or hides the conversation list; its width is kept for when it comes back. */
    private void showSidebar(boolean shown) {
        if (shown && !split.getItems().contains(sidebar)) {
            split.getItems().addFirst(sidebar);
            placeDivider();
        } else if (!shown) {
            split.getItems().remove(sidebar);
        }
    }

    /** Puts the divider where the sidebar gets its last width (the split pane counts in fractions). */
    private void placeDivider() {
        if (split.getWidth() > 0 && split.getItems().contains(sidebar)) {
            split.setDividerPositions(Math.min(main.sidebarWidthProperty().get() / split.getWidth(), 1));
        }
    }

    /**
     * The status bar wraps its labels onto more lines in a narrow window, but one longer than the
     * whole window is still cut short: each shows its whole text as a tooltip while it has any.
     */
    private static void showWholeTextOnHover(Label... labels) {
        for (Label label : labels) {
            Tooltip tooltip = new Tooltip();
            tooltip.textProperty().bind(label.textProperty());
            label.tooltipProperty().bind(Bindings.when(label.textProperty().isEmpty())
                    .then((Tooltip) null).otherwise(tooltip));
        }
    }

    private void openSelected() {
        ConversationRecord item = conversationList.getSelectionModel().getSelectedItem();
        if (item != null && !item.equals(main.selectedProperty().get())) {
            main.selectedProperty().set(item);
        }
    }

    @FXML
    private void newChat() {
        main.newChat();
        chatView.focusComposer();
    }

    @FXML
    private void rename() {
        ConversationRecord c = main.selectedProperty().get();
        if (c != null) {
            dialogs.askLine(resources.getString("sidebar.rename.title"), titleOf(c))
                    .ifPresent(title -> main.rename(c, title));
        }
    }

    @FXML
    private void delete() {
        ConversationRecord c = main.selectedProperty().get();
        if (c != null && dialogs.confirm(resources.getString("sidebar.delete.title"),
                MessageFormat.format(resources.getString("sidebar.delete.confirm"), titleOf(c)))) {
            main.delete(c);
        }
    }

    /** About Parlance: the version, compute path, threads and CPU, and where the data and the log are. */
    @FXML
    private void about() {
        Path data = AppDirectories.dataDirectory();
        dialogs.inform(resources.getString("about.title"), String.join("\n", RuntimeInfo.describe()) + "\n\n"
                + MessageFormat.format(resources.getString("about.dataFolder"), data) + "\n"
                + MessageFormat.format(resources.getString("about.log"), AppLog.file(data)));
    }

    @FXML
    private void inspect() {
        if (inspectorDialog == null) {
            inspectorDialog = new PromptInspectorDialog(inspector, resources, conversationList.getScene().getWindow());
        }
        inspectorDialog.show();
        inspector.inspect(chat.promptMessages(), main.settings().options(), chat.droppedMessagesProperty().get());
    }

    private void openModelFolder() {
        dialogs.chooseDirectory(resources.getString("model.open"), models.modelsDirectoryProperty().get())
                .ifPresent(models::load);
    }

    private void openModelFile() {
        dialogs.chooseModelFile(resources.getString("model.openFile"), models.modelsDirectoryProperty().get())
                .ifPresent(models::load);
    }

    private void buildModelMenu() {
        modelMenu.getItems().clear();
        for (Path folder : models.getModels()) {
            var item = new MenuItem(folder.getFileName().toString());
            item.setMnemonicParsing(false); // "q4_k_m" is a name, not a shortcut
            item.setOnAction(e -> models.load(folder));
            modelMenu.getItems().add(item);
        }
        for (RemoteModel remote : models.getRemoteModels()) {
            var item = new MenuItem(MessageFormat.format(resources.getString("model.remote"), remote.id(),
                    remote.server().name()));
            item.setMnemonicParsing(false);
            item.getStyleClass().add("remote-model");
            item.setOnAction(e -> models.loadRemote(remote));
            modelMenu.getItems().add(item);
        }
        if (models.getModels().isEmpty() && models.getRemoteModels().isEmpty()) {
            var none = new MenuItem(resources.getString("model.noneFound"));
            none.setDisable(true);
            modelMenu.getItems().add(none);
        }
        var open = new MenuItem(resources.getString("model.open"));
        open.setOnAction(e -> openModelFolder());
        var openFile = new MenuItem(resources.getString("model.openFile"));
        openFile.setOnAction(e -> openModelFile());
        var refresh = new MenuItem(resources.getString("model.refresh"));
        refresh.setOnAction(e -> {
            models.refresh();
            models.refreshRemote();
        });
        var more = new MenuItem(resources.getString("models.get"));
        more.setOnAction(e -> modelsPage.open());
        modelMenu.getItems().addAll(new SeparatorMenuItem(), more, openFile, open, refresh);
    }

    private void showSelection(ConversationRecord selected) {
        if (selected == null) {
            conversationList.getSelectionModel().clearSelection();
        } else if (!selected.equals(conversationList.getSelectionModel().getSelectedItem())) {
            conversationList.getSelectionModel().select(selected);
        }
    }

    private String titleOf(ConversationRecord c) {
        return c.title().isBlank() ? resources.getString("chat.untitled") : c.title();
    }

    private String modelStatusText() {
        switch (models.getStatus()) {
            case LOADING:
                Path folder = models.loadingProperty().get();
                return MessageFormat.format(resources.getString("status.loading"),
                        folder == null ? "" : folder.getFileName());
            case READY:
                ModelInfo info = models.getLoaded();
                RemoteModel remote = models.loadedRemoteProperty().get();
                if (remote != null) {
                    return MessageFormat.format(resources.getString("status.remote"), info.name(), remote.server().name(),
                            remote.server().baseUrl());
                }
                return MessageFormat.format(resources.getString("status.loaded"), info.name(),
                        info.parameters() / 1e6, info.loadMillis() / 1000);
            case FAILED:
                return resources.getString("status.failed");
            default:
                return resources.getString("status.noModel");
        }
    }

    /** The load error, and which model is still there to use (the one loaded before). */
    private String modelErrorText() {
        String error = models.errorProperty().get();
        if (error.isEmpty()) {
            return "";
        }
        Path failed = models.failedProperty().get();
        String text = MessageFormat.format(resources.getString("banner.modelFailed"),
                failed == null ? "" : failed.getFileName(), error);
        ModelInfo kept = models.getLoaded();
        return kept == null || models.getStatus() != ModelsViewModel.Status.READY ? text
                : text + "\n" + MessageFormat.format(resources.getString("banner.modelKept"), kept.name());
    }

    @FXML
    private void dismissModelError() {
        models.dismissError();
    }

    private String speedText() {
        GenerationStats stats = chat.lastStatsProperty().get();
        return stats == null ? "" : MessageFormat.format(resources.getString("status.speed"),
                stats.decodeTokensPerSecond(), stats.timeToFirstTokenMillis());
    }

    private String contextText() {
        int available = chat.contextAvailable();
        if (available == 0) {
            return "";
        }
        String used = MessageFormat.format(resources.getString("status.context"), chat.contextUsedProperty().get(),
                available);
        int dropped = chat.droppedMessagesProperty().get();
        if (dropped > 0) {
            return used + " " + MessageFormat.format(resources.getString("status.dropped"), dropped);
        }
        return chat.contextUsedProperty().get() + main.settings().answerLength() > available
                ? used + " " + resources.getString("status.overflow") : used;
    }

    /**
     * A sidebar row: the title, with rename and delete in its context menu; while searching, the
     * matching piece of a message under it, the matched words highlighted.
     */
    private final class ConversationCell extends ListCell<ConversationRecord> {
        ConversationCell() {
            setPrefWidth(0);   // the sidebar's width decides; long titles end in an ellipsis
            var renameItem = new MenuItem(resources.getString("sidebar.rename"));
            renameItem.setOnAction(e -> rename());
            var deleteItem = new MenuItem(resources.getString("sidebar.delete"));
            deleteItem.setOnAction(e -> delete());
            setContextMenu(new ContextMenu(renameItem, deleteItem));
        }

        @Override
        protected void updateItem(ConversationRecord item, boolean empty) {
            super.updateItem(item, empty);
            SearchHit hit = empty || item == null ? null : main.hitFor(item);
            setText(empty || item == null || hit != null ? null : titleOf(item));
            if (hit == null) {
                setGraphic(null);
                return;
            }
            var title = new Label(titleOf(item));
            title.getStyleClass().add("conversation-title");
            var snippet = new TextFlow();
            snippet.getStyleClass().add("search-snippet");
            snippet.getChildren().setAll(SearchSnippet.texts(hit.snippet()));
            var row = new VBox(2, title, snippet);
            row.setAccessibleText(titleOf(item) + ": " + SearchSnippet.plain(hit.snippet()));
            setGraphic(row);
        }
    }
}
