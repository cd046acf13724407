package dev.parlance.ui.chat;

import static org.assertj.core.api.Assertions.assertThat;

import dev.parlance.ui.Headless;
import dev.parlance.ui.ViewLoader;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicReference;
import javafx.scene.Scene;
import javafx.scene.layout.VBox;
import javafx.stage.Stage;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.testfx.api.FxRobot;
import org.testfx.framework.junit5.ApplicationExtension;
import org.testfx.framework.junit5.Start;

/** Selecting and copying text around formulas, which a text flow counts as one character each. */
@Tag("ui")
@ExtendWith(ApplicationExtension.class)
class FormulaSelectionUiTest {
    static {
        Headless.configure();
    }

    private TextSelection selection;

    @Start
    void start(Stage stage) {
        var view = new MarkdownView(ViewLoader.bundle(Locale.ENGLISH));
        view.setMarkdown("Let $x$ be one and $y = x^2$ its square.\n\n$$\\int_0^1 y\\,dx$$\n\nThe end.");
        var card = new VBox(view);
        selection = new TextSelection(card, s -> { });
        stage.setScene(new Scene(card, 700, 300));
        stage.show();
    }

    @Test
    void selectingAllCopiesEachFormulaAsItsSourceInPlace(FxRobot robot) {
        assertThat(robot.lookup(".md-math").queryAll()).as("formulas drawn").hasSize(3);
        robot.interact(selection::selectAll);
        assertThat(selection.selectedText())
                .isEqualTo("Let $x$ be one and $y = x^2$ its square.\n$$\\int_0^1 y\\,dx$$\nThe end.");
    }

    @Test
    void aWordAfterAFormulaIsFoundWhereItIsShown(FxRobot robot) {
        AtomicReference<String> selected = new AtomicReference<>();
        robot.interact(() -> {
            selection.selectFirst("be one");
            selected.set(selection.selectedText());
        });
        assertThat(selected.get()).isEqualTo("be one");
    }
}
