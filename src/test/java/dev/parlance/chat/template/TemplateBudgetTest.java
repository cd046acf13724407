package dev.parlance.chat.template;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Hostile templates (issue 14) end with a clear error instead of hanging or exhausting memory. */
class TemplateBudgetTest {
    private static final String MODEL = "Hostile-1B";

    /** Limits that only a cancel can reach: the render would otherwise run for a very long time. */
    private static final RenderLimits UNREACHABLE = new RenderLimits(Long.MAX_VALUE, Integer.MAX_VALUE,
            Duration.ofDays(1), 100);

    /** Loops whose bodies never end on their own; the first step calls {@code started()}. */
    private static final String ENDLESS = "{% for i in range(100000) %}{% for j in range(100000) %}"
            + "{% for k in range(100000) %}{{ started() if i + j + k == 0 }}{% endfor %}{% endfor %}{% endfor %}";

    private static String render(String source, RenderLimits limits) {
        return Template.compile(source).render(Map.of(), limits, MODEL, () -> false);
    }

    static Stream<Arguments> hostileTemplates() {
        return Stream.of(
                Arguments.of("nested range(100000) loops",
                        "{% for i in range(100000) %}{% for j in range(100000) %}{{ j }}{% endfor %}{% endfor %}",
                        "step budget (1,000,000 steps)"),
                Arguments.of("nested loops that print nothing",
                        "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
                        "step budget (1,000,000 steps)"),
                Arguments.of("a huge repetition", "{{ 'x' * 10000000000 }}",
                        "output budget (64,000,000 characters)"),
                Arguments.of("a repetition count that wraps to 1 as a 32-bit int", "{{ 'x' * 4294967297 }}",
                        "output budget (64,000,000 characters)"),
                Arguments.of("a repetition count on the left that wraps to 1", "{{ 4294967297 * 'ab' }}",
                        "output budget (64,000,000 characters)"),
                Arguments.of("a huge list repetition", "{{ (['x'] * 4294967297)|length }}",
                        "step budget (1,000,000 steps)"),
                Arguments.of("doubling a string 60 times with ~",
                        "{% set ns = namespace(s='x') %}{% for i in range(60) %}{% set ns.s = ns.s ~ ns.s %}"
                                + "{% endfor %}{{ ns.s|length }}",
                        "output budget (64,000,000 characters)"),
                Arguments.of("doubling a string 60 times with +",
                        "{% set ns = namespace(s='x') %}{% for i in range(60) %}{% set ns.s = ns.s + ns.s %}"
                                + "{% endfor %}{{ ns.s|length }}",
                        "output budget (64,000,000 characters)"),
                Arguments.of("doubling a list 60 times",
                        "{% set ns = namespace(l=[1]) %}{% for i in range(60) %}{% set ns.l = ns.l + ns.l %}"
                                + "{% endfor %}{{ ns.l|length }}",
                        "step budget (1,000,000 steps)"),
                Arguments.of("keeping many big strings at once",
                        "{% set ns = namespace(l=[]) %}{% for i in range(100000) %}"
                                + "{% set ns.l = ns.l + ['x' * 10000000] %}{% endfor %}",
                        "output budget (64,000,000 characters)"),
                Arguments.of("a capture that doubles",
                        "{% set ns = namespace(s='x') %}{% for i in range(60) %}{% set s %}{{ ns.s }}{{ ns.s }}"
                                + "{% endset %}{% set ns.s = s %}{% endfor %}",
                        "output budget (64,000,000 characters)"),
                Arguments.of("join with a long separator", "{{ ('x' * 100000)|list|join('y' * 1000) }}",
                        "output budget (64,000,000 characters)"),
                Arguments.of("str.join with a long separator", "{{ ('y' * 1000).join(('x' * 100000)|list) }}",
                        "output budget (64,000,000 characters)"),
                Arguments.of("format repeating a long argument",
                        "{{ '{0}{0}{0}{0}'.format('x' * 20000000) }}", "output budget (64,000,000 characters)"),
                Arguments.of("%-formatting a long argument",
                        "{% set s = 'x' * 20000000 %}{{ '%s%s%s%s' % (s, s, s, s) }}",
                        "output budget (64,000,000 characters)"),
                Arguments.of("replace that multiplies", "{{ ('x' * 1000000).replace('x', 'y' * 100) }}",
                        "output budget (64,000,000 characters)"),
                Arguments.of("printing a list repeated many times",
                        "{% set s = 'x' * 1000000 %}{{ [s] * 1000 }}", "output budget (64,000,000 characters)"),
                Arguments.of("tojson of a list repeated many times",
                        "{% set s = 'x' * 1000000 %}{{ ([s] * 1000)|tojson }}",
                        "output budget (64,000,000 characters)"),
                Arguments.of("indent by ten billion spaces", "{{ 'a\\nb'|indent(10000000000) }}",
                        "output budget (64,000,000 characters)"),
                Arguments.of("iterating a huge string", "{% for c in 'x' * 60000000 %}{% endfor %}",
                        "step budget (1,000,000 steps)"),
                Arguments.of("unique over a long list", "{{ range(100000)|unique|length }}",
                        "step budget (1,000,000 steps)"),
                Arguments.of("recursion through a macro",
                        "{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}",
                        "depth budget (100 nested macro calls)"),
                Arguments.of("mutual recursion through macros",
                        "{% macro a() %}{{ b() }}{% endmacro %}{% macro b() %}{{ a() }}{% endmacro %}{{ a() }}",
                        "depth budget (100 nested macro calls)"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("hostileTemplates")
    void hostileTemplateFailsWithTheBudgetItExceeded(String name, String source, String budget) {
        assertThatThrownBy(() -> render(source, RenderLimits.DEFAULT))
                .isInstanceOf(BudgetExceededException.class)
                .hasMessage("the chat template of " + MODEL + " exceeded its " + budget);
    }

    @Test
    void aSlowTemplateFailsWithTheTimeBudget() {
        RenderLimits fiftyMillis = new RenderLimits(Long.MAX_VALUE, Integer.MAX_VALUE, Duration.ofMillis(50), 100);
        assertThatThrownBy(() -> Template.compile(ENDLESS).render(Map.of("started", (Callable) (a, k) -> ""),
                fiftyMillis, MODEL, () -> false))
                .isInstanceOf(BudgetExceededException.class)
                .hasMessage("the chat template of " + MODEL + " exceeded its time budget (50 ms)")
                .extracting(e -> ((BudgetExceededException) e).kind())
                .isEqualTo(BudgetExceededException.Kind.TIME);
    }

    @Test
    void withoutAModelNameTheErrorNamesTheChatTemplate() {
        assertThatThrownBy(() -> Template.compile("{{ 'x' * 10000000000 }}").render(Map.of()))
                .isInstanceOf(BudgetExceededException.class)
                .hasMessage("the chat template exceeded its output budget (64,000,000 characters)");
    }

    @Test
    void limitsAreChosenPerRender() {
        RenderLimits small = new RenderLimits(10, 100, Duration.ofSeconds(5), 2);
        assertThatThrownBy(() -> render("{% for i in range(11) %}{% endfor %}", small))
                .hasMessageEndingWith("exceeded its step budget (10 steps)");
        assertThatThrownBy(() -> render("{{ 'x' * 51 }}", small))
                .hasMessageEndingWith("exceeded its output budget (100 characters)");
        assertThat(render("{{ 'x' * 50 }}", small)).as("50 characters built, then 50 written").hasSize(50);
        assertThatThrownBy(() -> render("{% macro f(n) %}{{ f(n - 1) if n }}{% endmacro %}{{ f(2) }}", small))
                .hasMessageEndingWith("exceeded its depth budget (2 nested macro calls)");
        assertThat(render("{% macro f(n) %}{{ n }}{{ f(n - 1) if n }}{% endmacro %}{{ f(1) }}", small))
                .isEqualTo("10");
    }

    @Test
    void aRenderCancelledFromAnotherThreadEndsPromptly() throws Exception {
        AtomicBoolean cancelled = new AtomicBoolean();
        CompletableFuture<String> result = renderEndlesslyOnAThread(cancelled::get, null);
        cancelled.set(true);
        assertThatFailsWith(result, "rendering the chat template of " + MODEL + " was cancelled");
    }

    @Test
    void interruptingTheRenderingThreadCancelsIt() throws Exception {
        Thread[] worker = new Thread[1];
        CompletableFuture<String> result = renderEndlesslyOnAThread(() -> false, worker);
        worker[0].interrupt();
        assertThatFailsWith(result, "rendering the chat template of " + MODEL + " was cancelled");
    }

    /** Starts the endless template on a new thread and returns once it is rendering. */
    private static CompletableFuture<String> renderEndlesslyOnAThread(BooleanSupplier cancelled, Thread[] worker)
            throws InterruptedException {
        CountDownLatch started = new CountDownLatch(1);
        Callable signal = (a, k) -> {
            started.countDown();
            return "";
        };
        CompletableFuture<String> result = new CompletableFuture<>();
        Thread thread = new Thread(() -> {
            try {
                result.complete(Template.compile(ENDLESS).render(Map.of("started", signal), UNREACHABLE, MODEL,
                        cancelled));
            } catch (RuntimeException e) {
                result.completeExceptionally(e);
            }
        }, "render");
        if (worker != null) {
            worker[0] = thread;
        }
        thread.start();
        assertThat(started.await(30, TimeUnit.SECONDS)).as("the render started").isTrue();
        return result;
    }

    private static void assertThatFailsWith(CompletableFuture<String> result, String message) {
        assertThatThrownBy(() -> result.get(30, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class)
                .cause()
                .isInstanceOf(RenderCancelledException.class)
                .hasMessage(message);
    }

    @Test
    void aHugePowerIsComputedBySquaringInsteadOfLooping() {
        assertThat(render("{{ 7 ** 3 }} {{ 2 ** 10000000000 }} {{ 3 ** 41 }}", RenderLimits.DEFAULT))
                .isEqualTo("343 0 " + powerByRepeatedProduct(3, 41));
    }

    private static long powerByRepeatedProduct(long base, int exponent) {
        long result = 1;
        for (int i = 0; i < exponent; i++) {
            result *= base;
        }
        return result;
    }

    @Test
    void aRangeWhoseSpanOverflowsALongIsTooBig() {
        assertThatThrownBy(() -> render("{{ range(-9000000000000000000, 9000000000000000000)|length }}",
                RenderLimits.DEFAULT))
                .isInstanceOf(TemplateException.class)
                .hasMessageContaining("range too big");
    }

    @Test
    void rangesNearTheEndOfLongStopAtTheirEnd() {
        assertThat(render("{{ range(9223372036854775800, 9223372036854775807, 4)|list }}", RenderLimits.DEFAULT))
                .isEqualTo("[9223372036854775800, 9223372036854775804]");
    }

    @Test
    void stringIndexingAndSlicingStillCountCodePoints() {
        assertThat(render("{{ 'a😀b'[1] }}|{{ 'a😀b'[-1] }}|{{ 'a😀bc'[1:3] }}|{{ 'a😀bc'[::-2] }}",
                RenderLimits.DEFAULT)).isEqualTo("😀|b|😀b|c😀");
    }
}
