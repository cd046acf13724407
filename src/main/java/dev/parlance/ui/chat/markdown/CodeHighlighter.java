package dev.parlance.ui.chat.markdown;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import javax.swing.text.Segment;
import org.fife.ui.rsyntaxtextarea.SyntaxConstants;
import org.fife.ui.rsyntaxtextarea.Token;
import org.fife.ui.rsyntaxtextarea.TokenMaker;
import org.fife.ui.rsyntaxtextarea.TokenMakerFactory;
import org.fife.ui.rsyntaxtextarea.TokenTypes;

/**
 * Splits source code into runs of one kind (keyword, string, comment, …) for colouring, with
 * RSyntaxTextArea's token makers: its scanners only, line by line, carrying the state a line ends
 * in (an open comment or string) to the next, as its editor does; no Swing component is made.
 */
public final class CodeHighlighter {
    /** What a run of code is, as far as colour goes. */
    public enum Kind {
        PLAIN, KEYWORD, TYPE, FUNCTION, STRING, LITERAL, COMMENT, META, VARIABLE, TAG, ATTRIBUTE;

        /** Its CSS style class, as {@code md-syntax-keyword}. */
        public String styleClass() {
            return "md-syntax-" + name().toLowerCase(Locale.ROOT);
        }
    }

    /** A piece of the code and its kind. */
    public record Run(String text, Kind kind) {}

