package dev.parlance.chat.template;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.function.BooleanSupplier;

/**
 * A compiled Jinja template, rendered the way Python jinja2 renders it when transformers'
 * {@code apply_chat_template} sets it up: {@code trim_blocks} and {@code lstrip_blocks} on, no
 * autoescaping, undefined values printing as empty, loop controls enabled and
 * {@code {% generation %}} rendered as its body.
 *
 * <p>Values passed in are data: a message containing {@code {{ 7*7 }}} prints those characters,
 * because only the template source is ever parsed. A compiled template is immutable and may be
 * rendered from several threads at once.
 */
public final class Template {
    private final List<Stmt> body;
    private final Set<String> names;

    private Template(List<Stmt> body, Set<String> names) {
        this.body = body;
        this.names = names;
    }

    /**
     * Parses template source.
     *
     * @throws TemplateException on a syntax error, naming the line
     */
    public static Template compile(String source) {
        List<Stmt> body = Parser.parse(source);
        Set<String> names = Lexer.tokenize(source).stream()
                .filter(token -> token.kind() == Lexer.Kind.NAME)
                .map(Lexer.Token::value)
                .collect(Collectors.toUnmodifiableSet());
        return new Template(body, names);
    }

    /**
     * Whether the template's code (its tags and expressions, not its text or comments) mentions
     * this name, as a variable, attribute or keyword: how a caller learns that a template reads an
     * optional variable such as {@code enable_thinking}.
     */
    public boolean mentions(String name) {
        return names.contains(name);
    }

    /**
     * Renders the template within {@link RenderLimits#DEFAULT}; the thread's interrupt status
     * cancels it.
     *
     * @param variables the template's variables (not mutated). Values may be String, Boolean,
     *     any Number, null (None), List, Map with String keys, or {@link Callable} for functions
     *     such as {@code raise_exception}; a name that is absent is undefined in the template.
     * @return the rendered text
     * @throws TemplateException when rendering fails, including the template's own
     *     {@code raise_exception}, a {@link BudgetExceededException} and a
     *     {@link RenderCancelledException}
     */
    public String render(Map<String, ?> variables) {
        return render(variables, RenderLimits.DEFAULT, null, () -> false);
    }

    /**
     * Renders the template within limits, cancellable from another thread.
     *
     * @param variables the template's variables, as for {@link #render(Map)} (not mutated)
     * @param limits what the render may spend
     * @param modelName the model whose template this is, named in budget and cancel errors
     *     ("the chat template of {@code modelName} exceeded its step budget ..."), or null
     * @param cancelled polled at every step, as is the thread's interrupt status (which is left
     *     set); when either says so the render ends with a {@link RenderCancelledException}
     * @return the rendered text
     * @throws TemplateException when rendering fails, as for {@link #render(Map)}
     */
    public String render(Map<String, ?> variables, RenderLimits limits, String modelName, BooleanSupplier cancelled) {
        Map<String, Object> all = new LinkedHashMap<>(Builtins.globals());
        variables.forEach((name, value) -> all.put(name, toValue(value)));
        String subject = modelName == null ? "the chat template" : "the chat template of " + modelName;
        Budget budget = new Budget(limits, subject, cancelled);
        return ScopedValue.where(Budget.CURRENT, budget).call(() -> renderAll(all));
    }

    private String renderAll(Map<String, Object> variables) {
        StringBuilder out = new StringBuilder();
        try {
            Stmt.renderAll(body, Scope.root(variables), out);
        } catch (LoopControl c) {
            throw new TemplateException("'break' or 'continue' outside of a loop");
        } catch (StackOverflowError e) {
            throw new TemplateException("template recursion too deep");
        }
        return out.toString();
    }

    /** Converts caller values to the ones the engine works with (Long for ints, Double for floats). */
    private static Object toValue(Object v) {
        if (v instanceof Integer || v instanceof Short || v instanceof Byte) {
            return ((Number) v).longValue();
        }
        if (v instanceof Float) {
            return ((Float) v).doubleValue();
        }
        if (v instanceof Map) {
            Map<Object, Object> out = new LinkedHashMap<>();
            ((Map<?, ?>) v).forEach((key, value) -> out.put(toValue(key), toValue(value)));
            return out;
        }
        if (v instanceof List) {
            List<Object> out = new ArrayList<>();
            for (Object o : (List<?>) v) {
                out.add(toValue(o));
            }
            return out;
        }
        if (v == null || v instanceof String || v instanceof Boolean || v instanceof Long || v instanceof Double
                || v instanceof Callable) {
            return v;
        }
        if (v instanceof CharSequence || v instanceof Enum) {
            return v.toString();
        }
        throw new IllegalArgumentException("unsupported template value type: " + v.getClass().getName());
    }
}
