package dev.parlance.ui.chat;

import static org.assertj.core.api.Assertions.assertThat;

import dev.parlance.ui.Headless;
import dev.parlance.ui.ViewLoader;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import javafx.scene.Node;
import javafx.scene.Parent;
import javafx.event.Event;
import javafx.geometry.HPos;
import javafx.scene.Scene;
import javafx.scene.control.Button;
import javafx.scene.control.Label;
import javafx.scene.control.ScrollPane;
import javafx.scene.input.ScrollEvent;
import javafx.scene.layout.GridPane;
import javafx.scene.layout.VBox;
import javafx.scene.text.Text;
import javafx.scene.text.TextAlignment;
import javafx.scene.text.TextFlow;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.testfx.api.FxToolkit;
import org.testfx.util.WaitForAsyncUtils;

@Tag("ui")
class MarkdownViewTest {
    static {
        Headless.configure();
    }

    @BeforeAll
    static void startToolkit() throws Exception {
        FxToolkit.registerPrimaryStage();
    }

    private static <T> T onFx(Callable<T> work) throws Exception {
        return WaitForAsyncUtils.asyncFx(work).get();
    }

    private static MarkdownView render(String markdown) throws Exception {
        return onFx(() -> {
            var view = new MarkdownView(ViewLoader.bundle(Locale.ENGLISH));
            view.setMarkdown(markdown);
            return view;
        });
    }

    private static List<Node> all(Node root) {
        List<Node> nodes = new ArrayList<>();
        nodes.add(root);
        if (root instanceof ScrollPane scroll) {
            nodes.addAll(all(scroll.getContent()));   // its skin, which adds the content as a child, comes later
        } else if (root instanceof Parent) {
            for (Node child : ((Parent) root).getChildrenUnmodifiable()) {
                nodes.addAll(all(child));
            }
        }
        return nodes;
    }

    private static List<Text> texts(Node root, String styleClass) {
        List<Text> found = new ArrayList<>();
        for (Node n : all(root)) {
            if (n instanceof Text && n.getStyleClass().contains(styleClass)) {
                found.add((Text) n);
            }
        }
        return found;
    }

    @Test
    void boldItalicAndInlineCodeBecomeStyledRuns() throws Exception {
        MarkdownView view = render("Some **bold**, *italic* and `code`.");
        assertThat(texts(view, "md-strong")).extracting(Text::getText).containsExactly("bold");
        assertThat(texts(view, "md-em")).extracting(Text::getText).containsExactly("italic");
        assertThat(texts(view, "md-code")).extracting(Text::getText).containsExactly("code");
    }

    @Test
    void runsOfTheSameStyleAreJoined() throws Exception {
        MarkdownView view = render("one\ntwo\nthree");
        assertThat(texts(view, "md-text")).extracting(Text::getText).containsExactly("one two three");
    }

    @Test
    void headingsListsQuotesCodeAndTablesGetTheirOwnNodes() throws Exception {
        MarkdownView view = render("# Title\n\n- a\n- b\n\n> quoted\n\n```java\nint x;\n```\n\n| h |\n|---|\n| c |\n");
        List<Node> nodes = all(view);
        assertThat(view.getChildren()).hasSize(5);
        assertThat(view.getChildren().get(0).getStyleClass()).contains("md-h1");
        assertThat(view.getChildren().get(1).getStyleClass()).contains("md-list");
        assertThat(view.getChildren().get(2).getStyleClass()).contains("md-quote");
        assertThat(view.getChildren().get(3).getStyleClass()).contains("md-code-block");
        assertThat(view.getChildren().get(4)).isInstanceOf(GridPane.class);
        assertThat(nodes).anyMatch(n -> n instanceof Button && ((Button) n).getText().equals("Copy code"));
        assertThat(texts(view, "md-code-text")).extracting(Text::getText).containsExactly("int x;");
    }

    @Test
    void aGrowingAnswerKeepsTheNodesOfItsFinishedBlocks() throws Exception {
        MarkdownView view = render("First paragraph.\n\nSecond");
        Node first = view.getChildren().get(0);
        Node second = view.getChildren().get(1);
        onFx(() -> {
            view.setMarkdown("First paragraph.\n\nSecond paragraph, longer.");
            return null;
        });
        assertThat(view.getChildren().get(0)).isSameAs(first);
        assertThat(view.getChildren().get(1)).isNotSameAs(second).isInstanceOf(TextFlow.class);
    }

