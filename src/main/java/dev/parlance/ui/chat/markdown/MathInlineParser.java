package dev.parlance.ui.chat.markdown;

import java.util.Set;
import org.commonmark.node.Text;
import org.commonmark.parser.beta.InlineContentParser;
import org.commonmark.parser.beta.InlineContentParserFactory;
import org.commonmark.parser.beta.InlineParserState;
import org.commonmark.parser.beta.ParsedInline;
import org.commonmark.parser.beta.Position;
import org.commonmark.parser.beta.Scanner;

/**
 * Parses formulas inside a paragraph: {@code $…$} and {@code \(…\)} in-line, {@code $$…$$} and
 * {@code \[…\]} as display formulas. It runs where commonmark parses in-line content, so code
 * spans (parsed when their backtick comes first) and backslash escapes ({@code \$}) stay what they
 * are. A single {@code $} follows Pandoc's rule, so that prices are not math: the opening one is
 * followed by a non-space, the closing one follows a non-space and is not followed by a digit; and
 * the first {@code $} after the opening one must close it. So {@code $5 and $10} is text.
 * A delimiter that is not closed (yet) is text.
 */
final class MathInlineParser implements InlineContentParser {
    @Override
    public ParsedInline tryParse(InlineParserState state) {
        Scanner scanner = state.scanner();
        if (scanner.peek() == '\\') {
            scanner.next();
            if (scanner.next('(')) {
                return bracketed(scanner, ')', false);
            }
            if (scanner.next('[')) {
                return bracketed(scanner, ']', true);
            }
            return ParsedInline.none();   // an escape: commonmark's own parser takes it
        }
        int dollars = scanner.matchMultiple('$');
        return switch (dollars) {
            case 1 -> inlineDollar(scanner);
            case 2 -> displayDollars(scanner);
            default -> ParsedInline.of(new Text("$".repeat(dollars)), scanner.position());
        };
    }

    /** After {@code \(} or {@code \[}: the formula up to {@code \)} or {@code \]}. */
    private static ParsedInline bracketed(Scanner scanner, char close, boolean display) {
        Position start = scanner.position();
        while (scanner.hasNext()) {
            Position end = scanner.position();
            if (scanner.next('\\')) {
                if (scanner.next(close)) {
                    return formula(scanner, start, end, display);
                }
                scanner.next();   // an escaped character of the TeX: \{, \\
            } else {
                scanner.next();
            }
        }
        return ParsedInline.none();
    }

    /** After {@code $$}: the formula up to the next {@code $$}. */
    private static ParsedInline displayDollars(Scanner scanner) {
        Position start = scanner.position();
        while (scanner.hasNext()) {
            char c = scanner.peek();
            if (c == '\\') {
                scanner.next();
                scanner.next();
            } else if (c == '$') {
                Position end = scanner.position();
                if (scanner.matchMultiple('$') == 2) {
                    return formula(scanner, start, end, true);
                }
            } else {
                scanner.next();
            }
        }
        return ParsedInline.of(new Text("$$"), start);
    }

    /** After a single {@code $}: the formula up to the closing {@code $}, by Pandoc's rule. */
    private static ParsedInline inlineDollar(Scanner scanner) {
        Position start = scanner.position();
        if (!scanner.hasNext() || Character.isWhitespace(scanner.peek())) {
            return ParsedInline.none();
        }
        int previous = ' ';
        while (scanner.hasNext()) {
            char c = scanner.peek();
            if (c == '\\') {
                scanner.next();
                previous = scanner.peek();
                scanner.next();
            } else if (c == '`') {
                return ParsedInline.none();   // a code span starts inside: not a formula
            } else if (c == '$') {
                Position end = scanner.position();
                scanner.next();
                boolean closes = !Character.isWhitespace(previous) && !Character.isDigit(scanner.peek())
                        && scanner.peek() != '$';
                return closes ? formula(scanner, start, end, false) : ParsedInline.none();
            } else {
                previous = c;
                scanner.next();
            }
        }
        return ParsedInline.none();
    }

    private static ParsedInline formula(Scanner scanner, Position start, Position end, boolean display) {
        String latex = scanner.getSource(start, end).getContent().strip();
        if (latex.isEmpty()) {
            return ParsedInline.none();
        }
        return ParsedInline.of(new InlineMath(latex, display), scanner.position());
    }

    /** Makes the parser for {@code $} and {@code \}. */
    static final class Factory implements InlineContentParserFactory {
        @Override
        public Set<Character> getTriggerCharacters() {
            return Set.of('$', '\\');
        }

        @Override
        public InlineContentParser create() {
            return new MathInlineParser();
        }
    }
}
