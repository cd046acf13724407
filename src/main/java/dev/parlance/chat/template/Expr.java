package dev.parlance.chat.template;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Expression nodes of a parsed template; each evaluates itself against a {@link Scope}. */
interface Expr {
    Object eval(Scope scope);

    /** A constant: string, number, boolean or None. */
    record Literal(Object value) implements Expr {
        @Override
        public Object eval(Scope scope) {
            return value;
        }
    }

    record Name(String name) implements Expr {
        @Override
        public Object eval(Scope scope) {
            return scope.lookup(name);
        }
    }

    /** A list literal (a fresh mutable list each time) or a tuple literal. */
    record ListLiteral(List<Expr> items, boolean isTuple) implements Expr {
        @Override
        public Object eval(Scope scope) {
            List<Object> out = evalAll(items, scope);
            return isTuple ? new Tuple(out) : out;
        }
    }

    record DictLiteral(List<Expr> keys, List<Expr> values) implements Expr {
        @Override
        public Object eval(Scope scope) {
            Map<Object, Object> out = new LinkedHashMap<>();
            for (int i = 0; i < keys.size(); i++) {
                out.put(Py.normalizeKey(keys.get(i).eval(scope)), values.get(i).eval(scope));
            }
            return out;
        }
    }

    /** {@code x.name}: attribute first, then item, as jinja2's {@code getattr}. */
    record GetAttr(Expr target, String name) implements Expr {
        @Override
        public Object eval(Scope scope) {
            return Builtins.getattr(target.eval(scope), name);
        }
    }

    /** {@code x[key]}: item first, then attribute, as jinja2's {@code getitem}. */
    record GetItem(Expr target, Expr key) implements Expr {
        @Override
        public Object eval(Scope scope) {
            return Builtins.getitem(target.eval(scope), key.eval(scope));
        }
    }

    /** {@code x[start:stop:step]} with Python semantics; absent parts are null. */
    record Slice(Expr target, Expr start, Expr stop, Expr step) implements Expr {
        @Override
        public Object eval(Scope scope) {
            return Budget.charge(
                    Builtins.slice(target.eval(scope), part(start, scope), part(stop, scope), part(step, scope)));
        }

        private static Object part(Expr e, Scope scope) {
            return e == null ? null : e.eval(scope);
        }
    }

    record Call(Expr function, List<Expr> args, Map<String, Expr> kwargs) implements Expr {
        @Override
        public Object eval(Scope scope) {
            return invoke(function.eval(scope), evalAll(args, scope), evalAll(kwargs, scope));
        }
    }

    /** {@code value | name(args)}. */
    record Filter(Expr value, String name, List<Expr> args, Map<String, Expr> kwargs) implements Expr {
        @Override
        public Object eval(Scope scope) {
            return Builtins.filter(name, value.eval(scope), evalAll(args, scope), evalAll(kwargs, scope));
        }
    }

    /** {@code value is [not] name(args)}. */
    record Test(Expr value, String name, List<Expr> args, boolean negated) implements Expr {
        @Override
        public Object eval(Scope scope) {
            return negated != Builtins.test(name, value.eval(scope), evalAll(args, scope));
        }
    }

    record Not(Expr operand) implements Expr {
        @Override
        public Object eval(Scope scope) {
            return !Py.truthy(operand.eval(scope));
        }
    }

    record Negate(Expr operand) implements Expr {
        @Override
        public Object eval(Scope scope) {
            Object v = operand.eval(scope);
            if (v instanceof Double) {
                return -(Double) v;
            }
            if (Py.isInteger(v)) {
                return -Py.toLong(v);
            }
            throw new TemplateException("bad operand type for unary -: '" + Py.typeName(v) + "'");
        }
    }

    /** {@code a and b}, {@code a or b}: short-circuit, returning an operand as Python does. */
    record Logical(boolean isAnd, Expr left, Expr right) implements Expr {
        @Override
        public Object eval(Scope scope) {
            Object l = left.eval(scope);
            if (Py.truthy(l) != isAnd) {
                return l;
            }
            return right.eval(scope);
        }
    }

    record Binary(String op, Expr left, Expr right) implements Expr {
        @Override
        public Object eval(Scope scope) {
            return Operators.apply(op, left.eval(scope), right.eval(scope));
        }
    }

    /** {@code a if cond else b}; without {@code else} the result is undefined. */
    record Conditional(Expr condition, Expr then, Expr otherwise) implements Expr {
        @Override
        public Object eval(Scope scope) {
            if (Py.truthy(condition.eval(scope))) {
                return then.eval(scope);
            }
            return otherwise == null ? new Undefined("else") : otherwise.eval(scope);
        }
    }

    /** {@code *items} or {@code **mapping} in a call's arguments, spread when the call is evaluated. */
    record Splat(Expr value) implements Expr {
        @Override
        public Object eval(Scope scope) {
            return value.eval(scope);
        }
    }

    /** Evaluates positional arguments, spreading {@code *items}. */
    static List<Object> evalAll(List<Expr> exprs, Scope scope) {
        List<Object> out = new ArrayList<>(exprs.size());
        for (Expr e : exprs) {
            if (e instanceof Splat) {
                out.addAll(Py.iterate(e.eval(scope)));
            } else {
                out.add(e.eval(scope));
            }
        }
        return out;
    }

    /** Evaluates keyword arguments, spreading {@code **mapping} (held under keys starting with "**"). */
    static Map<String, Object> evalAll(Map<String, Expr> exprs, Scope scope) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (Map.Entry<String, Expr> e : exprs.entrySet()) {
            Object value = e.getValue().eval(scope);
            if (e.getValue() instanceof Splat) {
                if (!(value instanceof Map)) {
                    throw new TemplateException("argument after ** must be a mapping, not " + Py.typeName(value));
                }
                ((Map<?, ?>) value).forEach((k, v) -> out.put(Py.str(k), v));
            } else {
                out.put(e.getKey(), value);
            }
        }
        return out;
    }

    /** Calls a value, failing as Python does when it is not callable. */
    static Object invoke(Object f, List<Object> args, Map<String, Object> kwargs) {
        Budget.step();
        if (!(f instanceof Callable)) {
            if (f instanceof Undefined) {
                throw ((Undefined) f).error();
            }
            throw new TemplateException("'" + Py.typeName(f) + "' object is not callable");
        }
        return ((Callable) f).call(args, kwargs);
    }
}
