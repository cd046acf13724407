package dev.parlance.ui.chat;

import dev.parlance.chat.Role;
import dev.parlance.inference.FinishReason;
import dev.parlance.inference.GenerationStats;
import dev.parlance.ui.DialogService;
import dev.parlance.ui.chat.tokens.TokenView;
import java.text.MessageFormat;
import java.util.ArrayList;
import java.util.List;
import java.util.ResourceBundle;
import java.util.function.Consumer;
import javafx.beans.InvalidationListener;
import javafx.beans.Observable;
import javafx.beans.binding.Bindings;
import javafx.css.PseudoClass;
import javafx.geometry.Insets;
import javafx.geometry.Pos;
import javafx.scene.AccessibleRole;
import javafx.scene.Node;
import javafx.scene.control.Button;
import javafx.scene.control.ContentDisplay;
import javafx.scene.control.ContextMenu;
import javafx.scene.control.Label;
import javafx.scene.control.ListCell;
import javafx.scene.control.MenuButton;
import javafx.scene.control.MenuItem;
import javafx.scene.control.TitledPane;
import javafx.scene.control.ToggleButton;
import javafx.scene.input.Clipboard;
import javafx.scene.input.ClipboardContent;
import javafx.scene.layout.HBox;
import javafx.scene.layout.Priority;
import javafx.scene.layout.Region;
import javafx.scene.layout.StackPane;
import javafx.scene.layout.VBox;
import javafx.scene.text.Text;
import javafx.scene.text.TextFlow;

/**
 * One message card of the transcript: role, text (Markdown for answers), reasoning and actions.
 * Its text is in text flows, which wrap to the card's width and show every line, and which the
 * mouse can select ({@link TextSelection}).
 */
final class MessageCell extends ListCell<MessageViewModel> {
    /** The widest a card gets: lines longer than about 90 characters are hard to read. */
    static final double READING_WIDTH = 860;

    private static final PseudoClass USER = PseudoClass.getPseudoClass("user");
    private static final PseudoClass ASSISTANT = PseudoClass.getPseudoClass("assistant");
    private static final PseudoClass STREAMING = PseudoClass.getPseudoClass("streaming");
    private static final PseudoClass ERROR = PseudoClass.getPseudoClass("error");

    private final ChatViewModel chat;
    private final ResourceBundle bundle;
    private final DialogService dialogs;
    private final Label role = new Label();
    private final VersionSwitcher versions;
    private final Button copy;
    private final Button edit;
    private final Button regenerate;
    private final Button delete;
    private final Text reasoningText = new Text();
    private final TitledPane reasoning;
    private final Text userText = new Text();
    private final TextFlow userFlow = new TextFlow(userText);
    private final MarkdownView answer;
    private final ToggleButton tokensToggle;
    private final TokenView tokens;
    private final Label footer = new Label();
    private final Region frame = new Region();
    private final StackPane card;
    private final TextSelection selection;
    private final List<Runnable> unbind = new ArrayList<>();

