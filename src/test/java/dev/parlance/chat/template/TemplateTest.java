package dev.parlance.chat.template;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The engine on its own; expected values are what Python jinja2 3.1 prints. */
class TemplateTest {

    private static String render(String source) {
        return render(source, Map.of());
    }

    private static String render(String source, Map<String, ?> vars) {
        return Template.compile(source).render(vars);
    }

    @Test
    void trimBlocksDropsTheNewlineAfterABlockTag() {
        assertThat(render("{% if true %}\nyes\n{% endif %}\nafter")).isEqualTo("yes\nafter");
    }

    @Test
    void lstripBlocksDropsIndentationBeforeABlockTag() {
        assertThat(render("<ul>\n    {% for x in [1, 2] %}\n    <li>{{ x }}</li>\n    {% endfor %}\n</ul>"))
                .isEqualTo("<ul>\n    <li>1</li>\n    <li>2</li>\n</ul>");
    }

    @Test
    void lstripBlocksLeavesIndentationBeforeAnExpression() {
        assertThat(render("a\n    {{ 'x' }}")).isEqualTo("a\n    x");
    }

    @Test
    void dashesStripAllWhitespaceOnTheirSide() {
        assertThat(render("a  \n\n  {%- if true -%}  \n\n  b  {{- ' c ' -}}  \n d{% endif %}")).isEqualTo("ab c d");
    }

    @Test
    void plusSignKeepsWhitespaceThatLstripBlocksWouldRemove() {
        assertThat(render("a\n  {%+ if true %}b{% endif %}")).isEqualTo("a\n  b");
    }

    @Test
    void commentsRenderNothingAndTrimLikeBlocks() {
        assertThat(render("a\n  {# note #}\nb")).isEqualTo("a\nb");
    }

    @Test
    void aSingleTrailingNewlineOfTheSourceIsDropped() {
        assertThat(render("hello\n")).isEqualTo("hello");
        assertThat(render("hello\n\n")).isEqualTo("hello\n");
    }

    @Test
    void setInsideALoopDoesNotLeakOut() {
        assertThat(render("{% set x = 'outer' %}{% for i in [1] %}{% set x = 'inner' %}{{ x }} {% endfor %}{{ x }}"))
                .isEqualTo("inner outer");
    }

    @Test
    void setInsideAnIfChangesTheEnclosingScope() {
        assertThat(render("{% set x = 1 %}{% if true %}{% set x = 2 %}{% endif %}{{ x }}")).isEqualTo("2");
    }

    @Test
    void namespaceCarriesStateOutOfALoop() {
        String source = "{% set ns = namespace(found=false, last=items|length - 1) %}"
                + "{% for i in items %}{% if i == 2 %}{% set ns.found = true %}{% endif %}{% endfor %}"
                + "{{ ns.found }} {{ ns.last }}";
        assertThat(render(source, Map.of("items", List.of(1, 2, 3)))).isEqualTo("True 2");
    }

