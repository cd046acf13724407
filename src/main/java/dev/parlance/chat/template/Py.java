package dev.parlance.chat.template;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Python value semantics for template values.
 *
 * <p>Values are Java objects standing for Python ones: {@code String} (str), {@code Long} (int),
 * {@code Double} (float), {@code Boolean} (bool), Java {@code null} (None), {@code List} (list or
 * tuple), {@code Map} (dict), plus {@link Undefined}, {@link Namespace}, {@link Loop} and
 * {@link Callable}. Chat templates depend on Python's rules, not Java's or JavaScript's: equality is
 * type-strict ({@code "" != false}) but {@code True == 1}, booleans print as {@code True}, and
 * whitespace includes the no-break space.
 */
final class Py {
    private Py() {
    }

    /** Python truthiness; undefined is falsy. */
    static boolean truthy(Object v) {
        if (v == null || v instanceof Undefined) {
            return false;
        }
        if (v instanceof Boolean) {
            return (Boolean) v;
        }
        if (v instanceof Long) {
            return (Long) v != 0;
        }
        if (v instanceof Double) {
            return (Double) v != 0.0;
        }
        if (v instanceof String) {
            return !((String) v).isEmpty();
        }
        if (v instanceof List) {
            return !((List<?>) v).isEmpty();
        }
        if (v instanceof Map) {
            return !((Map<?, ?>) v).isEmpty();
        }
        return true;
    }

    /** True for the values Python treats as numbers (bool is a subclass of int). */
    static boolean isNumber(Object v) {
        return v instanceof Long || v instanceof Double || v instanceof Boolean;
    }

    static boolean isInteger(Object v) {
        return v instanceof Long || v instanceof Boolean;
    }

    static long toLong(Object v) {
        if (v instanceof Boolean) {
            return (Boolean) v ? 1 : 0;
        }
        return ((Number) v).longValue();
    }

    static double toDouble(Object v) {
        if (v instanceof Boolean) {
            return (Boolean) v ? 1 : 0;
        }
        return ((Number) v).doubleValue();
    }

    /** Python {@code ==}. */
    static boolean equal(Object a, Object b) {
        if (a instanceof Undefined || b instanceof Undefined) {
            return a instanceof Undefined && b instanceof Undefined;
        }
        if (a == null || b == null) {
            return a == b;
        }
        if (isNumber(a) && isNumber(b)) {
            if (isInteger(a) && isInteger(b)) {
                return toLong(a) == toLong(b);
            }
            return toDouble(a) == toDouble(b);
        }
        if (a instanceof List && b instanceof List) {
            List<?> x = (List<?>) a;
            List<?> y = (List<?>) b;
            if (x.size() != y.size()) {
                return false;
            }
            for (int i = 0; i < x.size(); i++) {
                if (!equal(x.get(i), y.get(i))) {
                    return false;
                }
            }
            return true;
        }
        if (a instanceof Map && b instanceof Map) {
            Map<?, ?> x = (Map<?, ?>) a;
            Map<?, ?> y = (Map<?, ?>) b;
            if (x.size() != y.size()) {
                return false;
            }
            for (Map.Entry<?, ?> e : x.entrySet()) {
                if (!y.containsKey(e.getKey()) || !equal(e.getValue(), y.get(e.getKey()))) {
                    return false;
                }
            }
            return true;
        }
        if (a instanceof String || b instanceof String) {
            return a.equals(b);
        }
        return a == b || a.equals(b);
    }

    /** Python ordering ({@code <} is {@code compare < 0}); mixed types fail as in Python 3. */
    static int compare(Object a, Object b) {
        if (isNumber(a) && isNumber(b)) {
            if (isInteger(a) && isInteger(b)) {
                return Long.compare(toLong(a), toLong(b));
            }
            return Double.compare(toDouble(a), toDouble(b));
        }
        if (a instanceof String && b instanceof String) {
            return compareCodePoints((String) a, (String) b);
        }
        if (a instanceof List && b instanceof List) {
            List<?> x = (List<?>) a;
            List<?> y = (List<?>) b;
            for (int i = 0; i < Math.min(x.size(), y.size()); i++) {
                if (!equal(x.get(i), y.get(i))) {
                    return compare(x.get(i), y.get(i));
                }
            }
            return Integer.compare(x.size(), y.size());
        }
        throw new TemplateException("'<' not supported between instances of '" + typeName(a)
                + "' and '" + typeName(b) + "'");
    }

    private static int compareCodePoints(String a, String b) {
        int i = 0;
        int j = 0;
        while (i < a.length() && j < b.length()) {
            int ca = a.codePointAt(i);
            int cb = b.codePointAt(j);
            if (ca != cb) {
                return Integer.compare(ca, cb);
            }
            i += Character.charCount(ca);
            j += Character.charCount(cb);
        }
        return Boolean.compare(i < a.length(), j < b.length());
    }

