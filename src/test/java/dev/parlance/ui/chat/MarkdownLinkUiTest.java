package dev.parlance.ui.chat;

import static org.assertj.core.api.Assertions.assertThat;

import dev.parlance.ui.Headless;
import dev.parlance.ui.ViewLoader;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import javafx.geometry.Bounds;
import javafx.scene.Scene;
import javafx.scene.input.MouseButton;
import javafx.scene.layout.VBox;
import javafx.scene.text.Text;
import javafx.stage.Stage;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.testfx.api.FxRobot;
import org.testfx.framework.junit5.ApplicationExtension;
import org.testfx.framework.junit5.Start;
import org.testfx.util.WaitForAsyncUtils;

/** Links in an answer under the mouse, with text selection on, as in a message card. */
@Tag("ui")
@ExtendWith(ApplicationExtension.class)
class MarkdownLinkUiTest {
    static {
        Headless.configure();
    }

    private final List<String> opened = new CopyOnWriteArrayList<>();
    private TextSelection selection;

    @Start
    void start(Stage stage) {
        var view = new MarkdownView(ViewLoader.bundle(Locale.ENGLISH));
        view.setOnOpenLink(opened::add);
        view.setMarkdown("Read the guide at https://openjfx.io/openjfx-docs/ before you start, please.");
        var card = new VBox(view);
        selection = new TextSelection(card, s -> { });
        stage.setScene(new Scene(card, 700, 200));
        stage.show();
    }

    private static Text link(FxRobot robot) {
        return robot.lookup(".md-link").queryAs(Text.class);
    }

    @Test
    void aClickOnALinkOpensIt(FxRobot robot) {
        robot.clickOn(link(robot), MouseButton.PRIMARY);
        WaitForAsyncUtils.waitForFxEvents();
        assertThat(opened).containsExactly("https://openjfx.io/openjfx-docs/");
    }

    @Test
    void aDragThatEndsOnALinkSelectsTextAndOpensNothing(FxRobot robot) {
        Bounds bounds = link(robot).localToScreen(link(robot).getBoundsInLocal());
        double y = bounds.getCenterY();
        robot.moveTo(new javafx.geometry.Point2D(bounds.getMinX() - 60, y)).press(MouseButton.PRIMARY)
                .moveTo(new javafx.geometry.Point2D(bounds.getMinX() + 10, y))
                .moveTo(new javafx.geometry.Point2D(bounds.getCenterX(), y)).release(MouseButton.PRIMARY);
        WaitForAsyncUtils.waitForFxEvents();
        assertThat(opened).isEmpty();
        assertThat(selection.selectedText()).contains("at https://openjfx");
    }
}
