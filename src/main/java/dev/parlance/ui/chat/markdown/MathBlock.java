package dev.parlance.ui.chat.markdown;

import org.commonmark.node.CustomBlock;

/**
 * A display formula on lines of its own, between {@code $$} and {@code $$} or {@code \[} and
 * {@code \]}. One whose closing delimiter has not come (yet: an answer still streaming) is
 * {@linkplain #isClosed() open}, and is shown as the text it is.
 */
public final class MathBlock extends CustomBlock {
    private String latex = "";
    private String source = "";
    private boolean closed;

    /** The formula's TeX source, without its delimiters. */
    public String getLatex() {
        return latex;
    }

    void setLatex(String latex) {
        this.latex = latex;
    }

    /** The block's Markdown as written, delimiters included. */
    public String getSource() {
        return source;
    }

    void setSource(String source) {
        this.source = source;
    }

    /** Whether the closing delimiter was found. */
    public boolean isClosed() {
        return closed;
    }

    void setClosed(boolean closed) {
        this.closed = closed;
    }
}
