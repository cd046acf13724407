package dev.parlance.ui;

import javafx.scene.Node;
import javafx.scene.control.ScrollPane;
import org.testfx.api.FxRobot;
import org.testfx.api.FxRobotInterface;

/** The settings panel of a shown window, for window tests. */
public final class SettingsPanel {
    private SettingsPanel() {}

    /** Scrolls the settings panel until the node {@code query} finds is in view, then clicks it. */
    public static FxRobotInterface clickOn(FxRobot robot, String query) {
        ScrollPane panel = robot.lookup(".settings-view").query();
        Node node = robot.lookup(query).query();
        robot.interact(() -> {
            Node content = panel.getContent();
            double y = content.sceneToLocal(node.localToScene(0, 0)).getY();
            double extra = content.getBoundsInLocal().getHeight() - panel.getViewportBounds().getHeight();
            panel.setVvalue(extra <= 0 ? 0 : Math.min(1, y / extra));
        });
        return robot.clickOn(node);
    }
}
