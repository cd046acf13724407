package dev.parlance.ui.chat.markdown;

import static org.assertj.core.api.Assertions.assertThat;

import dev.parlance.ui.chat.markdown.CodeHighlighter.Kind;
import dev.parlance.ui.chat.markdown.CodeHighlighter.Run;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class CodeHighlighterTest {
    private static List<Run> highlight(String info, String code) {
        return CodeHighlighter.highlight(CodeHighlighter.language(info).orElseThrow(), code);
    }

    /** The kinds of the runs that hold the first occurrence of {@code piece} in the code. */
    private static List<Kind> kindsOf(List<Run> runs, String piece) {
        String code = runs.stream().map(Run::text).collect(Collectors.joining());
        int start = code.indexOf(piece);
        assertThat(start).as("%s in %s", piece, code).isNotNegative();
        List<Kind> kinds = new ArrayList<>();
        int at = 0;
        for (Run run : runs) {
            int end = at + run.text().length();
            if (end > start && at < start + piece.length() && !kinds.contains(run.kind())) {
                kinds.add(run.kind());
            }
            at = end;
        }
        return kinds;
    }

    /** One sample per language the brief names: a keyword, a string and a comment as each language writes them. */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '~', textBlock = """
            java       | public class A { String s = "hi"; } // note        | public    | "hi"  | // note
            python     | def f(): return 'hi'  # note                       | def       | 'hi'  | # note
            js         | const s = "hi"; // note                            | const     | "hi"  | // note
            ts         | let s: string = "hi"; // note                      | let       | "hi"  | // note
            bash       | if [ -n "$x" ]; then echo "hi"; fi # note          | then      | "hi"  | # note
            c          | return "hi"; /* note */                            | return    | "hi"  | /* note */
            cpp        | namespace a { auto s = "hi"; } // note             | namespace | "hi"  | // note
            rust       | fn main() { let s = "hi"; } // note                | fn        | "hi"  | // note
            go         | func main() { s := "hi" } // note                  | func      | "hi"  | // note
            sql        | SELECT name FROM t WHERE a = 'hi'; -- note         | SELECT    | 'hi'  | -- note
            """)
    void keywordsStringsAndCommentsAreTold(String language, String code, String keyword, String string,
            String comment) {
        List<Run> runs = highlight(language, code);
        assertThat(kindsOf(runs, keyword)).containsExactly(Kind.KEYWORD);
        assertThat(kindsOf(runs, string)).containsExactly(Kind.STRING);
        assertThat(kindsOf(runs, comment)).containsExactly(Kind.COMMENT);
        assertThat(kindsOf(runs, code)).contains(Kind.PLAIN);
    }

    @Test
    void jsonStringsAndNumbersAreTold() {
        List<Run> runs = highlight("json", "{\"name\": \"parlance\", \"size\": 42, \"ok\": true}");
        assertThat(kindsOf(runs, "\"parlance\"")).containsExactly(Kind.STRING);
        assertThat(kindsOf(runs, "42")).containsExactly(Kind.LITERAL);
    }

    @Test
    void markupTagsAndAttributesAreTold() {
        for (String language : List.of("xml", "html")) {
            List<Run> runs = highlight(language, "<a href=\"x.html\">link</a> <!-- note -->");
            assertThat(kindsOf(runs, "a")).as(language).containsExactly(Kind.TAG);
            assertThat(kindsOf(runs, "href")).as(language).containsExactly(Kind.ATTRIBUTE);
            assertThat(kindsOf(runs, "\"x.html\"")).as(language).containsExactly(Kind.STRING);
            assertThat(kindsOf(runs, "<!-- note -->")).as(language).containsExactly(Kind.COMMENT);
        }
    }

    @Test
    void yamlStringsAndCommentsAreTold() {
        List<Run> runs = highlight("yaml", "name: \"parlance\" # note\nsize: 42\n");
        assertThat(kindsOf(runs, "\"parlance\"")).containsExactly(Kind.STRING);
        assertThat(kindsOf(runs, "# note")).containsExactly(Kind.COMMENT);
    }

    @Test
    void aCommentOverSeveralLinesStaysAComment() {
        List<Run> runs = highlight("java", "/* first\nsecond */ int x;");
        assertThat(kindsOf(runs, "second */")).containsExactly(Kind.COMMENT);
        assertThat(kindsOf(runs, "int")).containsExactly(Kind.TYPE);
    }

    @ParameterizedTest
    @ValueSource(strings = {"java", "python", "js", "ts", "json", "bash", "c", "cpp", "rust", "go", "sql", "yaml",
        "xml", "html"})
    void everyCharacterIsKeptInOrder(String language) {
        String code = "  line one = \"a\" // x\n\n\tline\ttwo: 'b' # y <t a='1'>\n   ";
        assertThat(highlight(language, code).stream().map(Run::text).collect(Collectors.joining())).isEqualTo(code);
    }

    @Test
    void theInfoStringsFirstWordNamesTheLanguageInAnyCase() {
        assertThat(CodeHighlighter.language("Python")).isEqualTo(CodeHighlighter.language("py")).isPresent();
        assertThat(CodeHighlighter.language("c++")).isEqualTo(CodeHighlighter.language("cpp")).isPresent();
        assertThat(CodeHighlighter.language("js title=\"app.js\"")).isEqualTo(CodeHighlighter.language("javascript"));
        assertThat(CodeHighlighter.language("sh")).isEqualTo(CodeHighlighter.language("bash")).isPresent();
    }

    @Test
    void anUnknownOrMissingLanguageIsNotHighlighted() {
        assertThat(CodeHighlighter.language("brainfuck")).isEmpty();
        assertThat(CodeHighlighter.language("")).isEmpty();
        assertThat(CodeHighlighter.language(null)).isEmpty();
    }
}