    static Stream<Arguments> pythonEquality() {
        return Stream.of(
                Arguments.of("{{ '' != false }}", "True"),
                Arguments.of("{{ '' == false }}", "False"),
                Arguments.of("{{ 0 == '' }}", "False"),
                Arguments.of("{{ none == false }}", "False"),
                Arguments.of("{{ true == 1 }}", "True"),
                Arguments.of("{{ 1 == 1.0 }}", "True"),
                Arguments.of("{{ [1, 'a'] == [1, 'a'] }}", "True"),
                Arguments.of("{{ {'a': 1} == {'a': 1} }}", "True"));
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @MethodSource("pythonEquality")
    void equalityFollowsPython(String source, String expected) {
        assertThat(render(source)).isEqualTo(expected);
    }

    static Stream<Arguments> pythonStringMethods() {
        return Stream.of(
                Arguments.of("{{ '\\n\\nhi\\n'.lstrip('\\n') }}", "hi\n"),
                Arguments.of("{{ '  hi  '.strip() }}", "hi"),
                Arguments.of("{{ x.strip() }}", "hi"),
                Arguments.of("{{ 'xxhixx'.rstrip('x') }}", "xxhi"),
                Arguments.of("{{ 'a</think>b</think>c'.split('</think>')[-1] }}", "c"),
                Arguments.of("{{ 'a.b'.split('.') | length }}", "2"),
                Arguments.of("{{ '  a   b '.split() }}", "['a', 'b']"),
                Arguments.of("{{ 'gpt4 correct user'.title() }}", "Gpt4 Correct User"),
                Arguments.of("{{ \"they're\".title() }}", "They'Re"),
                Arguments.of("{{ 'abc'.startswith('ab') and 'abc'.endswith('bc') }}", "True"),
                Arguments.of("{{ 'a-b-c'.replace('-', '+') }}", "a+b+c"),
                Arguments.of("{{ 'hello'.upper() ~ 'WORLD'.lower() }}", "HELLOworld"),
                Arguments.of("{{ 'x{}y'.format(1) }}", "x1y"));
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @MethodSource("pythonStringMethods")
    void stringMethodsFollowPython(String source, String expected) {
        // x holds no-break spaces, which Python's strip() removes and Java's trim() keeps
        assertThat(render(source, Map.of("x", "\u00a0hi\u00a0"))).isEqualTo(expected);
    }

    @Test
    void userTextThatLooksLikeTemplateCodeRendersLiterally() {
        String evil = "{{ 7*7 }} {% for m in messages %}leak{% endfor %} {# x #}";
        assertThat(render("{{ content }}|{{ content + '!' }}", Map.of("content", evil)))
                .isEqualTo(evil + "|" + evil + "!");
    }

    @Test
    void printsPythonReprs() {
        assertThat(render("{{ true }} {{ none }} {{ [1, 'a', none] }} {{ {'k': false} }} {{ 1.5 }} {{ 2.0 }}"))
                .isEqualTo("True None [1, 'a', None] {'k': False} 1.5 2.0");
    }

    @Test
    void floatsPrintAsPythonRepr() {
        assertThat(render("{{ 0.0001 }} {{ 1e-05 }} {{ 12345678.5 }} {{ 1e16 }} {{ -0.0 }} {{ 0.1 + 0.2 }} {{ 1 / 4 }}"))
                .isEqualTo("0.0001 1e-05 12345678.5 1e+16 -0.0 0.30000000000000004 0.25");
    }

    @Test
    void undefinedPrintsEmptyIsFalsyAndHasNoLength() {
        assertThat(render("[{{ missing }}]{% if not missing %}falsy{% endif %}{{ missing|length }}"
                + "{{ 'a' in missing }}{{ missing is defined }}{{ not missing is defined }}"))
                .isEqualTo("[]falsy0FalseFalseTrue");
    }

    @Test
    void attributeOfUndefinedFails() {
        assertThatThrownBy(() -> render("{{ missing.name }}"))
                .isInstanceOf(TemplateException.class).hasMessageContaining("'missing' is undefined");
    }

    @Test
    void slicesAndNegativeIndexes() {
        Map<String, Object> vars = Map.of("xs", List.of(1, 2, 3, 4));
        assertThat(render("{{ xs[1:] }} {{ xs[:-1] }} {{ xs[::-1] }} {{ xs[-1] }} {{ xs[::2] }} {{ 'hello'[1:3] }}", vars))
                .isEqualTo("[2, 3, 4] [1, 2, 3] [4, 3, 2, 1] 4 [1, 3] el");
    }

    @Test
    void loopVariablesAndControls() {
        String source = "{% for x in xs %}{% if x == 2 %}{% continue %}{% endif %}{% if x == 4 %}{% break %}{% endif %}"
                + "{{ loop.index0 }}{{ loop.first }}{{ loop.last }}{{ loop.length }};{% endfor %}";
        assertThat(render(source, Map.of("xs", List.of(1, 2, 3, 4, 5)))).isEqualTo("0TrueFalse5;2FalseFalse5;");
    }

    @Test
    void loopFilterAndElse() {
        assertThat(render("{% for x in xs if x > 1 %}{{ x }}{{ loop.length }}{% else %}none{% endfor %}",
                Map.of("xs", List.of(1, 2, 3)))).isEqualTo("2232");
        assertThat(render("{% for x in [] %}{{ x }}{% else %}none{% endfor %}")).isEqualTo("none");
    }

    @Test
    void tojsonMatchesPythonJsonDumps() {
        Map<String, Object> tool = new LinkedHashMap<>();
        tool.put("name", "get_weather");
        tool.put("description", "Météo <now> & \"quoted\"");
        tool.put("parameters", Map.of("n", 1));
        Map<String, Object> vars = Map.of("t", tool);
        assertThat(render("{{ t | tojson }}", vars)).isEqualTo(
                "{\"name\": \"get_weather\", \"description\": \"Météo <now> & \\\"quoted\\\"\", \"parameters\": {\"n\": 1}}");
        assertThat(render("{{ {'a': [1, 2]} | tojson(indent=2) }}")).isEqualTo("{\n  \"a\": [\n    1,\n    2\n  ]\n}");
        assertThat(render("{{ {'b': 1, 'a': 2} | tojson(sort_keys=true, separators=(',', ':')) }}"))
                .isEqualTo("{\"a\":2,\"b\":1}");
    }

    @Test
    void filtersSelectMapAndJoin() {
        Map<String, Object> vars = Map.of("ms", List.of(
                Map.of("role", "user", "content", "a"), Map.of("role", "tool", "content", "b"),
                Map.of("role", "user", "content", "c")));
        assertThat(render("{{ ms | selectattr('role', 'equalto', 'user') | map(attribute='content') | join(', ') }}"
                + " {{ ms | rejectattr('role', 'equalto', 'user') | list | length }}"
                + " {{ ms | first | items | list | length }} {{ (ms | last).content | upper }}", vars))
                .isEqualTo("a, c 1 2 C");
    }

    @Test
    void filterAndTestPrecedence() {
        assertThat(render("{{ [1, 2, 3]|length - 1 }} {{ not 1 is string }} {{ -2|abs }} {{ 'a' ~ 2 * 3 }}"))
                .isEqualTo("2 True 2 a6");
    }

    @Test
    void inlineIfDictLiteralsAndIn() {
        assertThat(render("{{ 'y' if 'b' in {'a': 1, 'b': 2} else 'n' }}{{ 'x' if false }}{{ 3 not in [1, 2] }}"))
                .isEqualTo("yTrue");
    }

    @Test
    void macrosRenderTheirBodyWithArguments() {
        assertThat(render("{% macro greet(name, greeting='Hi') %}{{ greeting }}, {{ name }}!{% endmacro %}"
                + "{{ greet('Ann') }} {{ greet('Bo', greeting='Yo') }}")).isEqualTo("Hi, Ann! Yo, Bo!");
    }

    @Test
    void callBlocksPassTheirBodyAsCaller() {
        assertThat(render("{% macro list(items) %}<{% for i in items %}{{ caller(i) }}{% endfor %}>{% endmacro %}"
                + "{% call(x) list([1, 2]) %}[{{ x }}]{% endcall %}")).isEqualTo("<[1][2]>");
    }

    @Test
    void filterBlocksFilterTheirRenderedBody() {
        assertThat(render("{% filter upper | trim %}  hi {{ 'there' }}  {% endfilter %}!")).isEqualTo("HI THERE!");
    }

    @Test
    void rawBlocksAreNotParsed() {
        assertThat(render("a {% raw %}{{ x }}{% if %}{% endraw %} b")).isEqualTo("a {{ x }}{% if %} b");
    }

    @Test
    void starArgumentsSpreadIntoCalls() {
        assertThat(render("{{ range(*[1, 4]) | list }} {{ dict(**{'a': 1}) }}")).isEqualTo("[1, 2, 3] {'a': 1}");
    }

    @Test
    void hugeRangesAreRefusedAsInTheSandbox() {
        assertThatThrownBy(() -> render("{% for i in range(10000000000) %}{% endfor %}"))
                .isInstanceOf(TemplateException.class).hasMessageContaining("range too big");
    }

    @Test
    void titleFilterDiffersFromTheTitleMethodAsInJinja2() {
        assertThat(render("{{ \"they're here\" | title }} {{ \"they're here\".title() }}"))
                .isEqualTo("They're Here They'Re Here");
    }

    @Test
    void macroParametersShadowOuterNamesInTheirDefaults() {
        assertThat(render("{% set x = 5 %}{% macro m(x=x) %}[{{ x }}]{% endmacro %}{{ m() }}{{ m(1) }}"))
                .isEqualTo("[][1]");
    }

    @Test
    void generationBlockRendersItsBody() {
        assertThat(render("{% generation %}answer{% endgeneration %}")).isEqualTo("answer");
    }

    @Test
    void tupleUnpackingOverItems() {
        Map<String, Object> args = new LinkedHashMap<>();
        args.put("a", 1);
        args.put("b", "x");
        assertThat(render("{% for k, v in args | items %}{{ k }}={{ v }};{% endfor %}", Map.of("args", args)))
                .isEqualTo("a=1;b=x;");
    }

    @Test
    void stringEscapesFollowPython() {
        assertThat(render("{{ 'a\\tb\\u00e9\\\\' }}")).isEqualTo("a\tbé\\");
    }

    @Test
    void callerFunctionsCanStopRendering() {
        Map<String, Object> vars = new HashMap<>();
        vars.put("raise_exception", (Callable) (a, k) -> {
            throw new TemplateException((String) a.get(0));
        });
        assertThatThrownBy(() -> render("before{{ raise_exception('System role not supported') }}after", vars))
                .isInstanceOf(TemplateException.class).hasMessage("System role not supported");
    }

    @Test
    void renderingErrorsTellTheLineButKeepTheMessage() {
        Map<String, Object> vars = new HashMap<>();
        vars.put("raise_exception", (Callable) (a, k) -> {
            throw new TemplateException((String) a.get(0));
        });
        TemplateException raised = catchTemplateException(
                () -> render("a\n{% if true %}\n  {{ raise_exception('No system role') }}\n{% endif %}", vars));
        TemplateException undefined = catchTemplateException(() -> render("a\n\n{{ missing.name }}"));

        assertThat(raised.getMessage()).isEqualTo("No system role");
        assertThat(raised.line()).hasValue(3);
        assertThat(undefined.line()).hasValue(3);
    }

    private static TemplateException catchTemplateException(Runnable r) {
        try {
            r.run();
        } catch (TemplateException e) {
            return e;
        }
        throw new AssertionError("no TemplateException thrown");
    }

    @Test
    void syntaxErrorsNameTheLine() {
        assertThatThrownBy(() -> render("line one\n{% if x %}\n{{ x + }}\n{% endif %}"))
                .isInstanceOf(TemplateException.class).hasMessageContaining("line 3");
        assertThatThrownBy(() -> render("{% for x in y %}never closed"))
                .isInstanceOf(TemplateException.class).hasMessageContaining("endfor");
        assertThatThrownBy(() -> render("text\n{% endif %}"))
                .isInstanceOf(TemplateException.class).hasMessageContaining("line 2").hasMessageContaining("'endif'");
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"{{ 'user' is even }}", "{{ none|abs }}",
        "{{ [1]|round }}", "{{ x is divisibleby(3) }}"})
    void aValueOfTheWrongTypeIsAPlainTemplateErrorWithoutJavaNames(String source) {
        assertThatThrownBy(() -> render(source))
                .isInstanceOf(TemplateException.class)
                .message().doesNotContain("java.").doesNotContain("Exception");
    }
}
