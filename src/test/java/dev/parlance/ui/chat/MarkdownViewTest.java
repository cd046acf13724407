package dev.parlance.ui.chat;

import static org.assertj.core.api.Assertions.assertThat;

import atlantafx.base.theme.PrimerDark;
import atlantafx.base.theme.PrimerLight;
import atlantafx.base.theme.Theme;
import dev.parlance.ui.Headless;
import dev.parlance.ui.ViewLoader;
import dev.parlance.ui.chat.markdown.FormulaView;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javafx.scene.Cursor;
import javafx.scene.control.Tooltip;
import javafx.scene.image.PixelReader;
import javafx.scene.image.WritableImage;
import javafx.scene.input.MouseButton;
import javafx.scene.input.MouseEvent;
import javafx.scene.layout.StackPane;
import javafx.scene.paint.Color;
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
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
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
        assertThat(texts(view, "md-code-text").stream().map(Text::getText).collect(Collectors.joining()))
                .isEqualTo("int x;");
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

    @ParameterizedTest
    @ValueSource(strings = {"```\ncode\n```\n", "$$\n\\sum_{i=1}^n i\n$$\n"})
    void aVerticalScrollOverCodeOrAFormulaGoesOnToTheTranscript(String markdown) throws Exception {
        MarkdownView view = render(markdown);
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

    static Stream<Theme> themes() {
        return Stream.of(new PrimerLight(), new PrimerDark());
    }

    /** Lays the view out in a scene styled as the app's transcript is: the theme, chat.css. */
    private static MarkdownView shown(MarkdownView view, Theme theme, double width) throws Exception {
        return onFx(() -> {
            var root = new VBox(view);
            var scene = new Scene(root, width, 600);
            scene.getStylesheets().addAll(theme.getUserAgentStylesheet(),
                    MarkdownView.class.getResource("chat.css").toExternalForm());
            root.applyCss();
            root.layout();
            return view;
        });
    }

    /** A theme's colour, as a label of the same scene resolves it: the reference the views are held to. */
    private static Color themeColour(Theme theme, String token) throws Exception {
        return onFx(() -> {
            var label = new Label("x");
            label.setStyle("-fx-text-fill: " + token + ";");
            var scene = new Scene(new VBox(label));
            scene.getStylesheets().add(theme.getUserAgentStylesheet());
            label.applyCss();
            return (Color) label.getTextFill();
        });
    }

    private static <T extends Node> List<T> find(Node root, Class<T> type) {
        return all(root).stream().filter(type::isInstance).map(type::cast).toList();
    }

    /** The colour of the image's most opaque pixel: the ink of the formula, not its anti-aliased edge. */
    private static Color ink(WritableImage image) {
        PixelReader pixels = image.getPixelReader();
        Color ink = Color.TRANSPARENT;
        for (int y = 0; y < (int) image.getHeight(); y++) {
            for (int x = 0; x < (int) image.getWidth(); x++) {
                Color c = pixels.getColor(x, y);
                if (c.getOpacity() > ink.getOpacity()) {
                    ink = c;
                }
            }
        }
        return ink;
    }

    private static double distance(Color a, Color b) {
        return Math.max(Math.abs(a.getRed() - b.getRed()),
                Math.max(Math.abs(a.getGreen() - b.getGreen()), Math.abs(a.getBlue() - b.getBlue())));
    }

    /** WCAG's contrast ratio of two colours. */
    private static double contrast(Color a, Color b) {
        double la = luminance(a);
        double lb = luminance(b);
        return (Math.max(la, lb) + 0.05) / (Math.min(la, lb) + 0.05);
    }

    private static double luminance(Color c) {
        return 0.2126 * linear(c.getRed()) + 0.7152 * linear(c.getGreen()) + 0.0722 * linear(c.getBlue());
    }

    private static double linear(double channel) {
        return channel <= 0.04045 ? channel / 12.92 : Math.pow((channel + 0.055) / 1.055, 2.4);
    }

    @ParameterizedTest
    @MethodSource("themes")
    void anInlineFormulaIsAnImageInTheThemesTextColour(Theme theme) throws Exception {
        MarkdownView view = shown(render("Pythagoras: $a^2 + b^2 = c^2$, always."), theme, 500);
        List<FormulaView> formulas = find(view, FormulaView.class);
        assertThat(formulas).hasSize(1);
        FormulaView formula = formulas.getFirst();
        assertThat(formula.getParent()).isInstanceOf(TextFlow.class);
        assertThat(formula.getWidth()).isGreaterThan(20);
        assertThat(formula.getHeight()).isGreaterThan(5);
        assertThat(formula.getImage().getWidth()).isPositive();
        assertThat(distance(ink(formula.getImage()), themeColour(theme, "-color-fg-default"))).isLessThan(0.02);
        assertThat(texts(view, "md-text")).extracting(Text::getText).containsExactly("Pythagoras: ", ", always.");
    }

    @Test
    void aFormulaSitsOnTheBaselineOfItsLineWithItsSubscriptBelow() throws Exception {
        MarkdownView view = shown(render("Let $x_1$ be"), new PrimerLight(), 500);
        FormulaView formula = find(view, FormulaView.class).getFirst();
        Text before = texts(view, "md-text").getFirst();
        double formulaBaseline = formula.getBoundsInParent().getMinY() + formula.getBaselineOffset();
        double textBaseline = before.getBoundsInParent().getMinY() + before.getBaselineOffset();
        assertThat(formulaBaseline).isCloseTo(textBaseline, org.assertj.core.data.Offset.offset(1.0));
        assertThat(formula.getHeight()).as("the subscript goes below the baseline")
                .isGreaterThan(formula.getBaselineOffset() + 1);
    }

    @Test
    void aFormulaIsAsLargeAsTheTextAroundIt() throws Exception {
        MarkdownView small = shown(render("$x$"), new PrimerLight(), 500);
        MarkdownView large = render("$x$");
        onFx(() -> {
            large.setStyle("-fx-font-size: 26px;");
            return null;
        });
        shown(large, new PrimerLight(), 500);
        assertThat(find(large, FormulaView.class).getFirst().getHeight())
                .isGreaterThan(1.6 * find(small, FormulaView.class).getFirst().getHeight());
    }

    @ParameterizedTest
    @MethodSource("themes")
    void aDisplayFormulaIsCentredOnItsOwn(Theme theme) throws Exception {
        MarkdownView view = shown(render("Before:\n\n$$\n\\int_0^1 x\\,dx = \\frac{1}{2}\n$$\n\nAfter."), theme, 400);
        assertThat(view.getChildren()).hasSize(3);
        FormulaView formula = find(view.getChildren().get(1), FormulaView.class).getFirst();
        assertThat(formula.isDisplay()).isTrue();
        assertThat(formula.getParent()).as("a line of its own, to select").isInstanceOf(TextFlow.class);
        assertThat(formula.getParent().getParent()).isInstanceOf(StackPane.class);
        assertThat(formula.getWidth()).as("as wide as the formula, not the answer").isLessThan(view.getWidth() / 2);
        double centre = formula.localToScene(formula.getLayoutBounds()).getCenterX();
        double viewCentre = view.localToScene(view.getLayoutBounds()).getCenterX();
        assertThat(centre).isCloseTo(viewCentre, org.assertj.core.data.Offset.offset(2.0));
        assertThat(distance(ink(formula.getImage()), themeColour(theme, "-color-fg-default"))).isLessThan(0.02);
    }

    @Test
    void doubleDollarsInsideAParagraphAreSetApart() throws Exception {
        for (String markdown : List.of("We get $$x^2 \\ge 0$$ for every x.", "We get\n$$x^2 \\ge 0$$\nfor every x.")) {
            MarkdownView view = shown(render(markdown), new PrimerLight(), 400);
            FormulaView formula = find(view, FormulaView.class).getFirst();
            assertThat(formula.isDisplay()).isTrue();
            assertThat(formula.getParent().getParent()).isInstanceOf(StackPane.class);
            assertThat(find(view, TextFlow.class)).as("text, formula, text").hasSize(3);
            assertThat(texts(view, "md-text")).extracting(t -> t.getText().strip())
                    .containsExactly("We get", "for every x.");
        }
    }

    @Test
    void dollarAmountsCodeSpansAndCodeBlocksShowNoFormula() throws Exception {
        MarkdownView view = render("It costs $5 and $10, see `$x$`.\n\n```\n$$ y $$\n```\n");
        assertThat(find(view, FormulaView.class)).isEmpty();
        assertThat(texts(view, "md-text").getFirst().getText()).isEqualTo("It costs $5 and $10, see ");
        assertThat(texts(view, "md-code")).extracting(Text::getText).containsExactly("$x$");
        assertThat(texts(view, "md-code-text")).extracting(Text::getText).containsExactly("$$ y $$");
    }

    @Test
    void aFormulaThatDoesNotParseShowsItsSourceWithTheErrorAsTooltip() throws Exception {
        MarkdownView view = shown(render("Broken: $\\left( x$ and $\\nosuchcommand{x}$."), new PrimerLight(), 500);
        assertThat(find(view, FormulaView.class)).isEmpty();
        List<Text> errors = texts(view, "md-math-error");
        assertThat(errors).extracting(Text::getText).containsExactly("\\left( x", "\\nosuchcommand{x}");
        for (Text error : errors) {
            assertThat(error.getFont().getFamily().toLowerCase(Locale.ROOT)).contains("mono");
            Tooltip tip = (Tooltip) error.getProperties().values().stream().filter(Tooltip.class::isInstance)
                    .findFirst().orElseThrow();
            assertThat(tip.getText()).isNotBlank();
        }
        assertThat(errors.get(1).getProperties().values()).anyMatch(
                v -> v instanceof Tooltip tip && tip.getText().contains("nosuchcommand"));
    }

    @Test
    void aDisplayFormulaStillStreamingIsTextUntilItCloses() throws Exception {
        MarkdownView view = render("Intro.\n\n$$\n\\frac{a}{b}");
        Node intro = view.getChildren().getFirst();
        assertThat(find(view, FormulaView.class)).isEmpty();
        assertThat(texts(view, "md-text").stream().map(Text::getText).collect(Collectors.joining("|")))
                .isEqualTo("Intro.|$$ \\frac{a}{b}");
        onFx(() -> {
            view.setMarkdown("Intro.\n\n$$\n\\frac{a}{b} + c");
            return null;
        });
        assertThat(find(view, FormulaView.class)).isEmpty();
        onFx(() -> {
            view.setMarkdown("Intro.\n\n$$\n\\frac{a}{b} + c\n$$");
            return null;
        });
        assertThat(find(view, FormulaView.class)).extracting(FormulaView::getLatex).containsExactly("\\frac{a}{b} + c");
        assertThat(view.getChildren().getFirst()).isSameAs(intro);
    }

    @ParameterizedTest
    @MethodSource("themes")
    void javaCodeShowsRunsInTheThemesColours(Theme theme) throws Exception {
        MarkdownView view = shown(render("```java\npublic class A {\n    String s = \"hi\"; // note\n}\n```\n"),
                theme, 500);
        Text keyword = texts(view, "md-syntax-keyword").getFirst();
        Text string = texts(view, "md-syntax-string").getFirst();
        Text comment = texts(view, "md-syntax-comment").getFirst();
        assertThat(keyword.getText()).startsWith("public");
        assertThat(string.getText()).startsWith("\"hi\"");
        assertThat(comment.getText()).startsWith("// note");
        assertThat(distance((Color) keyword.getFill(), themeColour(theme, "-color-danger-fg"))).isLessThan(0.01);
        assertThat(distance((Color) string.getFill(), themeColour(theme, "-color-success-fg"))).isLessThan(0.01);
        assertThat(distance((Color) comment.getFill(), themeColour(theme, "-color-fg-muted"))).isLessThan(0.01);
        Color background = themeColour(theme, "-color-bg-subtle");
        for (Text run : texts(view, "md-code-text")) {
            assertThat(contrast((Color) run.getFill(), background)).as("%s on the code's background", run.getText())
                    .isGreaterThan(4.5);
        }
        assertThat(find(view, Label.class)).extracting(Label::getText).contains("java");
    }

    @Test
    void codeInAnUnknownLanguageIsPlain() throws Exception {
        MarkdownView view = render("```brainfuck\n++[>+<-]\n```\n");
        assertThat(texts(view, "md-code-text")).extracting(Text::getText).containsExactly("++[>+<-]");
        assertThat(texts(view, "md-code-text").getFirst().getStyleClass()).noneMatch(c -> c.startsWith("md-syntax"));
    }

    private static void click(Node node, boolean stillSincePress) {
        Event.fireEvent(node, new MouseEvent(MouseEvent.MOUSE_CLICKED, 0, 0, 0, 0, MouseButton.PRIMARY, 1,
                false, false, false, false, false, false, false, false, false, stillSincePress, null));
    }

    @Test
    void aClickOnALinkOpensItsAddressAndTheEndOfADragDoesNot() throws Exception {
        MarkdownView view = render("See https://openjfx.io/ and [the docs](https://example.org/docs).");
        List<String> opened = new ArrayList<>();
        view.setOnOpenLink(opened::add);
        List<Text> links = texts(view, "md-link");
        assertThat(links).extracting(Text::getText).containsExactly("https://openjfx.io/", "the docs");
        assertThat(links).extracting(Node::getCursor).containsOnly(Cursor.HAND);
        onFx(() -> {
            click(links.get(1), false);
            click(links.get(0), true);
            click(links.get(1), true);
            return null;
        });
        assertThat(opened).containsExactly("https://openjfx.io/", "https://example.org/docs");
    }

    @Test
    void linksToAnythingButTheWebOrMailDoNotOpen() throws Exception {
        MarkdownView view = render("[passwords](file:///etc/passwd) and [run](javascript:alert(1))");
        List<String> opened = new ArrayList<>();
        view.setOnOpenLink(opened::add);
        onFx(() -> {
            texts(view, "md-link").forEach(link -> click(link, true));
            return null;
        });
        assertThat(opened).isEmpty();
        assertThat(texts(view, "md-link")).extracting(Node::getCursor).containsOnlyNulls();
    }

    private static List<String> shape(Node root) {
        return all(root).stream().map(n -> n instanceof Text t ? "text:" + t.getText()
                : n instanceof FormulaView f ? "formula:" + f.getLatex() : n.getClass().getSimpleName()).toList();
    }

    @Test
    void everyPrefixOfAStreamingAnswerRendersWithoutAnErrorAndTheLastAsAFreshView() throws Exception {
        String answer = "For $a > 0$:\n\n$$\n\\int_{-\\infty}^{\\infty} e^{-a x^2}\\,dx = \\sqrt{\\frac{\\pi}{a}}\n$$\n\n"
                + "so \\(a = 1\\) gives $\\sqrt{\\pi}$, and $$x^2 \\ge 0$$ too. It costs $5 and $10.\n\n"
                + "```python\ndef f(x):\n    return x * x  # square\n```\n\n| a | $b$ |\n|:-|-:|\n| 1 | $c_1$ |\n";
        MarkdownView streamed = render("");
        onFx(() -> {
            for (int end = 1; end <= answer.length(); end++) {
                streamed.setMarkdown(answer.substring(0, end));
                assertThat(texts(streamed, "md-math-error")).as("after %d characters", end).isEmpty();
            }
            return null;
        });
        MarkdownView fresh = render(answer);
        assertThat(shape(streamed)).isEqualTo(shape(fresh));
        assertThat(find(streamed, FormulaView.class)).extracting(FormulaView::getLatex).containsExactly(
                "a > 0", "\\int_{-\\infty}^{\\infty} e^{-a x^2}\\,dx = \\sqrt{\\frac{\\pi}{a}}", "a = 1",
                "\\sqrt{\\pi}", "x^2 \\ge 0", "b", "c_1");
    }
}
