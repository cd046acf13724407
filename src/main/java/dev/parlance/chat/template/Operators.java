package dev.parlance.chat.template;

import java.util.ArrayList;
import java.util.List;

/** Binary operators with Python semantics (jinja2 delegates them to Python). */
final class Operators {
    private Operators() {
    }

    static Object apply(String op, Object a, Object b) {
        switch (op) {
            case "==": return Py.equal(a, b);
            case "!=": return !Py.equal(a, b);
            case "<": return Py.compare(defined(a), defined(b)) < 0;
            case "<=": return Py.compare(defined(a), defined(b)) <= 0;
            case ">": return Py.compare(defined(a), defined(b)) > 0;
            case ">=": return Py.compare(defined(a), defined(b)) >= 0;
            case "in": return Py.contains(b, a);
            case "not in": return !Py.contains(b, a);
            // ~ converts both sides with str(), so undefined joins as empty
            case "~": return concat(Py.str(a), Py.str(b));
            default: return arithmetic(op, defined(a), defined(b));
        }
    }

    /** Arithmetic on an undefined value fails, as jinja2's default Undefined does. */
    private static Object defined(Object v) {
        if (v instanceof Undefined) {
            throw ((Undefined) v).error();
        }
        return v;
    }

    private static Object arithmetic(String op, Object a, Object b) {
        if (op.equals("+")) {
            if (a instanceof String && b instanceof String) {
                return concat((String) a, (String) b);
            }
            if (a instanceof List && b instanceof List) {
                Budget.steps((long) ((List<?>) a).size() + ((List<?>) b).size());
                List<Object> out = new ArrayList<>((List<?>) a);
                out.addAll((List<?>) b);
                return out;
            }
        }
        if (op.equals("*")) {
            // sequence repetition works with the count on either side, as in Python
            if ((a instanceof String || a instanceof List) && Py.isInteger(b)) {
                return repeat(a, Py.toLong(b));
            }
            if ((b instanceof String || b instanceof List) && Py.isInteger(a)) {
                return repeat(b, Py.toLong(a));
            }
        }
        if (op.equals("%") && a instanceof String) {
            return Budget.charge(Strings.percentFormat((String) a, b));
        }
        if (!Py.isNumber(a) || !Py.isNumber(b)) {
            throw new TemplateException("unsupported operand type(s) for " + op + ": '" + Py.typeName(a)
                    + "' and '" + Py.typeName(b) + "'");
        }
        boolean ints = Py.isInteger(a) && Py.isInteger(b);
        switch (op) {
            case "+": return ints ? (Object) (Py.toLong(a) + Py.toLong(b)) : Py.toDouble(a) + Py.toDouble(b);
            case "-": return ints ? (Object) (Py.toLong(a) - Py.toLong(b)) : Py.toDouble(a) - Py.toDouble(b);
            case "*": return ints ? (Object) (Py.toLong(a) * Py.toLong(b)) : Py.toDouble(a) * Py.toDouble(b);
            case "/":
                checkDivisor(b);
                return Py.toDouble(a) / Py.toDouble(b);
            case "//":
                checkDivisor(b);
                return ints ? (Object) Math.floorDiv(Py.toLong(a), Py.toLong(b))
                        : Math.floor(Py.toDouble(a) / Py.toDouble(b));
            case "%":
                checkDivisor(b);
                if (ints) {
                    return Math.floorMod(Py.toLong(a), Py.toLong(b));
                }
                double x = Py.toDouble(a);
                double y = Py.toDouble(b);
                return x - Math.floor(x / y) * y;
            case "**":
                if (ints && Py.toLong(b) >= 0) {
                    return power(Py.toLong(a), Py.toLong(b));
                }
                return Math.pow(Py.toDouble(a), Py.toDouble(b));
            default:
                throw new TemplateException("unknown operator " + op);
        }
    }

    /** String concatenation, refused before it allocates when it would pass the character budget. */
    private static String concat(String a, String b) {
        Budget.reserve((long) a.length() + b.length());
        return (String) Budget.charge(a + b);
    }

    /** {@code sequence * times}: the size is checked against the budgets before anything is built. */
    private static Object repeat(Object sequence, long times) {
        long n = Math.max(0, times);
        if (sequence instanceof String s) {
            Budget.reserve(n, s.length());
            return Budget.charge(s.isEmpty() ? s : s.repeat((int) n));
        }
        List<?> items = (List<?>) sequence;
        if (!items.isEmpty()) {
            Budget.steps(n > Long.MAX_VALUE / items.size() ? Long.MAX_VALUE : n * items.size());
        }
        List<Object> out = new ArrayList<>();
        for (long i = 0; i < n; i++) {
            out.addAll(items);
        }
        return out;
    }

    /** Integer power by squaring, wrapping on overflow as the repeated product would. */
    private static long power(long base, long exponent) {
        long result = 1;
        long b = base;
        for (long e = exponent; e > 0; e >>= 1) {
            if ((e & 1) != 0) {
                result *= b;
            }
            b *= b;
        }
        return result;
    }

    private static void checkDivisor(Object b) {
        if (Py.toDouble(b) == 0) {
            throw new TemplateException("division by zero");
        }
    }
}
