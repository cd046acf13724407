package dev.parlance.ui.chat;

import dev.parlance.chat.Message;
import dev.parlance.chat.PromptInspection;
import dev.parlance.chat.Role;
import java.text.MessageFormat;
import java.util.List;
import java.util.Locale;
import java.util.ResourceBundle;
import javafx.scene.control.ButtonType;
import javafx.scene.control.Dialog;
import javafx.scene.control.DialogPane;
import javafx.scene.control.Label;
import javafx.scene.control.ProgressBar;
import javafx.scene.control.ProgressIndicator;
import javafx.scene.control.ScrollPane;
import javafx.scene.Node;
import javafx.scene.layout.GridPane;
import javafx.scene.layout.Priority;
import javafx.scene.layout.Region;
import javafx.scene.layout.VBox;
import javafx.scene.text.Text;
import javafx.scene.text.TextFlow;
import javafx.geometry.Insets;
import javafx.geometry.Rectangle2D;
import javafx.stage.Modality;
import javafx.stage.Screen;
import javafx.stage.Window;

/** Shows the exact prompt: its text with special tokens highlighted, tokens per message, context use. */
public final class PromptInspectorDialog {
    private final PromptInspectorViewModel inspector;
    private final ResourceBundle resources;
    private final Dialog<Void> dialog = new Dialog<>();
    private final Label context = new Label();
    private final ProgressBar contextBar = new ProgressBar(0);
    private final TextFlow prompt = new TextFlow();
    private final GridPane perMessage = new GridPane();
    private final Label error = new Label();
    private final Label leftOutNote = new Label();
    private final ProgressIndicator busy = new ProgressIndicator();

    /**
     * @param inspector whose inspection is shown, now and when it arrives
     * @param resources the current language's strings
     * @param owner the main window
     */
    public PromptInspectorDialog(PromptInspectorViewModel inspector, ResourceBundle resources, Window owner) {
        this.inspector = inspector;
        this.resources = resources;
        dialog.initOwner(owner);
        dialog.initModality(Modality.NONE);
        dialog.setTitle(resources.getString("inspector.title"));
        dialog.setResizable(true);
        prompt.getStyleClass().add("prompt-text");
        prompt.setAccessibleText(resources.getString("inspector.prompt"));
        var scroll = new ScrollPane(prompt);
        scroll.setFitToWidth(true);
        scroll.setPrefSize(640, 360);
        perMessage.setHgap(12);
        perMessage.setVgap(4);
        error.setWrapText(true);
        error.getStyleClass().add("danger");
        contextBar.setPrefWidth(640);
        contextBar.setMaxWidth(Double.MAX_VALUE);
        busy.visibleProperty().bind(inspector.busyProperty());
        busy.managedProperty().bind(inspector.busyProperty());
        busy.setPrefSize(32, 32);
        var perMessageScroll = new ScrollPane(perMessage);
        perMessageScroll.setFitToWidth(true);
        perMessageScroll.setPrefViewportHeight(140);
        perMessageScroll.setMinHeight(60);
        perMessageScroll.setMinWidth(Region.USE_PREF_SIZE);   // the token counts are never scrolled away
        perMessageScroll.setHbarPolicy(ScrollPane.ScrollBarPolicy.NEVER);
        perMessage.setPadding(new Insets(0, 16, 0, 0));   // room for the scroll bar
        leftOutNote.setWrapText(true);
        leftOutNote.getStyleClass().add("left-out-note");
        var content = new VBox(8, busy, error, context, contextBar, leftOutNote,
                new Label(resources.getString("inspector.prompt")), scroll,
                new Label(resources.getString("inspector.perMessage")), perMessageScroll);
        content.getStyleClass().add("prompt-inspector");
        // the prompt scrolls; everything else keeps its height when the window is short
        for (Node child : content.getChildren()) {
            if (child != scroll && child != perMessageScroll && child instanceof Region) {
                ((Region) child).setMinHeight(Region.USE_PREF_SIZE);
            }
        }
        VBox.setVgrow(scroll, Priority.ALWAYS);
        scroll.setMinHeight(120);
        perMessage.setMinWidth(Region.USE_PREF_SIZE);
        dialog.getDialogPane().setPrefWidth(760);
        // never taller than the screen, so that the Close button stays on it: the two lists scroll
        Rectangle2D screen = Screen.getScreensForRectangle(owner.getX(), owner.getY(), owner.getWidth(),
                owner.getHeight()).stream().findFirst().orElse(Screen.getPrimary()).getVisualBounds();
        dialog.getDialogPane().setMaxHeight(screen.getHeight() - 60);
        dialog.getDialogPane().setPrefHeight(Math.min(680, screen.getHeight() - 60));
        dialog.getDialogPane().setContent(content);
        dialog.getDialogPane().getButtonTypes().add(ButtonType.CLOSE);
        dialog.getDialogPane().getStylesheets().add(
                PromptInspectorDialog.class.getResource("chat.css").toExternalForm());
        inspector.inspectionProperty().addListener((obs, was, now) -> show(now));
        inspector.errorProperty().addListener((obs, was, now) -> showError(now));
        show(inspector.inspectionProperty().get());
        showError(inspector.errorProperty().get());
    }