    /** Python's {@code in}; undefined contains nothing, as jinja2's {@code Undefined} iterates empty. */
    static boolean contains(Object container, Object item) {
        if (container instanceof Undefined) {
            return false;
        }
        if (container instanceof String) {
            if (!(item instanceof String)) {
                throw new TemplateException("'in <string>' requires string as left operand, not "
                        + typeName(item));
            }
            return ((String) container).contains((String) item);
        }
        if (container instanceof List) {
            for (Object o : (List<?>) container) {
                if (equal(o, item)) {
                    return true;
                }
            }
            return false;
        }
        if (container instanceof Map) {
            if (item instanceof List || item instanceof Map) {
                throw new TemplateException("unhashable type: '" + typeName(item) + "'");
            }
            return ((Map<?, ?>) container).containsKey(normalizeKey(item));
        }
        if (container instanceof Namespace) {
            return ((Namespace) container).attributes.containsKey(item);
        }
        throw new TemplateException("argument of type '" + typeName(container) + "' is not iterable");
    }

    /** Dict keys from JSON are strings and literal integer keys are Longs; lookups use the same. */
    static Object normalizeKey(Object key) {
        if (key instanceof Integer) {
            return ((Integer) key).longValue();
        }
        return key;
    }

    /** Python {@code len()}; strings count code points. */
    static long length(Object v) {
        if (v instanceof Undefined) {
            return 0;
        }
        if (v instanceof String) {
            String s = (String) v;
            return s.codePointCount(0, s.length());
        }
        if (v instanceof List) {
            return ((List<?>) v).size();
        }
        if (v instanceof Map) {
            return ((Map<?, ?>) v).size();
        }
        throw new TemplateException("object of type '" + typeName(v) + "' has no len()");
    }

    /** The items a for loop or {@code list()} sees: list items, dict keys, string characters. */
    static List<Object> iterate(Object v) {
        if (v instanceof Undefined) {
            return new ArrayList<>();
        }
        if (v instanceof List) {
            return new ArrayList<>((List<?>) v);
        }
        if (v instanceof Map) {
            return new ArrayList<>(((Map<?, ?>) v).keySet());
        }
        if (v instanceof String) {
            return chars((String) v);
        }
        throw new TemplateException("'" + typeName(v) + "' object is not iterable");
    }

    /** The code points of a string, each as a one-character Python string. */
    static List<Object> chars(String s) {
        Budget.steps(s.codePointCount(0, s.length()));
        List<Object> out = new ArrayList<>();
        s.codePoints().forEach(cp -> out.add(new String(Character.toChars(cp))));
        return out;
    }

    static String typeName(Object v) {
        if (v == null) {
            return "NoneType";
        }
        if (v instanceof String) {
            return "str";
        }
        if (v instanceof Boolean) {
            return "bool";
        }
        if (v instanceof Long) {
            return "int";
        }
        if (v instanceof Double) {
            return "float";
        }
        if (v instanceof List) {
            return "list";
        }
        if (v instanceof Map) {
            return "dict";
        }
        if (v instanceof Undefined) {
            return "Undefined";
        }
        if (v instanceof Namespace) {
            return "Namespace";
        }
        return v.getClass().getSimpleName();
    }

    /** Python {@code str()}, which is also what {@code {{ value }}} prints (undefined prints empty). */
    static String str(Object v) {
        if (v instanceof String) {
            return (String) v;
        }
        if (v == null) {
            return "None";
        }
        if (v instanceof Boolean) {
            return (Boolean) v ? "True" : "False";
        }
        if (v instanceof Double) {
            return floatRepr((Double) v);
        }
        if (v instanceof Undefined) {
            return "";
        }
        if (v instanceof List || v instanceof Map || v instanceof Namespace) {
            return repr(v);
        }
        return String.valueOf(v);
    }

    /** Python {@code repr()}, used when containers are printed ({@code ['a', 'b']}). */
    static String repr(Object v) {
        if (v instanceof String) {
            return stringRepr((String) v);
        }
        if (v instanceof List || v instanceof Map || v instanceof Namespace) {
            StringBuilder sb = new StringBuilder();
            repr(v, sb);
            return sb.toString();
        }
        return str(v);
    }

    /** Appends repr(v), checking the growing text against the character budget at each item. */
    private static void repr(Object v, StringBuilder sb) {
        Budget.reserve(sb.length());
        if (v instanceof Tuple) {
            List<?> t = (List<?>) v;
            sb.append('(');
            for (int i = 0; i < t.size(); i++) {
                sb.append(i > 0 ? ", " : "");
                repr(t.get(i), sb);
            }
            sb.append(t.size() == 1 ? ",)" : ")");
        } else if (v instanceof List) {
            sb.append('[');
            Iterator<?> it = ((List<?>) v).iterator();
            while (it.hasNext()) {
                repr(it.next(), sb);
                if (it.hasNext()) {
                    sb.append(", ");
                }
            }
            sb.append(']');
        } else if (v instanceof Map) {
            mapRepr((Map<?, ?>) v, sb);
        } else if (v instanceof Namespace) {
            sb.append("<Namespace ");
            mapRepr(((Namespace) v).attributes, sb);
            sb.append('>');
        } else {
            String text = repr(v);
            Budget.reserve((long) sb.length() + text.length());
            sb.append(text);
        }
    }

