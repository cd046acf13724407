package dev.parlance.chat.template;

import java.util.List;
import java.util.Map;

/** Anything a template can call: a global function, a bound string method, a macro. */
@FunctionalInterface
public interface Callable {
    /**
     * Calls it.
     *
     * @param args positional arguments, already evaluated (not mutated)
     * @param kwargs keyword arguments in call order, already evaluated (not mutated)
     * @return the result, never Java {@code null} unless the Python result is {@code None}
     */
    Object call(List<Object> args, Map<String, Object> kwargs);
}
