package dev.parlance.chat.template;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Statement nodes of a parsed template; each appends its output to a StringBuilder. */
interface Stmt {
    void render(Scope scope, StringBuilder out);

    static void renderAll(List<Stmt> body, Scope scope, StringBuilder out) {
        for (Stmt s : body) {
            s.render(scope, out);
        }
    }

    /** A statement with the template line it starts on, so that rendering errors can name it. */
    record Located(int line, Stmt inner) implements Stmt {
        @Override
        public void render(Scope scope, StringBuilder out) {
            try {
                inner.render(scope, out);
            } catch (TemplateException e) {
                throw e.at(line);
            } catch (LoopControl c) {
                throw c;
            } catch (ClassCastException | NullPointerException e) {
                // a value of the wrong type reached a method or filter (Python would raise TypeError);
                // Java's own message would name Java classes, which say nothing to a template's author
                throw new TemplateException("template error: a value of the wrong type for this operation", e).at(line);
            } catch (RuntimeException e) {
                throw new TemplateException("template error: " + (e.getMessage() == null
                        ? "the operation failed" : e.getMessage()), e).at(line);
            }
        }
    }

    /** Literal template text; message content never becomes one of these, so it is never evaluated. */
    record Text(String text) implements Stmt {
        @Override
        public void render(Scope scope, StringBuilder out) {
            Budget.write(out, text);
        }
    }

    /** {@code {{ expr }}}: prints Python's str() of the value; undefined prints nothing. */
    record Output(Expr expr) implements Stmt {
        @Override
        public void render(Scope scope, StringBuilder out) {
            Budget.write(out, Py.str(expr.eval(scope)));
        }
    }

    /** {@code if / elif / else}: conditions.get(i) guards bodies.get(i); the last body may be the else. */
    record If(List<Expr> conditions, List<List<Stmt>> bodies) implements Stmt {
        @Override
        public void render(Scope scope, StringBuilder out) {
            for (int i = 0; i < bodies.size(); i++) {
                if (i >= conditions.size() || Py.truthy(conditions.get(i).eval(scope))) {
                    renderAll(bodies.get(i), scope, out);
                    return;
                }
            }
        }
    }

    /**
     * {@code for targets in iterable [if filter]} with an optional else body. Each iteration runs in
     * a fresh child scope, so assignments in the body stay inside the loop.
     */
    record For(List<String> targets, Expr iterable, Expr filter, List<Stmt> body, List<Stmt> orElse)
            implements Stmt {
        @Override
        public void render(Scope scope, StringBuilder out) {
            Object source = iterable.eval(scope);
            if (source == null) {
                throw new TemplateException("'NoneType' object is not iterable");
            }
            List<Object> items = new ArrayList<>();
            for (Object item : Py.iterate(source)) {
                Budget.step();
                if (filter == null || Py.truthy(filter.eval(bind(scope.child(), item)))) {
                    items.add(item);
                }
            }
            if (items.isEmpty()) {
                renderAll(orElse, scope, out);
                return;
            }
            Loop loop = new Loop(items);
            for (int i = 0; i < items.size(); i++) {
                Budget.step();
                loop.index0 = i;
                Scope inner = bind(scope.child(), items.get(i));
                inner.set("loop", loop);
                try {
                    renderAll(body, inner, out);
                } catch (LoopControl.Continue c) {
                    // next iteration
                } catch (LoopControl.Break b) {
                    break;
                }
            }
        }

        private Scope bind(Scope inner, Object item) {
            if (targets.size() == 1) {
                inner.set(targets.get(0), item);
                return inner;
            }
            List<Object> parts = Py.iterate(item);
            if (parts.size() != targets.size()) {
                throw new TemplateException("cannot unpack " + parts.size() + " values into " + targets.size());
            }
            for (int i = 0; i < targets.size(); i++) {
                inner.set(targets.get(i), parts.get(i));
            }
            return inner;
        }
    }

    /** {@code {% set a = expr %}} or {@code {% set a, b = expr %}}. */
    record Set(List<String> targets, Expr value) implements Stmt {
        @Override
        public void render(Scope scope, StringBuilder out) {
            Object v = value.eval(scope);
            if (targets.size() == 1) {
                scope.set(targets.get(0), v);
                return;
            }
            List<Object> parts = Py.iterate(v);
            if (parts.size() != targets.size()) {
                throw new TemplateException("cannot unpack " + parts.size() + " values into " + targets.size());
            }
            for (int i = 0; i < targets.size(); i++) {
                scope.set(targets.get(i), parts.get(i));
            }
        }
    }

