package dev.parlance.chat.template;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/** jinja2's attribute and item lookup, its built-in filters and tests, and its global functions. */
final class Builtins {
    /** The largest range() the sandbox allows, as jinja2's {@code sandbox.MAX_RANGE}. */
    private static final long MAX_RANGE = 100_000;

    /** What the {@code wordcount} filter counts, as jinja2's {@code \w+}. */
    private static final Pattern WORD = Pattern.compile("\\w+", Pattern.UNICODE_CHARACTER_CLASS);

    private Builtins() {
    }

    /** The globals every template sees besides the caller's variables. */
    static Map<String, Object> globals() {
        Map<String, Object> g = new LinkedHashMap<>();
        g.put("namespace", (Callable) Builtins::namespace);
        g.put("range", (Callable) (a, k) -> range(a));
        g.put("dict", (Callable) (a, k) -> new LinkedHashMap<Object, Object>(k));
        g.put("joiner", (Callable) (a, k) -> joiner(a.isEmpty() ? k.getOrDefault("sep", ", ") : a.get(0)));
        return g;
    }

    private static Namespace namespace(List<Object> args, Map<String, Object> kwargs) {
        Namespace ns = new Namespace();
        for (Object a : args) {
            if (!(a instanceof Map)) {
                throw new TemplateException("namespace() takes a mapping as positional argument");
            }
            ((Map<?, ?>) a).forEach((key, value) -> ns.attributes.put(Py.str(key), value));
        }
        ns.attributes.putAll(kwargs);
        return ns;
    }

    /** jinja2's {@code joiner(sep)}: a callable returning "" the first time and sep afterwards. */
    private static Callable joiner(Object separator) {
        boolean[] used = {false};
        return (a, k) -> {
            if (used[0]) {
                return separator;
            }
            used[0] = true;
            return "";
        };
    }

    private static List<Object> range(List<Object> a) {
        long start = a.size() > 1 ? Py.toLong(a.get(0)) : 0;
        long stop = Py.toLong(a.size() > 1 ? a.get(1) : a.get(0));
        long step = a.size() > 2 ? Py.toLong(a.get(2)) : 1;
        if (step == 0) {
            throw new TemplateException("range() arg 3 must not be zero");
        }
        long size;
        try {
            size = Math.max(0, Math.ceilDivExact(Math.subtractExact(stop, start), step));
        } catch (ArithmeticException e) {
            size = Long.MAX_VALUE;
        }
        if (size > MAX_RANGE) {
            // jinja2's sandbox refuses such ranges too, so a template cannot exhaust memory
            throw new TemplateException("range too big: " + (size == Long.MAX_VALUE ? "more than 2^63" : size)
                    + " items, the limit is " + MAX_RANGE);
        }
        Budget.steps(size);
        List<Object> out = new ArrayList<>();
        for (long k = 0; k < size; k++) {
            out.add(start + k * step);
        }
        return out;
    }

    /** {@code obj.name}: a method or attribute of the object, else the item of that name. */
    static Object getattr(Object obj, String name) {
        if (obj instanceof Undefined) {
            throw ((Undefined) obj).error();
        }
        if (obj instanceof Map) {
            Map<?, ?> map = (Map<?, ?>) obj;
            Callable method = dictMethod(map, name);
            if (method != null) {
                return method;
            }
            return map.containsKey(name) ? map.get(name) : new Undefined(name);
        }
        if (obj instanceof String) {
            Callable method = Strings.method((String) obj, name);
            return method != null ? method : new Undefined(name);
        }
        if (obj instanceof Namespace) {
            Map<String, Object> attrs = ((Namespace) obj).attributes;
            return attrs.containsKey(name) ? attrs.get(name) : new Undefined(name);
        }
        if (obj instanceof Loop) {
            return ((Loop) obj).attribute(name);
        }
        return new Undefined(name);
    }

    private static Callable dictMethod(Map<?, ?> map, String name) {
        switch (name) {
            case "items": return (a, k) -> items(map);
            case "keys": return (a, k) -> new ArrayList<Object>(map.keySet());
            case "values": return (a, k) -> new ArrayList<Object>(map.values());
            case "get": return (a, k) -> {
                Object key = Py.normalizeKey(a.get(0));
                return map.containsKey(key) ? map.get(key) : a.size() > 1 ? a.get(1) : null;
            };
            default: return null;
        }
    }

    private static List<Object> items(Map<?, ?> map) {
        List<Object> out = new ArrayList<>();
        map.forEach((key, value) -> out.add(Tuple.of(key, value)));
        return out;
    }