    /** The names a fenced block's info string gives a language, and RSyntaxTextArea's for it. */
    private static final Map<String, String> LANGUAGES = Map.ofEntries(
            Map.entry("java", SyntaxConstants.SYNTAX_STYLE_JAVA),
            Map.entry("python", SyntaxConstants.SYNTAX_STYLE_PYTHON),
            Map.entry("py", SyntaxConstants.SYNTAX_STYLE_PYTHON),
            Map.entry("javascript", SyntaxConstants.SYNTAX_STYLE_JAVASCRIPT),
            Map.entry("js", SyntaxConstants.SYNTAX_STYLE_JAVASCRIPT),
            Map.entry("jsx", SyntaxConstants.SYNTAX_STYLE_JAVASCRIPT),
            Map.entry("mjs", SyntaxConstants.SYNTAX_STYLE_JAVASCRIPT),
            Map.entry("typescript", SyntaxConstants.SYNTAX_STYLE_TYPESCRIPT),
            Map.entry("ts", SyntaxConstants.SYNTAX_STYLE_TYPESCRIPT),
            Map.entry("tsx", SyntaxConstants.SYNTAX_STYLE_TYPESCRIPT),
            Map.entry("json", SyntaxConstants.SYNTAX_STYLE_JSON),
            Map.entry("jsonc", SyntaxConstants.SYNTAX_STYLE_JSON_WITH_COMMENTS),
            Map.entry("bash", SyntaxConstants.SYNTAX_STYLE_UNIX_SHELL),
            Map.entry("sh", SyntaxConstants.SYNTAX_STYLE_UNIX_SHELL),
            Map.entry("shell", SyntaxConstants.SYNTAX_STYLE_UNIX_SHELL),
            Map.entry("zsh", SyntaxConstants.SYNTAX_STYLE_UNIX_SHELL),
            Map.entry("c", SyntaxConstants.SYNTAX_STYLE_C),
            Map.entry("h", SyntaxConstants.SYNTAX_STYLE_C),
            Map.entry("cpp", SyntaxConstants.SYNTAX_STYLE_CPLUSPLUS),
            Map.entry("c++", SyntaxConstants.SYNTAX_STYLE_CPLUSPLUS),
            Map.entry("cc", SyntaxConstants.SYNTAX_STYLE_CPLUSPLUS),
            Map.entry("cxx", SyntaxConstants.SYNTAX_STYLE_CPLUSPLUS),
            Map.entry("hpp", SyntaxConstants.SYNTAX_STYLE_CPLUSPLUS),
            Map.entry("csharp", SyntaxConstants.SYNTAX_STYLE_CSHARP),
            Map.entry("cs", SyntaxConstants.SYNTAX_STYLE_CSHARP),
            Map.entry("rust", SyntaxConstants.SYNTAX_STYLE_RUST),
            Map.entry("rs", SyntaxConstants.SYNTAX_STYLE_RUST),
            Map.entry("go", SyntaxConstants.SYNTAX_STYLE_GO),
            Map.entry("golang", SyntaxConstants.SYNTAX_STYLE_GO),
            Map.entry("sql", SyntaxConstants.SYNTAX_STYLE_SQL),
            Map.entry("yaml", SyntaxConstants.SYNTAX_STYLE_YAML),
            Map.entry("yml", SyntaxConstants.SYNTAX_STYLE_YAML),
            Map.entry("xml", SyntaxConstants.SYNTAX_STYLE_XML),
            Map.entry("svg", SyntaxConstants.SYNTAX_STYLE_XML),
            Map.entry("html", SyntaxConstants.SYNTAX_STYLE_HTML),
            Map.entry("htm", SyntaxConstants.SYNTAX_STYLE_HTML),
            Map.entry("css", SyntaxConstants.SYNTAX_STYLE_CSS),
            Map.entry("kotlin", SyntaxConstants.SYNTAX_STYLE_KOTLIN),
            Map.entry("kt", SyntaxConstants.SYNTAX_STYLE_KOTLIN),
            Map.entry("scala", SyntaxConstants.SYNTAX_STYLE_SCALA),
            Map.entry("groovy", SyntaxConstants.SYNTAX_STYLE_GROOVY),
            Map.entry("ruby", SyntaxConstants.SYNTAX_STYLE_RUBY),
            Map.entry("rb", SyntaxConstants.SYNTAX_STYLE_RUBY),
            Map.entry("php", SyntaxConstants.SYNTAX_STYLE_PHP),
            Map.entry("perl", SyntaxConstants.SYNTAX_STYLE_PERL),
            Map.entry("lua", SyntaxConstants.SYNTAX_STYLE_LUA),
            Map.entry("dart", SyntaxConstants.SYNTAX_STYLE_DART),
            Map.entry("powershell", SyntaxConstants.SYNTAX_STYLE_POWERSHELL),
            Map.entry("ps1", SyntaxConstants.SYNTAX_STYLE_POWERSHELL),
            Map.entry("bat", SyntaxConstants.SYNTAX_STYLE_WINDOWS_BATCH),
            Map.entry("batch", SyntaxConstants.SYNTAX_STYLE_WINDOWS_BATCH),
            Map.entry("cmd", SyntaxConstants.SYNTAX_STYLE_WINDOWS_BATCH),
            Map.entry("makefile", SyntaxConstants.SYNTAX_STYLE_MAKEFILE),
            Map.entry("make", SyntaxConstants.SYNTAX_STYLE_MAKEFILE),
            Map.entry("dockerfile", SyntaxConstants.SYNTAX_STYLE_DOCKERFILE),
            Map.entry("docker", SyntaxConstants.SYNTAX_STYLE_DOCKERFILE),
            Map.entry("ini", SyntaxConstants.SYNTAX_STYLE_INI),
            Map.entry("toml", SyntaxConstants.SYNTAX_STYLE_INI),
            Map.entry("properties", SyntaxConstants.SYNTAX_STYLE_PROPERTIES_FILE),
            Map.entry("latex", SyntaxConstants.SYNTAX_STYLE_LATEX),
            Map.entry("tex", SyntaxConstants.SYNTAX_STYLE_LATEX),
            Map.entry("markdown", SyntaxConstants.SYNTAX_STYLE_MARKDOWN),
            Map.entry("md", SyntaxConstants.SYNTAX_STYLE_MARKDOWN),
            Map.entry("proto", SyntaxConstants.SYNTAX_STYLE_PROTO),
            Map.entry("clojure", SyntaxConstants.SYNTAX_STYLE_CLOJURE),
            Map.entry("lisp", SyntaxConstants.SYNTAX_STYLE_LISP),
            Map.entry("d", SyntaxConstants.SYNTAX_STYLE_D),
            Map.entry("fortran", SyntaxConstants.SYNTAX_STYLE_FORTRAN));

