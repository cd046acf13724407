package dev.parlance.ui.chat.markdown;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.commonmark.node.BulletList;
import org.commonmark.node.Code;
import org.commonmark.node.FencedCodeBlock;
import org.commonmark.node.Node;
import org.commonmark.node.Paragraph;
import org.commonmark.node.Text;
import org.commonmark.parser.Parser;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class MathExtensionTest {
    private static final Parser PARSER = Parser.builder().extensions(List.of(MathExtension.create())).build();

    private static List<Node> all(Node root) {
        List<Node> nodes = new ArrayList<>();
        for (Node n = root.getFirstChild(); n != null; n = n.getNext()) {
            nodes.add(n);
            nodes.addAll(all(n));
        }
        return nodes;
    }

    private static List<InlineMath> formulas(String markdown) {
        return all(PARSER.parse(markdown)).stream().filter(InlineMath.class::isInstance)
                .map(InlineMath.class::cast).toList();
    }

    private static List<MathBlock> blocks(String markdown) {
        return all(PARSER.parse(markdown)).stream().filter(MathBlock.class::isInstance)
                .map(MathBlock.class::cast).toList();
    }

    private static String text(String markdown) {
        var text = new StringBuilder();
        for (Node n : all(PARSER.parse(markdown))) {
            if (n instanceof Text t) {
                text.append(t.getLiteral());
            }
        }
        return text.toString();
    }

    @Test
    void dollarsAroundTexAreAnInlineFormula() {
        List<InlineMath> found = formulas("Euler: $e^{i\\pi} + 1 = 0$, famously.");
        assertThat(found).extracting(InlineMath::getLatex).containsExactly("e^{i\\pi} + 1 = 0");
        assertThat(found.getFirst().isDisplay()).isFalse();
        assertThat(text("Euler: $e^{i\\pi} + 1 = 0$, famously.")).isEqualTo("Euler: , famously.");
    }

    @ParameterizedTest
    @ValueSource(strings = {"It costs $5 and $10.", "Between $5-$10 a month.", "From $20,000 to $30,000 (roughly).",
        "A lone $ sign.", "Say $ x$ please.", "Say $x $ please.", "Trailing $x"})
    void pricesAndLoneDollarsAreText(String markdown) {
        assertThat(formulas(markdown)).isEmpty();
        assertThat(text(markdown)).isEqualTo(markdown);
    }

    @Test
    void anEscapedDollarIsADollar() {
        assertThat(formulas("Not \\$x$ math")).isEmpty();
        assertThat(text("Not \\$x$ math")).isEqualTo("Not $x$ math");
    }

    @Test
    void anEscapedDollarInsideAFormulaStaysInIt() {
        assertThat(formulas("$a \\$ b$")).extracting(InlineMath::getLatex).containsExactly("a \\$ b");
    }

    @Test
    void backslashParenthesesAreAnInlineFormulaAndBracketsADisplayOne() {
        List<InlineMath> found = formulas("Inline \\(a^2 + b^2\\) and display \\[\\sum_i x_i\\] here.");
        assertThat(found).extracting(InlineMath::getLatex).containsExactly("a^2 + b^2", "\\sum_i x_i");
        assertThat(found).extracting(InlineMath::isDisplay).containsExactly(false, true);
    }

    @Test
    void doubleDollarsInsideTextAreADisplayFormula() {
        List<InlineMath> found = formulas("so $$x^2 \\ge 0$$ always");
        assertThat(found).extracting(InlineMath::getLatex).containsExactly("x^2 \\ge 0");
        assertThat(found.getFirst().isDisplay()).isTrue();
    }

    @Test
    void otherBackslashEscapesStillWork() {
        assertThat(text("\\*not emphasis\\* and \\\\(no formula)")).isEqualTo("*not emphasis* and \\(no formula)");
        assertThat(formulas("\\\\(no formula\\\\)")).isEmpty();
    }

    @Test
    void codeSpansAndCodeBlocksAreNotMath() {
        Node document = PARSER.parse("Use `$x$` or `\\(y\\)` here.\n\n```\n$$ z $$\n$w$\n```\n");
        assertThat(all(document)).noneMatch(n -> n instanceof InlineMath || n instanceof MathBlock);
        assertThat(all(document).stream().filter(Code.class::isInstance).map(n -> ((Code) n).getLiteral()))
                .containsExactly("$x$", "\\(y\\)");
        assertThat(all(document).stream().filter(FencedCodeBlock.class::isInstance)
                .map(n -> ((FencedCodeBlock) n).getLiteral())).containsExactly("$$ z $$\n$w$\n");
    }

    @Test
    void aFormulaDoesNotSwallowACodeSpanThatStartsInside() {
        assertThat(formulas("Price $5 or `echo $HOME` now")).isEmpty();
    }

    @Test
    void doubleDollarLinesAreAFormulaBlockWhoseLinesStayTex() {
        List<MathBlock> found = blocks("Before\n$$\n\\int_0^1 x\\,dx\n+ b\n- c\n$$\nAfter\n");
        assertThat(found).hasSize(1);
        assertThat(found.getFirst().isClosed()).isTrue();
        assertThat(found.getFirst().getLatex()).isEqualTo("\\int_0^1 x\\,dx\n+ b\n- c");
        Node document = PARSER.parse("Before\n$$\n\\int_0^1 x\\,dx\n+ b\n- c\n$$\nAfter\n");
        assertThat(all(document)).noneMatch(BulletList.class::isInstance);
        assertThat(all(document).stream().filter(Paragraph.class::isInstance)).hasSize(2);
    }

    @Test
    void aFormulaBlockCanBeOneLineOrCloseAfterItsLastLine() {
        assertThat(blocks("$$ E = mc^2 $$")).extracting(MathBlock::getLatex).containsExactly("E = mc^2");
        assertThat(blocks("$$a +\nb$$\n")).extracting(MathBlock::getLatex).containsExactly("a +\nb");
        assertThat(blocks("\\[\n\\frac{1}{2}\n\\]")).extracting(MathBlock::getLatex).containsExactly("\\frac{1}{2}");
    }

    @Test
    void aLineThatGoesOnAfterTheFormulaIsAParagraph() {
        assertThat(blocks("$$x$$ is positive")).isEmpty();
        assertThat(formulas("$$x$$ is positive")).extracting(InlineMath::getLatex).containsExactly("x");
    }

    @Test
    void aFormulaBlockWithoutItsClosingDelimiterIsOpenAndKeepsItsSource() {
        List<MathBlock> found = blocks("Text\n\n$$\n\\frac{a}{b}\n+ c");
        assertThat(found).hasSize(1);
        assertThat(found.getFirst().isClosed()).isFalse();
        assertThat(found.getFirst().getSource()).isEqualTo("$$\n\\frac{a}{b}\n+ c");
    }

    @Test
    void anUnclosedFormulaInTextIsText() {
        assertThat(formulas("so $$x^2 is")).isEmpty();
        assertThat(text("so $$x^2 is")).isEqualTo("so $$x^2 is");
        assertThat(formulas("so \\(x^2 is")).isEmpty();
    }
}
