package dev.parlance.ui.chat;

import dev.parlance.ui.chat.markdown.CodeHighlighter;
import dev.parlance.ui.chat.markdown.FormulaView;
import dev.parlance.ui.chat.markdown.InlineMath;
import dev.parlance.ui.chat.markdown.LinkOpener;
import dev.parlance.ui.chat.markdown.MathBlock;
import dev.parlance.ui.chat.markdown.MathExtension;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.ResourceBundle;
import java.util.function.Consumer;
import javafx.css.PseudoClass;
import javafx.geometry.HPos;
import javafx.geometry.Pos;
import javafx.scene.control.Button;
import javafx.scene.control.Label;
import javafx.scene.control.ScrollPane;
import javafx.scene.Cursor;
import javafx.scene.control.Separator;
import javafx.scene.control.Tooltip;
import javafx.scene.input.Clipboard;
import javafx.scene.input.ClipboardContent;
import javafx.scene.input.MouseButton;
import javafx.scene.input.MouseEvent;
import javafx.scene.layout.GridPane;
import javafx.scene.layout.HBox;
import javafx.scene.layout.Priority;
import javafx.scene.layout.Region;
import javafx.scene.layout.StackPane;
import javafx.scene.layout.VBox;
import javafx.scene.text.TextAlignment;
import javafx.scene.text.TextFlow;
import org.commonmark.Extension;
import org.commonmark.ext.autolink.AutolinkExtension;
import org.commonmark.ext.gfm.strikethrough.Strikethrough;
import org.commonmark.ext.gfm.strikethrough.StrikethroughExtension;
import org.commonmark.ext.gfm.tables.TableBlock;
import org.commonmark.ext.gfm.tables.TableCell;
import org.commonmark.ext.gfm.tables.TableRow;
import org.commonmark.ext.gfm.tables.TablesExtension;
import org.commonmark.ext.task.list.items.TaskListItemMarker;
import org.commonmark.ext.task.list.items.TaskListItemsExtension;
import org.commonmark.node.BlockQuote;
import org.commonmark.node.BulletList;
import org.commonmark.node.Code;
import org.commonmark.node.Emphasis;
import org.commonmark.node.FencedCodeBlock;
import org.commonmark.node.HardLineBreak;
import org.commonmark.node.Heading;
import org.commonmark.node.HtmlBlock;
import org.commonmark.node.HtmlInline;
import org.commonmark.node.IndentedCodeBlock;
import org.commonmark.node.Link;
import org.commonmark.node.ListItem;
import org.commonmark.node.Node;
import org.commonmark.node.OrderedList;
import org.commonmark.node.Paragraph;
import org.commonmark.node.SoftLineBreak;
import org.commonmark.node.SourceSpan;
import org.commonmark.node.StrongEmphasis;
import org.commonmark.node.Text;
import org.commonmark.node.ThematicBreak;
import org.commonmark.parser.IncludeSourceSpans;
import org.commonmark.parser.Parser;

/**
 * Markdown as JavaFX nodes, built from commonmark-java's tree with GitHub's extensions: tables
 * (with their column alignment), strikethrough, task lists and autolinks (which open in the
 * browser), and LaTeX math ({@link MathExtension}, drawn by {@link FormulaView}). Code blocks keep
 * their lines, scroll sideways, and are coloured by {@link CodeHighlighter} when their language is
 * known. While an answer streams only its
 * last blocks change, so each top-level block's node is kept and reused as long as the block's
 * source text is the same: a growing answer costs one block's rendering per update, not the
 * whole answer's.
 */
public final class MarkdownView extends VBox {
    private static final List<Extension> GFM = List.of(TablesExtension.create(), StrikethroughExtension.create(),
            TaskListItemsExtension.create(), AutolinkExtension.create());
    private static final Parser PARSER = Parser.builder()
            .extensions(GFM)
            .extensions(List.of(MathExtension.create()))
            .includeSourceSpans(IncludeSourceSpans.BLOCKS)
            .build();
    /** Reads a formula block whose closing {@code $$} has not come yet as the Markdown it is. */
    private static final Parser OPEN_FORMULA_PARSER = Parser.builder()
            .extensions(GFM)
            .extensions(List.of(MathExtension.inlineOnly()))
            .build();

    private static final PseudoClass CHECKED = PseudoClass.getPseudoClass("checked");

    private final ResourceBundle bundle;
    private final List<String> sources = new ArrayList<>();
    private String markdown = "";
    private Consumer<String> onOpenLink = LinkOpener::open;

    /** @param bundle gives the code blocks' copy button its text */
    public MarkdownView(ResourceBundle bundle) {
        this.bundle = bundle;
        getStyleClass().add("markdown");
        getStylesheets().add(FormulaView.class.getResource("markdown.css").toExternalForm());
        setSpacing(8);
        FormulaView.prepare();
    }

