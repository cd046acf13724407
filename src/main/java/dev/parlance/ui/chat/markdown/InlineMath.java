package dev.parlance.ui.chat.markdown;

import org.commonmark.node.CustomNode;

/**
 * A formula inside a paragraph: {@code $…$} or {@code \(…\)} (in-line), or {@code $$…$$} or
 * {@code \[…\]} written within the text (display).
 */
public final class InlineMath extends CustomNode {
    private final String latex;
    private final boolean display;

    /**
     * @param latex the formula's TeX source, without its delimiters
     * @param display true for a display formula ({@code $$}, {@code \[}), set apart and centred
     */
    public InlineMath(String latex, boolean display) {
        this.latex = latex;
        this.display = display;
    }

    public String getLatex() {
        return latex;
    }

    public boolean isDisplay() {
        return display;
    }
}
