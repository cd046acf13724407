package dev.parlance.ui.chat.markdown;

import org.commonmark.node.Block;
import org.commonmark.parser.SourceLine;
import org.commonmark.parser.block.AbstractBlockParser;
import org.commonmark.parser.block.AbstractBlockParserFactory;
import org.commonmark.parser.block.BlockContinue;
import org.commonmark.parser.block.BlockStart;
import org.commonmark.parser.block.MatchedBlockParser;
import org.commonmark.parser.block.ParserState;

/**
 * Parses a display formula that starts a line with {@code $$} or {@code \[} and ends at the first
 * line ending with {@code $$} or {@code \]}, as in {@code $$ E = mc^2 $$} or
 * <pre>
 * $$
 * \int_0^1 x\,dx
 * $$
 * </pre>
 * Its lines are taken as they are, so TeX that looks like Markdown ({@code + b}, {@code - c}) stays
 * in the formula. A line that starts with {@code $$…$$} and goes on is a paragraph (the formula is
 * then parsed in-line by {@link MathInlineParser}).
 */
final class MathBlockParser extends AbstractBlockParser {
    private final MathBlock block = new MathBlock();
    private final String closer;
    private final StringBuilder latex = new StringBuilder();
    private final StringBuilder source;
    private boolean firstLine = true;
    private boolean closed;

    private MathBlockParser(String opener, String closer) {
        this.closer = closer;
        this.source = new StringBuilder(opener);
    }

    @Override
    public Block getBlock() {
        return block;
    }

    @Override
    public BlockContinue tryContinue(ParserState state) {
        return closed ? BlockContinue.none() : BlockContinue.atIndex(state.getIndex());
    }

    @Override
    public void addLine(SourceLine line) {
        String text = line.getContent().toString();
        if (!firstLine) {
            source.append('\n');
        }
        firstLine = false;
        source.append(text);
        int end = closingAt(text, closer);
        if (end >= 0) {
            latex.append(text, 0, end);
            closed = true;
        } else {
            latex.append(text).append('\n');
        }
    }

    @Override
    public void closeBlock() {
        block.setLatex(latex.toString().strip());
        block.setSource(source.toString());
        block.setClosed(closed);
    }

    /** Where the closing delimiter starts when the line ends with it (trailing spaces aside), else -1. */
    private static int closingAt(String line, String closer) {
        String end = line.stripTrailing();
        if (!end.endsWith(closer)) {
            return -1;
        }
        int at = end.length() - closer.length();
        return at > 0 && end.charAt(at - 1) == '\\' && closer.equals("$$") ? -1 : at;
    }

    /** Starts a formula block at {@code $$} or {@code \[} indented less than a code block. */
    static final class Factory extends AbstractBlockParserFactory {
        @Override
        public BlockStart tryStart(ParserState state, MatchedBlockParser matchedBlockParser) {
            if (state.getIndent() >= 4) {
                return BlockStart.none();
            }
            CharSequence line = state.getLine().getContent();
            int start = state.getNextNonSpaceIndex();
            String rest = line.subSequence(start, line.length()).toString();
            String opener = rest.startsWith("$$") ? "$$" : rest.startsWith("\\[") ? "\\[" : null;
            if (opener == null) {
                return BlockStart.none();
            }
            String closer = opener.equals("$$") ? "$$" : "\\]";
            String after = rest.substring(opener.length());
            int closes = after.indexOf(closer);
            if (closes >= 0 && !after.substring(closes + closer.length()).isBlank()) {
                return BlockStart.none();   // "$$x$$ and more": a paragraph with a formula in it
            }
            if (opener.equals("$$") && after.startsWith("$")) {
                return BlockStart.none();   // "$$$" is no delimiter
            }
            return BlockStart.of(new MathBlockParser(opener, closer)).atIndex(start + opener.length());
        }
    }
}