    /**
     * Sets what a click on a web or mail link does with its address; by default the desktop opens
     * it ({@link LinkOpener}). Links to anything else do not react.
     */
    public void setOnOpenLink(Consumer<String> onOpenLink) {
        this.onOpenLink = Objects.requireNonNull(onOpenLink);
    }

    /** Shows this Markdown, rebuilding only the blocks whose source changed. */
    public void setMarkdown(String text) {
        if (text.equals(markdown)) {
            return;
        }
        markdown = text;
        List<Node> blocks = new ArrayList<>();
        for (Node b = PARSER.parse(text).getFirstChild(); b != null; b = b.getNext()) {
            blocks.add(b);
        }
        int i = 0;
        for (; i < blocks.size(); i++) {
            String source = sourceOf(blocks.get(i), text);
            if (i < sources.size() && sources.get(i).equals(source)) {
                continue;
            }
            javafx.scene.Node node = block(blocks.get(i));
            if (i < sources.size()) {
                sources.set(i, source);
                getChildren().set(i, node);
            } else {
                sources.add(source);
                getChildren().add(node);
            }
        }
        if (i < sources.size()) {
            sources.subList(i, sources.size()).clear();
            getChildren().remove(i, getChildren().size());
        }
    }

    private static String sourceOf(Node block, String text) {
        List<SourceSpan> spans = block.getSourceSpans();
        if (spans.isEmpty()) {
            return block.getClass().getName() + System.identityHashCode(block);
        }
        SourceSpan first = spans.get(0);
        SourceSpan last = spans.get(spans.size() - 1);
        return text.substring(first.getInputIndex(), last.getInputIndex() + last.getLength());
    }

    private javafx.scene.Node block(Node b) {
        if (b instanceof Heading) {
            TextFlow flow = flow(b);
            flow.getStyleClass().add("md-h" + ((Heading) b).getLevel());
            return flow;
        }
        if (b instanceof BulletList || b instanceof OrderedList) {
            return list(b);
        }
        if (b instanceof BlockQuote) {
            VBox quote = children(b);
            quote.getStyleClass().add("md-quote");
            return quote;
        }
        if (b instanceof FencedCodeBlock) {
            var code = (FencedCodeBlock) b;
            return codeBlock(code.getInfo(), code.getLiteral());
        }
        if (b instanceof IndentedCodeBlock) {
            return codeBlock("", ((IndentedCodeBlock) b).getLiteral());
        }
        if (b instanceof ThematicBreak) {
            return new Separator();
        }
        if (b instanceof HtmlBlock) {
            return new TextFlow(text(((HtmlBlock) b).getLiteral(), List.of()));
        }
        if (b instanceof TableBlock) {
            return table(b);
        }
        if (b instanceof MathBlock math) {
            return math.isClosed() ? displayFormula(math.getLatex()) : openFormula(math);
        }
        if (b instanceof Paragraph) {
            return hasDisplayFormula(b) ? paragraphWithFormulas(b) : flow(b);
        }
        return children(b);
    }

    /**
     * A display formula, centred; one wider than the answer scrolls sideways. It is a line of text
     * of its own, one character long, so that selecting the answer's text takes it in.
     */
    private static javafx.scene.Node displayFormula(String latex) {
        var line = new TextFlow(FormulaView.of(latex, true));
        line.setTextAlignment(TextAlignment.CENTER);
        line.setMinWidth(Region.USE_PREF_SIZE);
        var centre = new StackPane(line);
        centre.getStyleClass().add("md-math-block");
        var scroll = new ScrollPane(centre);
        scroll.getStyleClass().add("md-math-scroll");
        scroll.setFitToWidth(true);
        scroll.setHbarPolicy(ScrollPane.ScrollBarPolicy.AS_NEEDED);
        scroll.setVbarPolicy(ScrollPane.ScrollBarPolicy.NEVER);
        return scroll;
    }

    /**
     * A formula block still streaming, without its closing delimiter: its text as Markdown, so that
     * it does not jump between a broken formula and text with every token.
     */
    private javafx.scene.Node openFormula(MathBlock math) {
        var box = new VBox(8);
        for (Node b = OPEN_FORMULA_PARSER.parse(math.getSource()).getFirstChild(); b != null; b = b.getNext()) {
            box.getChildren().add(block(b));
        }
        return box;
    }

    private static boolean hasDisplayFormula(Node paragraph) {
        for (Node n = paragraph.getFirstChild(); n != null; n = n.getNext()) {
            if (n instanceof InlineMath math && math.isDisplay()) {
                return true;
            }
        }
        return false;
    }