    /** Opens the dialog without waiting for it to close. */
    public void show() {
        if (!dialog.isShowing()) {
            dialog.show();
        }
    }

    private void showError(String message) {
        error.setText(message.isEmpty() ? "" : MessageFormat.format(resources.getString("inspector.error"), message));
        error.setVisible(!message.isEmpty());
        error.setManaged(!message.isEmpty());
    }

    private void show(PromptInspection p) {
        prompt.getChildren().clear();
        perMessage.getChildren().clear();
        if (p == null) {
            context.setText("");
            contextBar.setProgress(0);
            return;
        }
        if (p.tokenIds().isEmpty() && p.contextLength() == 0) {
            // a remote server's prompt: the messages as sent; its template and tokenizer are the server's
            context.setText(resources.getString("inspector.remote"));
            contextBar.setProgress(0);
            prompt.getChildren().add(new Text(p.prompt()));
            return;
        }
        context.setText(MessageFormat.format(resources.getString("inspector.context"), p.tokenIds().size(),
                p.contextLength()));
        contextBar.setProgress(inspector.contextFraction());
        int leftOut = inspector.getLeftOut();
        leftOutNote.setText(leftOut == 0 ? "" : MessageFormat.format(resources.getString("inspector.leftOut"), leftOut));
        leftOutNote.setVisible(leftOut > 0);
        leftOutNote.setManaged(leftOut > 0);
        for (int i = 0; i < p.pieces().size(); i++) {
            var piece = new Text(p.pieces().get(i));
            piece.getStyleClass().add(p.specialToken().get(i) ? "special-token" : "prompt-token");
            prompt.getChildren().add(piece);
        }
        List<Message> messages = inspector.getInspectedMessages();
        int sent = 0;       // index into the prompt's tokens-per-message
        int skipped = 0;
        for (int i = 0; i < messages.size(); i++) {
            Message message = messages.get(i);
            boolean out = message.role() != Role.SYSTEM && skipped < leftOut;
            String text = message.content().replace('\n', ' ');
            var roleLabel = new Label(resources.getString("role." + message.role().wireName().toLowerCase(Locale.ROOT)));
            var textLabel = new Label(text.length() > 60 ? text.substring(0, 60) + "…" : text);
            Label tokens;
            if (out) {
                skipped++;
                tokens = new Label(resources.getString("inspector.leftOutRow"));
                for (Label l : List.of(roleLabel, textLabel, tokens)) {
                    l.getStyleClass().add("left-out");
                }
            } else {
                int count = sent < p.tokensPerMessage().size() ? p.tokensPerMessage().get(sent) : 0;
                sent++;
                tokens = new Label(MessageFormat.format(resources.getString("inspector.tokens"), count));
            }
            perMessage.addRow(i, roleLabel, textLabel, tokens);
        }
        fitWindow();
    }

    /**
     * The dialog opens before the inspection arrives: its window is sized again to the new content
     * (never past the screen's edge), so that the token counts and the Close button are not cut off.
     */
    private void fitWindow() {
        Window window = dialog.getDialogPane().getScene() == null ? null : dialog.getDialogPane().getScene().getWindow();
        if (window == null || !window.isShowing()) {
            return;
        }
        Rectangle2D screen = Screen.getScreensForRectangle(window.getX(), window.getY(), window.getWidth(),
                window.getHeight()).stream().findFirst().orElse(Screen.getPrimary()).getVisualBounds();
        DialogPane pane = dialog.getDialogPane();
        double frameWidth = window.getWidth() - pane.getWidth();      // the window's decorations
        double frameHeight = window.getHeight() - pane.getHeight();
        double width = Math.min(Math.max(window.getWidth(), pane.prefWidth(-1) + frameWidth), screen.getWidth());
        window.setWidth(width);
        window.setHeight(Math.min(Math.max(window.getHeight(), pane.prefHeight(width - frameWidth) + frameHeight),
                screen.getHeight()));
        window.setX(Math.max(screen.getMinX(), Math.min(window.getX(), screen.getMaxX() - window.getWidth())));
        window.setY(Math.max(screen.getMinY(), Math.min(window.getY(), screen.getMaxY() - window.getHeight())));
    }
}
