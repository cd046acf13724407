package dev.parlance.ui.chat.markdown;

import org.commonmark.parser.Parser;

/**
 * LaTeX math for commonmark-java: {@link MathBlock}s on lines of their own ({@code $$…$$},
 * {@code \[…\]}) and {@link InlineMath} inside paragraphs ({@code $…$}, {@code \(…\)}, and the
 * display delimiters within text). The syntax is that of Pandoc's {@code tex_math_dollars} and
 * {@code tex_math_single_backslash}, which is what language models write.
 */
public final class MathExtension implements Parser.ParserExtension {
    private final boolean blocks;

    private MathExtension(boolean blocks) {
        this.blocks = blocks;
    }

    /** Formulas in blocks and in paragraphs. */
    public static MathExtension create() {
        return new MathExtension(true);
    }

    /**
     * Formulas in paragraphs only: for re-reading an open {@link MathBlock} as the Markdown it
     * is until its closing delimiter comes.
     */
    public static MathExtension inlineOnly() {
        return new MathExtension(false);
    }

    @Override
    public void extend(Parser.Builder parserBuilder) {
        if (blocks) {
            parserBuilder.customBlockParserFactory(new MathBlockParser.Factory());
        }
        parserBuilder.customInlineContentParserFactory(new MathInlineParser.Factory());
    }
}