    /**
     * @param onSelect told when the user starts selecting text in this card, so that the
     *     transcript keeps one selection at a time
     */
    MessageCell(ChatViewModel chat, ResourceBundle bundle, DialogService dialogs, Consumer<TextSelection> onSelect) {
        this.chat = chat;
        this.bundle = bundle;
        this.dialogs = dialogs;
        answer = new MarkdownView(bundle);
        tokens = new TokenView(bundle, index -> chat.attention(getItem(), index),
                Bindings.createStringBinding(() -> branchBlockText(chat.branchBlockProperty().get()),
                        chat.branchBlockProperty()),
                (index, alternativeId) -> chat.continueWith(getItem(), index, alternativeId));
        tokensToggle = new ToggleButton(bundle.getString("message.tokens"));
        tokensToggle.getStyleClass().addAll("flat", "small", "message-tokens");
        tokensToggle.setMinWidth(Region.USE_PREF_SIZE);
        tokensToggle.setFocusTraversable(false);
        copy = action("message.copy", () -> copyText(getItem().getText()));
        edit = action("message.edit", this::editItem);
        regenerate = action("message.regenerate", chat::regenerate);
        delete = action("message.delete", () -> delete(chat, dialogs, bundle, getItem()));
        edit.disableProperty().bind(chat.canStopProperty());
        regenerate.disableProperty().bind(chat.canStopProperty());
        delete.disableProperty().bind(chat.canStopProperty());
        versions = new VersionSwitcher(chat, bundle);
        role.getStyleClass().add("message-role");
        role.setMinWidth(Region.USE_PREF_SIZE);
        var spacer = new Region();
        HBox.setHgrow(spacer, Priority.ALWAYS);
        var actions = new HBox(4, tokensToggle, copy, edit, regenerate, delete);
        actions.setAlignment(Pos.CENTER_RIGHT);
        actions.setMinWidth(0);   // else the header never gets narrower than the buttons, and never compact
        // a card too narrow for the buttons' names puts them in a menu
        var more = new MenuButton("⋯", null, menuItems().toArray(MenuItem[]::new));
        more.getStyleClass().addAll("flat", "small", "message-more");
        more.setAccessibleText(bundle.getString("message.more"));
        more.setOnShowing(e -> mirrorButtons(more.getItems()));
        // decided at layout, when the buttons have their skins and so their widths
        var header = new HBox(8, role, versions, spacer, actions, more) {
            @Override
            protected void layoutChildren() {
                double versionsWidth = versions.isManaged() ? versions.prefWidth(-1) + getSpacing() : 0;
                boolean narrow = getWidth() < role.prefWidth(-1) + versionsWidth + getSpacing()
                        + actions.prefWidth(-1);
                if (narrow != more.isVisible()) {
                    show(actions, !narrow);
                    show(more, narrow);
                }
                super.layoutChildren();
            }
        };
        header.setAlignment(Pos.CENTER_LEFT);
        show(more, false);
        reasoningText.getStyleClass().add("reasoning-text");
        reasoning = new TitledPane(bundle.getString("message.reasoning"), new TextFlow(reasoningText));
        reasoning.setExpanded(false);
        reasoning.getStyleClass().add("reasoning");
        userText.getStyleClass().add("user-text");
        userFlow.getStyleClass().add("user-flow");
        footer.getStyleClass().add("message-footer");
        footer.setWrapText(true);   // the seed at its end stays readable in a narrow card
        var content = new VBox(6, header, reasoning, userFlow, answer, tokens, footer);
        content.getStyleClass().add("message-content");
        selection = new TextSelection(content, onSelect);
        // The card's look (user, streaming, error) lives on a frame without children: a pseudo-class
        // change on a parent restyles its whole subtree, hundreds of nodes for a long answer.
        frame.getStyleClass().add("message-card");
        card = new StackPane(frame, content);
        card.setFocusTraversable(false);
        card.setMaxWidth(READING_WIDTH);
        setAlignment(Pos.TOP_CENTER);
        getStyleClass().add("message-cell");
        setPrefWidth(0);   // let the list's width, not the text's length, decide the cell's width
        setContentDisplay(ContentDisplay.GRAPHIC_ONLY);
        setAccessibleRole(AccessibleRole.LIST_ITEM);
        // the same actions from the context menu (right click, or the menu key where the platform sends it)
        var menu = new ContextMenu(menuItems().toArray(MenuItem[]::new));
        menu.setOnShowing(e -> mirrorButtons(menu.getItems()));
        setContextMenu(menu);
    }

    /** The card's actions as menu items: Copy, Edit, Regenerate, Delete. */
    private List<MenuItem> menuItems() {
        return List.of(menuItem(copy), menuItem(edit), menuItem(regenerate), menuItem(delete));
    }

    /** Shows and enables each menu item as its button is. */
    private static void mirrorButtons(List<MenuItem> items) {
        for (MenuItem item : items) {
            Button button = (Button) item.getUserData();
            item.setVisible(button.isVisible());
            item.setDisable(button.isDisable());
        }
    }

    private static MenuItem menuItem(Button button) {
        var item = new MenuItem(button.getText());
        item.setUserData(button);
        item.setOnAction(e -> button.fire());
        return item;
    }

    private Button action(String key, Runnable run) {
        var button = new Button(bundle.getString(key));
        button.getStyleClass().addAll("flat", "small", "message-action");
        button.setMinWidth(Region.USE_PREF_SIZE);   // a narrow card shows the menu rather than cut the names
        // a click leaves the focus where it was: after Edit → OK it must not land on Delete, where
        // Space would delete; the keyboard reaches these actions through the list's keys and menu
        button.setFocusTraversable(false);
        button.setAccessibleText(bundle.getString(key));
        button.setOnAction(e -> {
            if (getItem() != null) {
                run.run();
            }
        });
        return button;
    }

    @Override
    protected void updateItem(MessageViewModel item, boolean empty) {
        if (item != getItem()) {
            selection.clear();   // kept while the list re-applies the same message, as when it selects it
        }
        super.updateItem(item, empty);
        unbind.forEach(Runnable::run);
        unbind.clear();
        if (empty || item == null) {
            setGraphic(null);
            return;
        }
        boolean isUser = item.getRole() == Role.USER;
        role.setText(bundle.getString(isUser ? "role.user" : item.getRole() == Role.SYSTEM ? "role.system"
                : "role.assistant"));
        frame.pseudoClassStateChanged(USER, isUser);
        frame.pseudoClassStateChanged(ASSISTANT, !isUser);
        show(userFlow, isUser);
        show(answer, !isUser);
        show(edit, isUser);
        watch(() -> {
            String text = item.getText();
            if (isUser) {
                userText.setText(text);
            } else {
                answer.setMarkdown(text);
            }
            selection.forgetIfReplaced();
        }, item.textProperty());
        tokensToggle.selectedProperty().bindBidirectional(item.showingTokensProperty());
        unbind.add(() -> tokensToggle.selectedProperty().unbindBidirectional(item.showingTokensProperty()));
        watch(() -> {   // an answer shows its tokens instead of its text while the toggle is on
            // a written answer without tokens (from before the app started) says why it has none
            boolean toggles = !isUser && (item.getTokens() != null || !item.isStreaming() && !item.isFailed());
            boolean showing = toggles && item.showingTokensProperty().get();
            show(tokensToggle, toggles);
            show(tokens, showing);
            show(answer, !isUser && !showing);
            tokens.show(showing ? item.getTokens() : null);
        }, item.tokensProperty(), item.showingTokensProperty(), item.streamingProperty(), item.errorProperty());
        watch(() -> {
            reasoningText.setText(item.getReasoning());
            show(reasoning, !item.getReasoning().isEmpty());
        }, item.reasoningProperty());
        watch(() -> {
            boolean streaming = item.isStreaming();
            frame.pseudoClassStateChanged(STREAMING, streaming);
            frame.pseudoClassStateChanged(ERROR, item.isFailed());
            footer.pseudoClassStateChanged(ERROR, item.isFailed());
            show(regenerate, item.isLastAnswer() && !streaming);
            footer.setText(footerOf(item));
            show(footer, !footer.getText().isEmpty());
            card.setAccessibleText(streaming ? role.getText() : role.getText() + ": " + item.getText());
        }, item.streamingProperty(), item.errorProperty(), item.finishProperty(), item.lastAnswerProperty(),
                item.statsProperty(), item.seedProperty());
        unbind.add(versions.show(item));
        setGraphic(card);
    }