    private CodeHighlighter() {}

    /**
     * The language a fenced block's info string names ({@code java}, {@code py}, {@code c++}, …;
     * its first word, in any case), if it is one this highlights.
     */
    public static Optional<String> language(String info) {
        String word = info == null ? "" : info.strip().split("\\s+", 2)[0].toLowerCase(Locale.ROOT);
        return Optional.ofNullable(LANGUAGES.get(word));
    }

    /**
     * The code split into runs; whitespace joins the run before it, so there are few runs.
     *
     * @param language a value of {@link #language}
     * @param code the code, lines separated by {@code \n}
     */
    public static List<Run> highlight(String language, String code) {
        TokenMaker scanner = TokenMakerFactory.getDefaultInstance().getTokenMaker(language);
        List<Run> runs = new ArrayList<>();
        int state = TokenTypes.NULL;
        String[] lines = code.split("\n", -1);
        for (int l = 0; l < lines.length; l++) {
            if (l > 0) {
                add(runs, "\n", Kind.PLAIN, true);
            }
            char[] chars = lines[l].toCharArray();
            var segment = new Segment(chars, 0, chars.length);
            // the list ends in a token of type NULL, which holds no text
            for (Token t = scanner.getTokenList(segment, state, 0); t != null && t.getType() != TokenTypes.NULL;
                    t = t.getNextToken()) {
                add(runs, t.getLexeme(), kindOf(t.getType()), t.isWhitespace());
            }
            state = scanner.getLastTokenTypeOnLine(new Segment(chars, 0, chars.length), state);
        }
        return runs;
    }

    private static void add(List<Run> runs, String text, Kind kind, boolean whitespace) {
        if (!runs.isEmpty()) {
            Run last = runs.getLast();
            if (whitespace || last.kind() == kind) {
                runs.set(runs.size() - 1, new Run(last.text() + text, last.kind()));
                return;
            }
        }
        runs.add(new Run(text, kind));
    }

    private static Kind kindOf(int tokenType) {
        return switch (tokenType) {
            case TokenTypes.COMMENT_EOL, TokenTypes.COMMENT_MULTILINE, TokenTypes.COMMENT_DOCUMENTATION,
                 TokenTypes.COMMENT_KEYWORD, TokenTypes.COMMENT_MARKUP, TokenTypes.MARKUP_COMMENT -> Kind.COMMENT;
            case TokenTypes.RESERVED_WORD, TokenTypes.RESERVED_WORD_2 -> Kind.KEYWORD;
            case TokenTypes.DATA_TYPE -> Kind.TYPE;
            case TokenTypes.FUNCTION -> Kind.FUNCTION;
            case TokenTypes.LITERAL_STRING_DOUBLE_QUOTE, TokenTypes.LITERAL_CHAR, TokenTypes.LITERAL_BACKQUOTE,
                 TokenTypes.REGEX, TokenTypes.MARKUP_TAG_ATTRIBUTE_VALUE, TokenTypes.MARKUP_CDATA,
                 TokenTypes.ERROR_STRING_DOUBLE, TokenTypes.ERROR_CHAR -> Kind.STRING;
            case TokenTypes.LITERAL_BOOLEAN, TokenTypes.LITERAL_NUMBER_DECIMAL_INT, TokenTypes.LITERAL_NUMBER_FLOAT,
                 TokenTypes.LITERAL_NUMBER_HEXADECIMAL, TokenTypes.ERROR_NUMBER_FORMAT,
                 TokenTypes.MARKUP_ENTITY_REFERENCE -> Kind.LITERAL;
            case TokenTypes.ANNOTATION, TokenTypes.PREPROCESSOR, TokenTypes.MARKUP_DTD,
                 TokenTypes.MARKUP_PROCESSING_INSTRUCTION -> Kind.META;
            case TokenTypes.VARIABLE -> Kind.VARIABLE;
            case TokenTypes.MARKUP_TAG_NAME -> Kind.TAG;
            case TokenTypes.MARKUP_TAG_ATTRIBUTE -> Kind.ATTRIBUTE;
            default -> Kind.PLAIN;
        };
    }
}