    /** {@code {% set ns.attr = expr %}}: only a namespace() accepts it. */
    record SetAttribute(String target, String attribute, Expr value) implements Stmt {
        @Override
        public void render(Scope scope, StringBuilder out) {
            Object ns = scope.lookup(target);
            if (!(ns instanceof Namespace)) {
                throw new TemplateException("cannot assign attribute on non-namespace object");
            }
            ((Namespace) ns).attributes.put(attribute, value.eval(scope));
        }
    }

    /** {@code {% set name %}...{% endset %}}: captures the rendered body as a string. */
    record SetBlock(String target, List<Stmt> body) implements Stmt {
        @Override
        public void render(Scope scope, StringBuilder out) {
            StringBuilder captured = new StringBuilder();
            renderAll(body, scope, captured);
            scope.set(target, captured.toString());
        }
    }

    /** A block rendered as is: {@code {% generation %}} (transformers' assistant-mask marker). */
    record Block(List<Stmt> body) implements Stmt {
        @Override
        public void render(Scope scope, StringBuilder out) {
            renderAll(body, scope, out);
        }
    }

    /** {@code {% macro name(params) %}}: defines a callable that renders its body to a string. */
    record Macro(String name, List<String> params, Map<String, Expr> defaults, List<Stmt> body) implements Stmt {
        @Override
        public void render(Scope scope, StringBuilder out) {
            scope.set(name, bind(scope));
        }

        /** This macro as a callable whose free names resolve in {@code definedIn}. */
        Callable bind(Scope definedIn) {
            return (args, kwargs) -> Budget.nested(() -> call(definedIn, args, kwargs));
        }

        private String call(Scope definedIn, List<Object> args, Map<String, Object> kwargs) {
            Scope inner = definedIn.child();
            Map<String, Object> extraKeywords = new LinkedHashMap<>(kwargs);
            params.forEach(extraKeywords::remove);
            if (extraKeywords.containsKey("caller")) {
                inner.set("caller", extraKeywords.remove("caller"));
            }
            inner.set("kwargs", extraKeywords);
            // parameters shadow outer names even inside defaults: m(x=x) defaults to undefined
            for (String p : params) {
                inner.set(p, new Undefined(p));
            }
            List<Object> varargs = new ArrayList<>();
            for (int i = 0; i < args.size(); i++) {
                if (i < params.size()) {
                    inner.set(params.get(i), args.get(i));
                } else {
                    varargs.add(args.get(i));
                }
            }
            for (int i = args.size(); i < params.size(); i++) {
                String p = params.get(i);
                if (kwargs.containsKey(p)) {
                    inner.set(p, kwargs.get(p));
                } else if (defaults.containsKey(p)) {
                    inner.set(p, defaults.get(p).eval(inner));
                }
            }
            inner.set("varargs", new Tuple(varargs));
            StringBuilder sb = new StringBuilder();
            renderAll(body, inner, sb);
            return sb.toString();
        }
    }

    /** {@code {% call macro(args) %}body{% endcall %}}: calls the macro with the body as {@code caller}. */
    record CallBlock(Expr.Call call, Macro caller) implements Stmt {
        @Override
        public void render(Scope scope, StringBuilder out) {
            Map<String, Object> kwargs = Expr.evalAll(call.kwargs(), scope);
            kwargs.put("caller", caller.bind(scope));
            Object result = Expr.invoke(call.function().eval(scope), Expr.evalAll(call.args(), scope), kwargs);
            Budget.write(out, Py.str(result));
        }
    }

    /** {@code {% filter f %}body{% endfilter %}}: renders the body, then applies the filters to it. */
    record FilterBlock(Expr filters, List<Stmt> body) implements Stmt {
        /** The name the rendered body is bound to; not an identifier, so no template can shadow it. */
        static final String BODY = "(filter body)";

        @Override
        public void render(Scope scope, StringBuilder out) {
            StringBuilder captured = new StringBuilder();
            renderAll(body, scope, captured);
            Scope inner = scope.child();
            inner.set(BODY, captured.toString());
            Budget.write(out, Py.str(filters.eval(inner)));
        }
    }

    /** {@code {% break %}} and {@code {% continue %}} (jinja2.ext.loopcontrols). */
    record Control(boolean isBreak) implements Stmt {
        @Override
        public void render(Scope scope, StringBuilder out) {
            throw isBreak ? LoopControl.BREAK : LoopControl.CONTINUE;
        }
    }
}