    /** A paragraph with {@code $$…$$} inside its text: its text, with each such formula centred between. */
    private VBox paragraphWithFormulas(Node paragraph) {
        var box = new VBox(6);
        TextFlow flow = null;
        for (Node n = paragraph.getFirstChild(); n != null; n = n.getNext()) {
            if (n instanceof InlineMath math && math.isDisplay()) {
                box.getChildren().add(displayFormula(math.getLatex()));
                flow = null;
            } else if (flow != null || !(n instanceof SoftLineBreak || n instanceof HardLineBreak)) {
                if (flow == null) {
                    flow = new TextFlow();
                    flow.getStyleClass().add("md-paragraph");
                    box.getChildren().add(flow);
                }
                inline(n, List.of(), flow.getChildren());
            }
        }
        return box;
    }

    private VBox children(Node parent) {
        var box = new VBox(6);
        for (Node c = parent.getFirstChild(); c != null; c = c.getNext()) {
            if (!(c instanceof TaskListItemMarker)) {
                box.getChildren().add(block(c));
            }
        }
        return box;
    }

    private VBox list(Node listNode) {
        var box = new VBox(4);
        box.getStyleClass().add("md-list");
        int number = listNode instanceof OrderedList ? startOf((OrderedList) listNode) : 0;
        for (Node item = listNode.getFirstChild(); item != null; item = item.getNext()) {
            if (!(item instanceof ListItem)) {
                continue;
            }
            var marker = new Label(listNode instanceof OrderedList ? (number++) + "." : "•");
            marker.getStyleClass().add("md-marker");
            if (item.getFirstChild() instanceof TaskListItemMarker task) {
                marker.setText(task.isChecked() ? "☑" : "☐");
                marker.getStyleClass().add("md-task");
                marker.pseudoClassStateChanged(CHECKED, task.isChecked());
                marker.setAccessibleText(bundle.getString(task.isChecked() ? "markdown.done" : "markdown.todo"));
            }
            marker.setMinWidth(Region.USE_PREF_SIZE);
            VBox content = children(item);
            HBox.setHgrow(content, Priority.ALWAYS);
            var row = new HBox(6, marker, content);
            box.getChildren().add(row);
        }
        return box;
    }

    private static int startOf(OrderedList list) {
        Integer start = list.getMarkerStartNumber();
        return start == null ? 1 : start;
    }

    private javafx.scene.Node codeBlock(String info, String literal) {
        String code = literal.endsWith("\n") ? literal.substring(0, literal.length() - 1) : literal;
        var language = new Label(info == null ? "" : info.strip());
        language.getStyleClass().add("md-code-language");
        var spacer = new Region();
        HBox.setHgrow(spacer, Priority.ALWAYS);
        var copy = new Button(bundle.getString("message.copyCode"));
        copy.getStyleClass().addAll("flat", "small", "md-code-copy");
        copy.setAccessibleText(bundle.getString("message.copyCode"));
        copy.setOnAction(e -> copy(code));
        var header = new HBox(language, spacer, copy);
        header.setAlignment(Pos.CENTER_LEFT);
        var body = new TextFlow();
        body.getStyleClass().add("md-code-body");
        CodeHighlighter.language(info).ifPresentOrElse(
                style -> {
                    for (CodeHighlighter.Run run : CodeHighlighter.highlight(style, code)) {
                        body.getChildren().add(text(run.text(), List.of("md-code-text", run.kind().styleClass())));
                    }
                },
                () -> body.getChildren().add(text(code, List.of("md-code-text"))));
        var scroll = new ScrollPane(body);   // long lines scroll sideways rather than wrap
        scroll.getStyleClass().add("md-code-scroll");
        scroll.setHbarPolicy(ScrollPane.ScrollBarPolicy.AS_NEEDED);
        scroll.setVbarPolicy(ScrollPane.ScrollBarPolicy.NEVER);
        scroll.setFitToHeight(true);
        var box = new VBox(4, header, scroll);
        box.getStyleClass().add("md-code-block");
        return box;
    }

    private javafx.scene.Node table(Node tableNode) {
        var grid = new GridPane();
        grid.getStyleClass().add("md-table");
        grid.setMaxWidth(Region.USE_PREF_SIZE);   // its border hugs the columns rather than span the answer
        int row = 0;
        for (Node section = tableNode.getFirstChild(); section != null; section = section.getNext()) {
            for (Node r = section.getFirstChild(); r != null; r = r.getNext()) {
                if (!(r instanceof TableRow)) {
                    continue;
                }
                int col = 0;
                for (Node c = r.getFirstChild(); c != null; c = c.getNext()) {
                    TextFlow cell = flow(c);
                    cell.getStyleClass().add("md-table-cell");
                    if (c instanceof TableCell tableCell) {
                        if (tableCell.isHeader()) {
                            cell.getStyleClass().add("md-table-header");
                        }
                        align(cell, tableCell.getAlignment());
                    }
                    grid.add(cell, col++, row);
                }
                row++;
            }
        }
        return grid;
    }

