package dev.parlance.chat.template;

import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Random Jinja programs built from the constructs real chat templates use (loops over messages,
 * if/elif/else, set and namespace, macros, filters, string methods, slicing, tests, loop
 * variables, whitespace control, raise_exception), most of them almost sensible and some of them
 * broken or endless (issue 14). Each is compiled and rendered under a budget: the only outcomes
 * allowed are a string and a {@link TemplateException} (a {@link BudgetExceededException} among
 * them); never another exception, never a hang.
 *
 * <p>The programs come from one seed (default fixed, so CI renders the same ones); a failure
 * prints its case's seed and source. Rerun one with {@code -Dparlance.fuzz.seed=SEED
 * -Dparlance.fuzz.cases=1}, or explore with another seed and more cases.
 */
class TemplateFuzzTest {
    private static final long DEFAULT_SEED = 14L;
    private static final int DEFAULT_CASES = 5000;
    /** Smaller than the app's limits so that endless programs end quickly; the same checks run. */
    private static final RenderLimits LIMITS = new RenderLimits(50_000, 200_000, Duration.ofSeconds(2), 40);

    private static final List<String> FILTERS = List.of("length", "upper", "lower", "trim", "tojson", "string",
            "first", "last", "join(', ')", "join", "replace('a', 'b')", "default('none')", "int", "float", "list",
            "reverse", "safe", "capitalize", "title", "unique", "sort", "sum", "count", "wordcount", "abs", "round",
            "items", "dictsort", "indent(2)", "escape", "selectattr('role', 'equalto', 'user')",
            "rejectattr('role', 'equalto', 'system')", "map(attribute='content')", "map('upper')",
            "select('defined')", "batch(2)", "min", "max", "keys", "values", "e", "d('x')");
    private static final List<String> METHODS = List.of(".strip()", ".lstrip()", ".rstrip('\\n')", ".upper()",
            ".lower()", ".split()", ".split(' ')", ".startswith('<')", ".endswith('>')", ".replace(' ', '_')",
            ".title()", ".find('a')", ".count('a')", ".splitlines()", ".removeprefix('<')", ".format(1)",
            ".get('role')", ".items()", ".keys()", ".append(1)");
    private static final List<String> TESTS = List.of("defined", "undefined", "none", "string", "number",
            "mapping", "iterable", "sequence", "even", "odd", "divisibleby(3)", "equalto('user')", "true", "false",
            "callable", "in(['a'])");
    private static final List<String> NAMES = List.of("messages", "message", "m", "x", "ns", "loop",
            "bos_token", "eos_token", "add_generation_prompt", "tools", "nothing", "item", "i", "f");

    @Test
    void randomTemplatesGiveTextOrATemplateExceptionAndNothingElse() {
        long seed = Long.getLong("parlance.fuzz.seed", DEFAULT_SEED);
        int cases = Integer.getInteger("parlance.fuzz.cases", DEFAULT_CASES);
        for (long caseSeed = seed; caseSeed < seed + cases; caseSeed++) {
            String source = new Program(new Random(caseSeed)).template();
            try {
                assertTimeoutPreemptively(Duration.ofSeconds(20), () -> render(source));
            } catch (Throwable failure) {
                throw new AssertionError("fuzz case " + caseSeed + " ended in " + failure + "; rerun it alone with "
                        + "-Dparlance.fuzz.seed=" + caseSeed + " -Dparlance.fuzz.cases=1; the template:\n" + source,
                        failure);
            }
        }
    }

    private static void render(String source) {
        try {
            Template.compile(source).render(variables(), LIMITS, "Fuzz-1B", () -> false);
        } catch (TemplateException expected) {
            // a clean error: a syntax error, the template's own raise_exception, or the budget
        }
    }

    private static Map<String, Object> variables() {
        Map<String, Object> variables = new LinkedHashMap<>();
        variables.put("messages", List.of(
                Map.of("role", "system", "content", "Be brief."),
                Map.of("role", "user", "content", "Hello <there> ünïcode 🙂"),
                Map.of("role", "assistant", "content", "Hi!", "reasoning_content", "think"),
                Map.of("role", "user", "content", "")));
        variables.put("bos_token", "<s>");
        variables.put("eos_token", "</s>");
        variables.put("add_generation_prompt", true);
        // as the chat template gives it
        variables.put("raise_exception", (Callable) (args, kwargs) -> {
            throw new TemplateException(args.isEmpty() ? "raise_exception called" : String.valueOf(args.get(0)));
        });
        return variables;
    }

    /** One random program; the grammar's recursion stops at a small depth. */
    private static final class Program {
        private final Random random;

        Program(Random random) {
            this.random = random;
        }

        String template() {
            StringBuilder out = new StringBuilder(random.nextInt(5) == 0 ? ""
                    : "{%- set ns = namespace(x=0, found=false, s='') -%}");
            int statements = 1 + random.nextInt(6);
            for (int i = 0; i < statements; i++) {
                out.append(statement(0));
            }
            return random.nextInt(25) == 0 ? damage(out.toString()) : out.toString();
        }

        /** A cut or a stray brace: most real breakage is a template that ends too soon. */
        private String damage(String source) {
            if (source.isEmpty()) {
                return "{%";
            }
            int at = random.nextInt(source.length());
            return random.nextBoolean() ? source.substring(0, at) : source.substring(0, at) + "{{" + source.substring(at);
        }

