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
import javafx.scene.control.Button;
import javafx.scene.layout.GridPane;
import javafx.scene.text.Text;
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
        if (root instanceof Parent) {
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
}