    private String branchBlockText(ChatViewModel.BranchBlock block) {
        return switch (block) {
            case NONE -> "";
            case ANSWERING -> bundle.getString("tokens.blocked.answering");
            case NO_MODEL -> bundle.getString("tokens.blocked.noModel");
            case REMOTE_MODEL -> bundle.getString("tokens.blocked.remote");
        };
    }

    /**
     * The card's height at the width it is given. A list cell asks its graphic for its height at the
     * cell's whole width, padding included, so wrapped text came out a line short and the next card
     * covered the end of this one.
     */
    @Override
    protected double computePrefHeight(double width) {
        if (getGraphic() == null || width < 0) {
            return super.computePrefHeight(width);
        }
        Insets padding = getInsets();
        double inside = Math.min(width - padding.getLeft() - padding.getRight(), READING_WIDTH);
        return padding.getTop() + getGraphic().prefHeight(inside) + padding.getBottom();
    }

    /** The text selected in this card. */
    TextSelection selection() {
        return selection;
    }

    private void watch(Runnable update, Observable... sources) {
        InvalidationListener listener = obs -> update.run();
        for (Observable source : sources) {
            source.addListener(listener);
            unbind.add(() -> source.removeListener(listener));
        }
        update.run();
    }

    /** The footer's text, and the answer's seed once it has finished (so it can be reproduced). */
    private String footerOf(MessageViewModel item) {
        String footer = outcomeOf(item);
        long seed = item.seedProperty().get();
        if (seed < 0 || item.isStreaming() || item.getRole() != Role.ASSISTANT) {
            return footer;
        }
        String seedText = MessageFormat.format(bundle.getString("message.seed"), seed);
        return footer.isEmpty() ? seedText : footer + " · " + seedText;
    }

    private String outcomeOf(MessageViewModel item) {
        if (!item.getError().isEmpty()) {
            return MessageFormat.format(bundle.getString("message.failed"), item.getError());
        }
        if (item.getFinish() == FinishReason.ERROR) {
            return bundle.getString("message.failedEarlier");
        }
        if (item.getFinish() == FinishReason.INTERRUPTED) {
            return bundle.getString("message.interrupted");
        }
        if (item.getFinish() == FinishReason.CANCELLED) {
            return bundle.getString("message.stopped");
        }
        if (item.getFinish() == FinishReason.LENGTH) {
            return bundle.getString("message.length");
        }
        if (item.getFinish() == FinishReason.CONTEXT_FULL) {
            return bundle.getString("message.contextFull");
        }
        GenerationStats stats = item.statsProperty().get();
        if (stats != null && stats.generatedTokens() > 0) {
            return MessageFormat.format(bundle.getString("message.stats"), stats.generatedTokens(),
                    stats.decodeTokensPerSecond());
        }
        return "";
    }

    private void editItem() {
        edit(chat, dialogs, bundle, getItem());
    }

    /** Asks for the new text of a user message, then sends it again. */
    static void edit(ChatViewModel chat, DialogService dialogs, ResourceBundle bundle, MessageViewModel item) {
        if (chat.canEdit(item)) {
            dialogs.editText(bundle.getString("message.edit.title"), item.getText())
                    .ifPresent(text -> chat.editAndResend(item, text));
        }
    }

    /** Deletes a message once the user confirms: it takes what follows it, on every branch, with it. */
    static void delete(ChatViewModel chat, DialogService dialogs, ResourceBundle bundle, MessageViewModel item) {
        if (dialogs.confirm(bundle.getString("message.delete.title"), bundle.getString("message.delete.confirm"))) {
            chat.delete(item);
        }
    }

    private static void show(Node node, boolean visible) {
        node.setVisible(visible);
        node.setManaged(visible);
    }

    static void copyText(String text) {
        var content = new ClipboardContent();
        content.putString(text);
        Clipboard.getSystemClipboard().setContent(content);
    }
}