        private String statement(int depth) {
            int kinds = depth >= 3 ? 3 : 12;
            return switch (random.nextInt(kinds)) {
                case 0 -> text();
                case 1 -> "{{" + dash() + " " + expression(depth) + " " + dash() + "}}";
                case 2 -> "{# " + text() + " #}";
                case 3 -> "{%" + dash() + " for " + target() + " in " + iterable(depth) + (random.nextInt(4) == 0
                        ? " if " + expression(depth + 1) : "") + " " + dash() + "%}" + body(depth)
                        + (random.nextInt(5) == 0 ? "{% else %}" + body(depth) : "") + "{% endfor %}";
                case 4 -> "{% if " + expression(depth) + " %}" + body(depth)
                        + (random.nextBoolean() ? "{% elif " + expression(depth) + " %}" + body(depth) : "")
                        + (random.nextBoolean() ? "{% else %}" + body(depth) : "") + "{% endif %}";
                case 5 -> "{% set " + pick(List.of("x", "m", "item", "i")) + " = " + expression(depth) + " %}";
                case 6 -> "{% set ns = namespace(" + pick(List.of("x", "found", "s")) + "=" + expression(depth)
                        + ") %}";
                case 7 -> "{% set ns." + pick(List.of("x", "found", "s")) + " = " + expression(depth) + " %}";
                case 8 -> "{% macro f(a, b='d') %}" + body(depth) + "{% endmacro %}{{ f(" + expression(depth)
                        + ") }}";
                case 9 -> pick(List.of("{% break %}", "{% continue %}", "{{ raise_exception('no: ' ~ x) }}",
                        "{% generation %}" + text() + "{% endgeneration %}", "{% macro r(n) %}{{ r(n + 1) }}"
                                + "{% endmacro %}{{ r(0) }}", "{% filter upper %}" + text() + "{% endfilter %}"));
                case 10 -> "{% set x %}" + body(depth) + "{% endset %}";
                default -> "{%- for message in messages -%}{{ '<|' ~ message['role'] ~ '|>' ~ message.content"
                        + pick(List.of("", "|trim", ".strip()")) + " }}{% if loop.last and add_generation_prompt %}"
                        + "<|assistant|>{% endif %}{%- endfor -%}";
            };
        }

        private String body(int depth) {
            StringBuilder out = new StringBuilder();
            int statements = random.nextInt(3) + 1;
            for (int i = 0; i < statements; i++) {
                out.append(statement(depth + 1));
            }
            return out.toString();
        }

        private String target() {
            return pick(List.of("message", "m", "i", "item", "k, v", "x"));
        }

        private String iterable(int depth) {
            return pick(List.of("messages", "messages[1:]", "messages|reverse", "range(" + number() + ")",
                    "range(3, 0, -1)", "x", "ns.x", "messages|selectattr('role', 'equalto', 'user')",
                    "{'a': 1, 'b': 2}.items()", "'abc'", "tools", "[1, 2, 3]", expression(depth + 1)));
        }

        private String expression(int depth) {
            if (depth > 4) {
                return atom();
            }
            return switch (random.nextInt(14)) {
                case 0, 1, 2 -> atom();
                case 3 -> expression(depth + 1) + "|" + pick(FILTERS);
                case 4 -> expression(depth + 1) + pick(METHODS);
                case 5 -> expression(depth + 1) + " " + pick(List.of("~", "+", "-", "*", "/", "//", "%", "==", "!=",
                        "<", ">=", "and", "or", "in", "not in")) + " " + expression(depth + 1);
                case 6 -> expression(depth + 1) + " is " + pick(List.of("", "not ")) + pick(TESTS);
                case 7 -> "not " + expression(depth + 1);
                case 8 -> expression(depth + 1) + "[" + pick(List.of("0", "-1", "'role'", "'content'", "1:3", "::-1",
                        ":" + number(), "x")) + "]";
                case 9 -> "(" + expression(depth + 1) + " if " + expression(depth + 1) + " else " + expression(depth + 1)
                        + ")";
                case 10 -> "(" + expression(depth + 1) + ")";
                case 11 -> "[" + expression(depth + 1) + ", " + expression(depth + 1) + "]";
                case 12 -> "{" + "'k': " + expression(depth + 1) + "}";
                default -> pick(List.of("loop.index", "loop.index0", "loop.first", "loop.last", "loop.length",
                        "loop.revindex", "loop.previtem", "message.role", "message['content']", "messages[0].content",
                        "ns.x", "f('y')", "range(" + number() + ")|list", "message.content.split('<')[0]"));
            };
        }

        private String atom() {
            return switch (random.nextInt(5)) {
                case 0 -> pick(NAMES);
                case 1 -> number();
                case 2 -> pick(List.of("'user'", "'<|im_start|>'", "''", "'\\n'", "\"a \\\"q\\\"\"", "'🙂'"));
                case 3 -> pick(List.of("true", "false", "none", "True", "None"));
                default -> pick(List.of("messages", "message", "bos_token", "add_generation_prompt"));
            };
        }

        private String number() {
            return pick(List.of("0", "1", "2", "-1", "3", "10", "100000", "4294967297", "2.5", "1e10", "-0.0"));
        }

        private String text() {
            return pick(List.of("", "Hello", " ", "\n", "<|im_end|>\n", "{ not a tag }", "}}", "%}", "\t"));
        }

        private String dash() {
            return random.nextInt(4) == 0 ? "-" : "";
        }

        private String pick(List<String> options) {
            return options.get(random.nextInt(options.size()));
        }
    }
}
