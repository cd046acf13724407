package dev.parlance.ui.chat;

import java.text.MessageFormat;
import java.util.ResourceBundle;
import javafx.beans.InvalidationListener;
import javafx.geometry.Pos;
import javafx.scene.control.Button;
import javafx.scene.control.Label;
import javafx.scene.layout.HBox;
import javafx.scene.layout.Region;

/**
 * "‹ 2/3 ›" in a message card's header: flips between the versions of its turn (regenerated
 * answers, or the branches an edited question started), as ChatGPT and LM Studio do. Hidden when
 * the turn has one version.
 */
final class VersionSwitcher extends HBox {
    private final ChatViewModel chat;
    private final ResourceBundle bundle;
    private final Button previous = new Button("‹");
    private final Button next = new Button("›");
    private final Label label = new Label();
    private MessageViewModel item;

    VersionSwitcher(ChatViewModel chat, ResourceBundle bundle) {
        super(2);
        this.chat = chat;
        this.bundle = bundle;
        getStyleClass().add("version-switcher");
        setAlignment(Pos.CENTER_LEFT);
        setMinWidth(Region.USE_PREF_SIZE);
        for (Button button : new Button[] {previous, next}) {
            button.getStyleClass().addAll("flat", "small", "version-step");
            button.setFocusTraversable(false);
        }
        previous.setAccessibleText(bundle.getString("message.version.previous"));
        next.setAccessibleText(bundle.getString("message.version.next"));
        previous.setOnAction(e -> step(-1));
        next.setOnAction(e -> step(1));
        label.getStyleClass().add("version-label");
        getChildren().addAll(previous, label, next);
        chat.canStopProperty().addListener(obs -> update());
    }

    /**
     * Shows the versions of {@code message}, following its changes.
     *
     * @return undoes the binding, for when the card shows another message
     */
    Runnable show(MessageViewModel message) {
        item = message;
        InvalidationListener listener = obs -> update();
        message.versionIndexProperty().addListener(listener);
        message.versionCountProperty().addListener(listener);
        update();
        return () -> {
            message.versionIndexProperty().removeListener(listener);
            message.versionCountProperty().removeListener(listener);
            item = null;
            update();
        };
    }

    private void step(int step) {
        if (item != null) {
            chat.showVersion(item, step);
        }
    }

    private void update() {
        boolean many = item != null && item.getVersionCount() > 1;
        setVisible(many);
        setManaged(many);
        if (!many) {
            return;
        }
        int shown = item.getVersionIndex() + 1;
        int count = item.getVersionCount();
        label.setText(shown + "/" + count);
        setAccessibleText(MessageFormat.format(bundle.getString("message.version.of"), shown, count));
        boolean browsable = chat.canShowVersions(item);
        previous.setDisable(!browsable || shown == 1);
        next.setDisable(!browsable || shown == count);
    }
}
