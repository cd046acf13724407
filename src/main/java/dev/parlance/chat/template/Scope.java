package dev.parlance.chat.template;

import java.util.HashMap;
import java.util.Map;

/**
 * One frame of variables. A for loop body and a macro call get a child frame, so a
 * {@code {% set %}} inside them does not leak out (jinja2 scoping); {@code if} blocks share their
 * parent's frame.
 */
final class Scope {
    private final Scope parent;
    private final Map<String, Object> vars;

    private Scope(Scope parent, Map<String, Object> vars) {
        this.parent = parent;
        this.vars = vars;
    }

    static Scope root(Map<String, Object> vars) {
        return new Scope(null, new HashMap<>(vars));
    }

    Scope child() {
        return new Scope(this, new HashMap<>());
    }

    /** The innermost binding of {@code name}, or an {@link Undefined} naming it. */
    Object lookup(String name) {
        for (Scope s = this; s != null; s = s.parent) {
            if (s.vars.containsKey(name)) {
                return s.vars.get(name);
            }
        }
        return new Undefined(name);
    }

    void set(String name, Object value) {
        vars.put(name, value);
    }
}