    /** Aligns a table cell's text as the table's delimiter row says ({@code :--}, {@code :-:}, {@code --:}). */
    private static void align(TextFlow cell, TableCell.Alignment alignment) {
        if (alignment == null) {
            return;
        }
        cell.setTextAlignment(switch (alignment) {
            case LEFT -> TextAlignment.LEFT;
            case CENTER -> TextAlignment.CENTER;
            case RIGHT -> TextAlignment.RIGHT;
        });
        GridPane.setHalignment(cell, switch (alignment) {
            case LEFT -> HPos.LEFT;
            case CENTER -> HPos.CENTER;
            case RIGHT -> HPos.RIGHT;
        });
    }

    private TextFlow flow(Node parent) {
        var flow = new TextFlow();
        flow.getStyleClass().add("md-paragraph");
        inlines(parent, List.of(), flow.getChildren());
        return flow;
    }

    private void inlines(Node parent, List<String> styles, List<javafx.scene.Node> out) {
        for (Node n = parent.getFirstChild(); n != null; n = n.getNext()) {
            inline(n, styles, out);
        }
    }

    private void inline(Node n, List<String> styles, List<javafx.scene.Node> out) {
        if (n instanceof Text) {
            add(out, ((Text) n).getLiteral(), styles);
        } else if (n instanceof Code) {
            add(out, ((Code) n).getLiteral(), plus(styles, "md-code"));
        } else if (n instanceof InlineMath math) {
            out.add(FormulaView.of(math.getLatex(), math.isDisplay()));
        } else if (n instanceof Emphasis) {
            inlines(n, plus(styles, "md-em"), out);
        } else if (n instanceof StrongEmphasis) {
            inlines(n, plus(styles, "md-strong"), out);
        } else if (n instanceof Link link) {
            int first = out.size();
            inlines(n, plus(styles, "md-link"), out);
            linkTo(link.getDestination(), out.subList(first, out.size()));
        } else if (n instanceof Strikethrough) {
            inlines(n, plus(styles, "md-strike"), out);
        } else if (n instanceof SoftLineBreak) {
            add(out, " ", styles);
        } else if (n instanceof HardLineBreak) {
            add(out, "\n", styles);
        } else if (n instanceof HtmlInline) {
            add(out, ((HtmlInline) n).getLiteral(), styles);
        } else {
            inlines(n, styles, out);
        }
    }

    /**
     * Makes a link's runs open its address on a click (not at the end of a drag, which selects
     * text), with a hand cursor and the address as tooltip; only web and mail addresses.
     */
    private void linkTo(String destination, List<javafx.scene.Node> runs) {
        if (!LinkOpener.isOpenable(destination)) {
            return;
        }
        for (javafx.scene.Node run : runs) {
            run.setCursor(Cursor.HAND);
            Tooltip.install(run, new Tooltip(destination));
            run.addEventHandler(MouseEvent.MOUSE_CLICKED, e -> {
                if (e.getButton() == MouseButton.PRIMARY && e.isStillSincePress() && e.getClickCount() == 1) {
                    onOpenLink.accept(destination);
                }
            });
        }
    }

    /**
     * Adds a run of text, joining it to the previous run when that has the same style: the
     * transcript's list re-applies CSS to every node of a growing answer on each update, so fewer
     * nodes make streaming cheaper. A link's runs are its own, so that each opens its address.
     */
    private static void add(List<javafx.scene.Node> out, String content, List<String> styles) {
        if (!out.isEmpty() && !styles.contains("md-link")) {
            javafx.scene.Node last = out.get(out.size() - 1);
            if (last instanceof javafx.scene.text.Text && last.getUserData().equals(styles)) {
                var text = (javafx.scene.text.Text) last;
                text.setText(text.getText() + content);
                return;
            }
        }
        out.add(text(content, styles));
    }

    private static List<String> plus(List<String> styles, String style) {
        List<String> more = new ArrayList<>(styles);
        more.add(style);
        return more;
    }

    private static javafx.scene.text.Text text(String content, List<String> styles) {
        var t = new javafx.scene.text.Text(content);
        t.setUserData(styles);   // the styles, so that runs of the same style can be joined
        t.getStyleClass().add("md-text");
        t.getStyleClass().addAll(styles);
        t.setStrikethrough(styles.contains("md-strike"));
        return t;
    }

    private static void copy(String text) {
        var content = new ClipboardContent();
        content.putString(text);
        Clipboard.getSystemClipboard().setContent(content);
    }
}