    @Test
    void blocksThatDisappearAreRemoved() throws Exception {
        MarkdownView view = render("a\n\nb\n\nc");
        onFx(() -> {
            view.setMarkdown("a");
            return null;
        });
        assertThat(view.getChildren()).hasSize(1);
    }

    @Test
    void strikethroughIsStruckThrough() throws Exception {
        MarkdownView view = render("Not ~~this~~ but that.");
        assertThat(texts(view, "md-strike")).extracting(Text::getText).containsExactly("this");
        assertThat(texts(view, "md-strike").getFirst().isStrikethrough()).isTrue();
    }

    @Test
    void taskListItemsShowTheirCheckboxesAndNotTheBrackets() throws Exception {
        MarkdownView view = render("- [x] buy milk\n- [ ] write the report\n");
        List<Label> markers = all(view).stream().filter(n -> n.getStyleClass().contains("md-task"))
                .map(Label.class::cast).toList();
        assertThat(markers).extracting(Label::getText).containsExactly("☑", "☐");
        assertThat(markers).extracting(Label::getAccessibleText).containsExactly("Done", "To do");
        assertThat(texts(view, "md-text")).extracting(Text::getText).containsExactly("buy milk", "write the report");
    }

    @Test
    void tableColumnsAreAlignedAsTheDelimiterRowSays() throws Exception {
        MarkdownView view = render("| left | centre | right | none |\n|:--|:-:|--:|---|\n| a | b | c | d |\n");
        List<TextFlow> cells = all(view).stream().filter(n -> n.getStyleClass().contains("md-table-cell"))
                .map(TextFlow.class::cast).toList();
        assertThat(cells).hasSize(8);
        assertThat(cells.subList(4, 8)).extracting(TextFlow::getTextAlignment).containsExactly(
                TextAlignment.LEFT, TextAlignment.CENTER, TextAlignment.RIGHT, TextAlignment.LEFT);
        assertThat(cells.subList(4, 8)).extracting(GridPane::getHalignment)
                .containsExactly(HPos.LEFT, HPos.CENTER, HPos.RIGHT, null);
    }

    @Test
    void bareAddressesBecomeLinks() throws Exception {
        MarkdownView view = render("See https://openjfx.io/ or write to someone@example.org today.");
        assertThat(texts(view, "md-link")).extracting(Text::getText)
                .containsExactly("https://openjfx.io/", "someone@example.org");
    }

    @Test
    void longCodeLinesScrollSidewaysInsteadOfWrapping() throws Exception {
        String line = "int answer = compute(first, second, third, fourth, fifth, sixth, seventh, eighth, ninth);";
        MarkdownView view = render("```java\n" + line + "\nreturn answer;\n```\n");
        ScrollPane scroll = onFx(() -> {
            view.setPrefWidth(240);
            view.setMaxWidth(240);
            new Scene(view, 240, 400);
            view.applyCss();
            view.layout();
            return (ScrollPane) all(view).stream().filter(n -> n instanceof ScrollPane).findFirst().orElseThrow();
        });
        Text code = texts(view, "md-code-text").getFirst();
        TextFlow body = (TextFlow) scroll.getContent();
        double lineHeight = code.getFont().getSize() * 1.5;
        assertThat(body.getHeight()).as("two lines, not wrapped").isLessThan(3 * lineHeight);
        assertThat(body.getWidth()).isGreaterThan(scroll.getViewportBounds().getWidth());
        assertThat(scroll.getHbarPolicy()).isEqualTo(ScrollPane.ScrollBarPolicy.AS_NEEDED);
    }

    @Test
    void aVerticalScrollOverCodeGoesOnToTheTranscript() throws Exception {
        MarkdownView view = render("```\ncode\n```\n");
        List<ScrollEvent> reached = new ArrayList<>();
        onFx(() -> {
            var transcript = new VBox(view);
            new Scene(transcript, 300, 200);
            transcript.addEventHandler(ScrollEvent.SCROLL, reached::add);
            view.applyCss();
            view.layout();
            ScrollPane scroll = (ScrollPane) all(view).stream().filter(n -> n instanceof ScrollPane).findFirst()
                    .orElseThrow();
            Event.fireEvent(scroll, new ScrollEvent(ScrollEvent.SCROLL, 0, 0, 0, 0, false, false, false, false,
                    false, false, 0, -40, 0, -40, ScrollEvent.HorizontalTextScrollUnits.NONE, 0,
                    ScrollEvent.VerticalTextScrollUnits.NONE, 0, 0, null));
            return null;
        });
        assertThat(reached).hasSize(1);
        assertThat(reached.getFirst().getDeltaY()).isEqualTo(-40);
    }
}