    /** {@code obj[key]}: the item, else an attribute of that name (jinja2's {@code getitem}). */
    static Object getitem(Object obj, Object key) {
        if (obj instanceof Undefined) {
            throw ((Undefined) obj).error();
        }
        if (obj instanceof Map) {
            Map<?, ?> map = (Map<?, ?>) obj;
            Object k = Py.normalizeKey(key);
            if (map.containsKey(k)) {
                return map.get(k);
            }
        } else if (obj instanceof List<?> seq && Py.isInteger(key)) {
            long i = Py.toLong(key);
            if (i < 0) {
                i += seq.size();
            }
            return i >= 0 && i < seq.size() ? seq.get((int) i) : new Undefined(String.valueOf(key));
        } else if (obj instanceof String text && Py.isInteger(key)) {
            int[] codePoints = text.codePoints().toArray();
            long i = Py.toLong(key);
            if (i < 0) {
                i += codePoints.length;
            }
            return i >= 0 && i < codePoints.length ? Character.toString(codePoints[(int) i])
                    : new Undefined(String.valueOf(key));
        }
        if (key instanceof String) {
            return getattr(obj, (String) key);
        }
        return new Undefined(Py.str(key));
    }

    /** Python slicing of a list or string; null bounds are omitted ones. */
    static Object slice(Object obj, Object startArg, Object stopArg, Object stepArg) {
        if (obj instanceof Undefined) {
            throw ((Undefined) obj).error();
        }
        boolean isString = obj instanceof String;
        int[] codePoints = isString ? ((String) obj).codePoints().toArray() : null;
        List<?> seq = obj instanceof List ? (List<?>) obj : null;
        if (!isString && seq == null) {
            throw new TemplateException("'" + Py.typeName(obj) + "' object is not subscriptable");
        }
        int n = isString ? codePoints.length : seq.size();
        long step = stepArg == null ? 1 : Py.toLong(stepArg);
        if (step == 0) {
            throw new TemplateException("slice step cannot be zero");
        }
        long start;
        long stop;
        if (step > 0) {
            start = startArg == null ? 0 : clamp(Py.toLong(startArg), n, 0, n);
            stop = stopArg == null ? n : clamp(Py.toLong(stopArg), n, 0, n);
        } else {
            start = startArg == null ? n - 1 : clamp(Py.toLong(startArg), n, -1, n - 1);
            stop = stopArg == null ? -1 : clamp(Py.toLong(stopArg), n, -1, n - 1);
        }
        if (isString) {
            StringBuilder sb = new StringBuilder();
            for (long i = start; step > 0 ? i < stop : i > stop; i += step) {
                sb.appendCodePoint(codePoints[(int) i]);
            }
            return sb.toString();
        }
        List<Object> out = new ArrayList<>();
        for (long i = start; step > 0 ? i < stop : i > stop; i += step) {
            out.add(seq.get((int) i));
        }
        return out;
    }

    private static long clamp(long index, int n, long low, long high) {
        long i = index < 0 ? index + n : index;
        return Math.max(low, Math.min(high, i));
    }

    /**
     * Applies the filter {@code name} as jinja2 (with transformers' {@code tojson}) defines it: one
     * step, and a string it builds is counted against the character budget.
     */
    static Object filter(String name, Object value, List<Object> args, Map<String, Object> kwargs) {
        Budget.step();
        Object result = unmeteredFilter(name, value, args, kwargs);
        return result == value ? result : Budget.charge(result);
    }

