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
            case "~": return Py.str(a) + Py.str(b);
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
                return (String) a + b;
            }
            if (a instanceof List && b instanceof List) {
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
            return Strings.percentFormat((String) a, b);
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
                    long result = 1;
                    for (long i = 0; i < Py.toLong(b); i++) {
                        result *= Py.toLong(a);
                    }
                    return result;
                }
                return Math.pow(Py.toDouble(a), Py.toDouble(b));
            default:
                throw new TemplateException("unknown operator " + op);
        }
    }

    private static Object repeat(Object sequence, long times) {
        if (sequence instanceof String) {
            return ((String) sequence).repeat((int) Math.max(0, times));
        }
        List<Object> out = new ArrayList<>();
        for (long i = 0; i < times; i++) {
            out.addAll((List<?>) sequence);
        }
        return out;
    }

    private static void checkDivisor(Object b) {
        if (Py.toDouble(b) == 0) {
            throw new TemplateException("division by zero");
        }
    }
}