    private static void mapRepr(Map<?, ?> map, StringBuilder sb) {
        sb.append('{');
        Iterator<? extends Map.Entry<?, ?>> it = map.entrySet().iterator();
        while (it.hasNext()) {
            Map.Entry<?, ?> e = it.next();
            repr(e.getKey(), sb);
            sb.append(": ");
            repr(e.getValue(), sb);
            if (it.hasNext()) {
                sb.append(", ");
            }
        }
        sb.append('}');
    }

    static String floatRepr(double d) {
        if (Double.isNaN(d)) {
            return "nan";
        }
        if (Double.isInfinite(d)) {
            return d > 0 ? "inf" : "-inf";
        }
        if (d == 0 && 1 / d < 0) {
            return "-0.0";
        }
        if (d == Math.rint(d) && Math.abs(d) < 1e16) {
            return (long) d + ".0";
        }
        // Both print the shortest digits that round-trip, but switch to exponent notation at
        // different magnitudes: Python below 1e-4 and from 1e16, Java below 1e-3 and from 1e7.
        String s = Double.toString(d);
        int e = s.indexOf('E');
        if (e < 0) {
            return s;
        }
        int exp = Integer.parseInt(s.substring(e + 1));
        if (exp >= -4 && exp < 16) {
            String plain = new BigDecimal(s).stripTrailingZeros().toPlainString();
            return plain.contains(".") ? plain : plain + ".0";
        }
        String mantissa = s.substring(0, e);
        if (mantissa.endsWith(".0")) {
            mantissa = mantissa.substring(0, mantissa.length() - 2);
        }
        return mantissa + "e" + (exp < 0 ? "-" : "+") + String.format("%02d", Math.abs(exp));
    }

    private static String stringRepr(String s) {
        char quote = s.indexOf('\'') >= 0 && s.indexOf('"') < 0 ? '"' : '\'';
        StringBuilder sb = new StringBuilder().append(quote);
        s.codePoints().forEach(cp -> {
            if (cp == quote || cp == '\\') {
                sb.append('\\').appendCodePoint(cp);
            } else if (cp == '\n') {
                sb.append("\\n");
            } else if (cp == '\r') {
                sb.append("\\r");
            } else if (cp == '\t') {
                sb.append("\\t");
            } else if (!isPrintable(cp)) {
                if (cp < 0x100) {
                    sb.append(String.format("\\x%02x", cp));
                } else if (cp < 0x10000) {
                    sb.append(String.format("\\u%04x", cp));
                } else {
                    sb.append(String.format("\\U%08x", cp));
                }
            } else {
                sb.appendCodePoint(cp);
            }
        });
        return sb.append(quote).toString();
    }

    private static boolean isPrintable(int cp) {
        if (cp == ' ') {
            return true;
        }
        switch (Character.getType(cp)) {
            case Character.CONTROL:
            case Character.FORMAT:
            case Character.SURROGATE:
            case Character.PRIVATE_USE:
            case Character.UNASSIGNED:
            case Character.LINE_SEPARATOR:
            case Character.PARAGRAPH_SEPARATOR:
            case Character.SPACE_SEPARATOR:
                return false;
            default:
                return true;
        }
    }

    /** Python's {@code str.isspace()} for one code point: includes U+00A0 and U+0085. */
    static boolean isSpace(int cp) {
        return Character.isWhitespace(cp) || Character.isSpaceChar(cp) || cp == 0x85;
    }

    /** Python {@code str.strip(chars)}; {@code chars == null} strips Python whitespace. */
    static String strip(String s, String chars, boolean left, boolean right) {
        int start = 0;
        int end = s.length();
        if (left) {
            while (start < end) {
                int cp = s.codePointAt(start);
                if (!stripped(cp, chars)) {
                    break;
                }
                start += Character.charCount(cp);
            }
        }
        if (right) {
            while (end > start) {
                int cp = s.codePointBefore(end);
                if (!stripped(cp, chars)) {
                    break;
                }
                end -= Character.charCount(cp);
            }
        }
        return s.substring(start, end);
    }

    private static boolean stripped(int cp, String chars) {
        return chars == null ? isSpace(cp) : chars.indexOf(new String(Character.toChars(cp))) >= 0;
    }

    /** Python's {@code is} (the {@code sameas} test): identity, except that None and booleans are singletons. */
    static boolean sameObject(Object a, Object b) {
        if (a == null || b == null || a instanceof Boolean || b instanceof Boolean) {
            return Objects.equals(a, b);
        }
        return a == b;
    }
}