    private static Object unmeteredFilter(String name, Object value, List<Object> args, Map<String, Object> kwargs) {
        Args a = new Args(name, args, kwargs);
        switch (name) {
            case "default":
            case "d": {
                Object fallback = a.get(0, "default_value", "");
                boolean useFalsy = Py.truthy(a.get(1, "boolean", false));
                return value instanceof Undefined || (useFalsy && !Py.truthy(value)) ? fallback : value;
            }
            case "length":
            case "count":
                return Py.length(value);
            case "trim":
                return Py.strip(Py.str(value), (String) a.get(0, "chars", null), true, true);
            case "tojson":
                return tojson(value, a);
            case "string":
                return Py.str(value);
            case "lower":
                return Py.str(value).toLowerCase(Locale.ROOT);
            case "upper":
                return Py.str(value).toUpperCase(Locale.ROOT);
            case "title":
                return titleFilter(Py.str(value));
            case "capitalize":
                return Strings.capitalize(Py.str(value));
            case "replace":
                return Strings.replace(Py.str(value), Py.str(a.get(0, "old", "")), Py.str(a.get(1, "new", "")),
                        a.get(2, "count", null) == null ? -1 : Py.toLong(a.get(2, "count", null)));
            case "first": {
                List<Object> items = Py.iterate(value);
                return items.isEmpty() ? new Undefined("first") : items.get(0);
            }
            case "last": {
                List<Object> items = Py.iterate(value);
                return items.isEmpty() ? new Undefined("last") : items.get(items.size() - 1);
            }
            case "list":
                return Py.iterate(value);
            case "reverse":
                return reverse(value);
            case "join":
                return join(value, a);
            case "items":
                if (value instanceof Undefined) {
                    return List.of();
                }
                if (!(value instanceof Map)) {
                    throw new TemplateException("items filter needs a mapping, got " + Py.typeName(value));
                }
                return items((Map<?, ?>) value);
            // jinja2 yields nothing for a falsy sequence here (None included) instead of failing
            case "selectattr":
            case "rejectattr":
                return Py.truthy(value) ? selectAttr(value, args, name.equals("selectattr")) : new ArrayList<>();
            case "select":
            case "reject":
                return Py.truthy(value) ? select(value, args, name.equals("select")) : new ArrayList<>();
            case "map":
                return Py.truthy(value) ? map(value, args, kwargs) : new ArrayList<>();
            case "dictsort":
                return dictsort(value, a);
            case "int":
                return toInt(value, a.get(0, "default", 0L));
            case "float":
                return toFloat(value, a.get(0, "default", 0.0));
            case "abs":
                return value instanceof Double ? (Object) Math.abs((Double) value) : (Object) Math.abs(Py.toLong(value));
            case "round": {
                long precision = Py.toLong(a.get(0, "precision", 0L));
                double scale = Math.pow(10, precision);
                return Math.round(Py.toDouble(value) * scale) / scale;
            }
            case "sum": {
                Object total = a.get(1, "start", 0L);
                for (Object o : Py.iterate(value)) {
                    total = Operators.apply("+", total, o);
                }
                return total;
            }
            case "unique": {
                List<Object> out = new ArrayList<>();
                for (Object o : Py.iterate(value)) {
                    Budget.steps(out.size() + 1L);
                    if (!Py.contains(out, o)) {
                        out.add(o);
                    }
                }
                return out;
            }
            case "sort": {
                boolean caseSensitive = Py.truthy(a.get(1, "case_sensitive", false));
                Object attribute = a.get(2, "attribute", null);
                List<Object> out = Py.iterate(value);
                out.sort((x, y) -> Py.compare(
                        sortKey(attribute == null ? x : attributeOf(x, Py.str(attribute)), caseSensitive),
                        sortKey(attribute == null ? y : attributeOf(y, Py.str(attribute)), caseSensitive)));
                if (Py.truthy(a.get(0, "reverse", false))) {
                    Collections.reverse(out);
                }
                return out;
            }
            case "min":
            case "max": {
                List<Object> items = Py.iterate(value);
                if (items.isEmpty()) {
                    return new Undefined(name);
                }
                Object best = items.get(0);
                for (Object o : items) {
                    int c = Py.compare(o, best);
                    if (name.equals("min") ? c < 0 : c > 0) {
                        best = o;
                    }
                }
                return best;
            }
            case "indent":
                if (!(value instanceof String)) {
                    throw new TemplateException("indent needs a string, got " + Py.typeName(value));
                }
                return indent((String) value, a);
            case "wordcount":
                return WORD.matcher(Py.str(value)).results().count();
            case "safe":
                // Markup(value): a string, since templates here are never autoescaped
                return Py.str(value);
            case "escape":
            case "e":
                return escapeHtml(Py.str(value));
            default:
                throw new TemplateException("No filter named '" + name + "'");
        }
    }

    private static String tojson(Object value, Args a) {
        Object indent = a.get(-1, "indent", null);
        String indentText = indent == null ? null : indent instanceof String ? (String) indent : spaces(indent);
        Object separators = a.get(-1, "separators", null);
        List<String> seps = null;
        if (separators != null) {
            List<Object> parts = Py.iterate(separators);
            seps = List.of(Py.str(parts.get(0)), Py.str(parts.get(1)));
        }
        return new Json(indentText, seps, Py.truthy(a.get(-1, "sort_keys", false))).dumps(value);
    }

    /** jinja2's {@code dictsort(case_sensitive=False, by='key', reverse=False)}: sorted (key, value) pairs. */
    private static List<Object> dictsort(Object value, Args a) {
        if (!(value instanceof Map)) {
            throw new TemplateException("dictsort needs a mapping, got " + Py.typeName(value));
        }
        boolean caseSensitive = Py.truthy(a.get(0, "case_sensitive", false));
        int part = "value".equals(a.get(1, "by", "key")) ? 1 : 0;
        List<Object> pairs = items((Map<?, ?>) value);
        pairs.sort((x, y) -> Py.compare(sortKey(((List<?>) x).get(part), caseSensitive),
                sortKey(((List<?>) y).get(part), caseSensitive)));
        if (Py.truthy(a.get(2, "reverse", false))) {
            Collections.reverse(pairs);
        }
        return pairs;
    }

    private static Object sortKey(Object v, boolean caseSensitive) {
        return !caseSensitive && v instanceof String ? ((String) v).toLowerCase(Locale.ROOT) : v;
    }

    private static Object reverse(Object value) {
        if (value instanceof String) {
            return new StringBuilder((String) value).reverse().toString();
        }
        List<Object> out = Py.iterate(value);
        Collections.reverse(out);
        return out;
    }

    private static String join(Object value, Args a) {
        String separator = Py.str(a.get(0, "d", ""));
        Object attribute = a.get(1, "attribute", null);
        List<Object> items = Py.iterate(value);
        if (attribute != null) {
            items.replaceAll(item -> attributeOf(item, Py.str(attribute)));
        }
        return Strings.join(separator, items);
    }

    /** A dotted attribute path ("function.name") looked up item-first, as jinja2's attrgetter. */
    private static Object attributeOf(Object item, String path) {
        Object v = item;
        for (String part : path.split("\\.")) {
            v = getitem(v, part.chars().allMatch(Character::isDigit) && !part.isEmpty() ? (Object) Long.parseLong(part) : part);
        }
        return v;
    }

    private static List<Object> selectAttr(Object value, List<Object> args, boolean keep) {
        if (args.isEmpty()) {
            throw new TemplateException("selectattr/rejectattr need an attribute name");
        }
        String attribute = Py.str(args.get(0));
        List<Object> out = new ArrayList<>();
        for (Object item : Py.iterate(value)) {
            Object v = attributeOf(item, attribute);
            boolean passes = args.size() > 1
                    ? test(Py.str(args.get(1)), v, args.subList(2, args.size()))
                    : Py.truthy(v);
            if (passes == keep) {
                out.add(item);
            }
        }
        return out;
    }

    private static List<Object> select(Object value, List<Object> args, boolean keep) {
        List<Object> out = new ArrayList<>();
        for (Object item : Py.iterate(value)) {
            boolean passes = args.isEmpty()
                    ? Py.truthy(item)
                    : test(Py.str(args.get(0)), item, args.subList(1, args.size()));
            if (passes == keep) {
                out.add(item);
            }
        }
        return out;
    }

    private static List<Object> map(Object value, List<Object> args, Map<String, Object> kwargs) {
        List<Object> out = new ArrayList<>();
        for (Object item : Py.iterate(value)) {
            if (kwargs.containsKey("attribute")) {
                Object v = attributeOf(item, Py.str(kwargs.get("attribute")));
                out.add(v instanceof Undefined && kwargs.containsKey("default") ? kwargs.get("default") : v);
            } else if (!args.isEmpty()) {
                out.add(filter(Py.str(args.get(0)), item, args.subList(1, args.size()), Map.of()));
            } else {
                throw new TemplateException("map needs a filter name or attribute=");
            }
        }
        return out;
    }

    /**
     * The {@code title} filter, which is not {@code str.title()}: words start after whitespace or
     * one of {@code - ( [ { <}, so {@code they're} stays {@code They're}.
     */
    private static String titleFilter(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        boolean wordStart = true;
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            boolean separator = Py.isSpace(cp) || "-([{<".indexOf(cp) >= 0;
            sb.appendCodePoint(separator ? cp : wordStart ? Character.toUpperCase(cp) : Character.toLowerCase(cp));
            wordStart = separator;
            i += Character.charCount(cp);
        }
        return sb.toString();
    }

    private static Object toInt(Object value, Object fallback) {
        if (value instanceof Undefined) {
            throw ((Undefined) value).error();
        }
        if (value instanceof Boolean || value instanceof Long) {
            return Py.toLong(value);
        }
        if (value instanceof Double) {
            return (long) (double) (Double) value;
        }
        if (value instanceof String) {
            String s = Py.strip((String) value, null, true, true).replace("_", "");
            try {
                return Long.parseLong(s);
            } catch (NumberFormatException e) {
                try {
                    return (long) Double.parseDouble(s);
                } catch (NumberFormatException e2) {
                    return fallback;
                }
            }
        }
        return fallback;
    }

    private static Object toFloat(Object value, Object fallback) {
        if (value instanceof Undefined) {
            throw ((Undefined) value).error();
        }
        if (Py.isNumber(value)) {
            return Py.toDouble(value);
        }
        if (value instanceof String) {
            try {
                return Double.parseDouble(Py.strip((String) value, null, true, true));
            } catch (NumberFormatException e) {
                return fallback;
            }
        }
        return fallback;
    }

    /** jinja2's {@code indent(width=4, first=False, blank=False)}. */
    private static String indent(String s, Args a) {
        Object width = a.get(0, "width", 4L);
        String pad = width instanceof String ? (String) width : spaces(width);
        boolean first = Py.truthy(a.get(1, "first", false));
        boolean blank = Py.truthy(a.get(2, "blank", false));
        List<Object> lines = Strings.split(s + "\n", "\n", -1);
        lines.remove(lines.size() - 1);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < lines.size(); i++) {
            String line = (String) lines.get(i);
            Budget.reserve((long) sb.length() + 1 + pad.length() + line.length());
            if (i > 0) {
                sb.append('\n');
                if (blank || !line.isEmpty()) {
                    sb.append(pad);
                }
            }
            sb.append(line);
        }
        return first ? pad + sb : sb.toString();
    }

    /** {@code n} spaces for an indent given as a number, refused past the budget before they are built. */
    private static String spaces(Object n) {
        long count = Math.max(0, Py.toLong(n));
        Budget.reserve(count);
        return " ".repeat((int) count);
    }

    private static String escapeHtml(String s) {
        // "&#34;" is the longest replacement: five characters for one
        Budget.reserve(s.chars().filter(c -> "&<>\"'".indexOf(c) >= 0).count(), 4);
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
                .replace("\"", "&#34;").replace("'", "&#39;");
    }

    /** Applies the test {@code name} ({@code value is name(args)}). */
    static boolean test(String name, Object value, List<Object> args) {
        Budget.step();
        switch (name) {
            case "defined": return !(value instanceof Undefined);
            case "undefined": return value instanceof Undefined;
            case "none": return value == null;
            case "string": return value instanceof String;
            case "mapping": return value instanceof Map;
            case "number": return Py.isNumber(value);
            case "integer": return value instanceof Long;
            case "float": return value instanceof Double;
            case "boolean": return value instanceof Boolean;
            case "true": return Boolean.TRUE.equals(value);
            case "false": return Boolean.FALSE.equals(value);
            case "iterable":
                return value instanceof String || value instanceof List || value instanceof Map
                        || value instanceof Undefined;
            case "sequence":
                return value instanceof String || value instanceof List || value instanceof Map
                        || value instanceof Undefined;
            case "callable": return value instanceof Callable;
            case "odd": return Py.toLong(value) % 2 != 0;
            case "even": return Py.toLong(value) % 2 == 0;
            case "divisibleby": return Py.toLong(value) % Py.toLong(args.get(0)) == 0;
            case "lower": return Strings.isLower(Py.str(value));
            case "upper": return Strings.isUpper(Py.str(value));
            case "in": return Py.contains(args.get(0), value);
            case "eq": case "equalto": case "==": return Py.equal(value, args.get(0));
            case "ne": case "!=": return !Py.equal(value, args.get(0));
            case "lt": case "lessthan": case "<": return Py.compare(value, args.get(0)) < 0;
            case "le": case "<=": return Py.compare(value, args.get(0)) <= 0;
            case "gt": case "greaterthan": case ">": return Py.compare(value, args.get(0)) > 0;
            case "ge": case ">=": return Py.compare(value, args.get(0)) >= 0;
            case "sameas": return Py.sameObject(value, args.get(0));
            default: throw new TemplateException("No test named '" + name + "'");
        }
    }

    /** Filter arguments given by position or keyword, like a Python signature. */
    private static final class Args {
        private final String function;
        private final List<Object> positional;
        private final Map<String, Object> keywords;

        Args(String function, List<Object> positional, Map<String, Object> keywords) {
            this.function = function;
            this.positional = positional;
            this.keywords = keywords;
        }

        /** Position {@code index} (-1 for keyword-only), else keyword {@code name}, else the fallback. */
        Object get(int index, String name, Object fallback) {
            if (index >= 0 && index < positional.size()) {
                if (keywords.containsKey(name)) {
                    throw new TemplateException(function + "() got multiple values for argument '" + name + "'");
                }
                return positional.get(index);
            }
            return keywords.containsKey(name) ? keywords.get(name) : fallback;
        }
    }
}
