package dev.parlance.chat.template;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Python {@code str} methods that chat templates call ({@code content.split('</think>')[-1].lstrip('\n')}),
 * with Python's meaning: {@code split} takes a literal separator, not a regex; {@code strip()}
 * removes Unicode whitespace; {@code title()} capitalizes after every non-letter.
 */
final class Strings {
    private Strings() {
    }

    /**
     * The bound method {@code s.name}, or null when str has no such method. The strings it
     * returns are counted against the render's character budget.
     */
    static Callable method(String s, String name) {
        Callable m = unmetered(s, name);
        return m == null ? null : (a, k) -> {
            Object result = m.call(a, k);
            return result == s ? result : Budget.charge(result);
        };
    }

    private static Callable unmetered(String s, String name) {
        switch (name) {
            case "strip": return (a, k) -> Py.strip(s, charsArg(a, k), true, true);
            case "lstrip": return (a, k) -> Py.strip(s, charsArg(a, k), true, false);
            case "rstrip": return (a, k) -> Py.strip(s, charsArg(a, k), false, true);
            case "startswith": return (a, k) -> affix(s, arg(a, k, 0, "prefix"), true);
            case "endswith": return (a, k) -> affix(s, arg(a, k, 0, "suffix"), false);
            case "split": return (a, k) -> split(s, optionalString(arg(a, k, 0, "sep")), maxsplit(a, k));
            case "rsplit": return (a, k) -> rsplit(s, optionalString(arg(a, k, 0, "sep")), maxsplit(a, k));
            case "splitlines": return (a, k) -> splitlines(s);
            case "upper": return (a, k) -> s.toUpperCase(Locale.ROOT);
            case "lower": return (a, k) -> s.toLowerCase(Locale.ROOT);
            case "title": return (a, k) -> title(s);
            case "capitalize": return (a, k) -> capitalize(s);
            case "replace": return (a, k) -> replace(s, (String) arg(a, k, 0, "old"), (String) arg(a, k, 1, "new"),
                    a.size() > 2 ? Py.toLong(a.get(2)) : -1);
            case "find": return (a, k) -> codePointIndex(s, s.indexOf((String) arg(a, k, 0, "sub")));
            case "rfind": return (a, k) -> codePointIndex(s, s.lastIndexOf((String) arg(a, k, 0, "sub")));
            case "count": return (a, k) -> count(s, (String) arg(a, k, 0, "sub"));
            case "join": return (a, k) -> join(s, Py.iterate(arg(a, k, 0, "iterable")));
            case "format": return (a, k) -> format(s, a, k);
            case "removeprefix": return (a, k) -> {
                String p = (String) arg(a, k, 0, "prefix");
                return s.startsWith(p) ? s.substring(p.length()) : s;
            };
            case "removesuffix": return (a, k) -> {
                String p = (String) arg(a, k, 0, "suffix");
                return s.endsWith(p) && !p.isEmpty() ? s.substring(0, s.length() - p.length()) : s;
            };
            case "isdigit": return (a, k) -> !s.isEmpty() && s.codePoints().allMatch(Character::isDigit);
            case "isalpha": return (a, k) -> !s.isEmpty() && s.codePoints().allMatch(Character::isLetter);
            case "isalnum": return (a, k) -> !s.isEmpty() && s.codePoints().allMatch(Character::isLetterOrDigit);
            case "isspace": return (a, k) -> !s.isEmpty() && s.codePoints().allMatch(Py::isSpace);
            case "islower": return (a, k) -> isLower(s);
            case "isupper": return (a, k) -> isUpper(s);
            default: return null;
        }
    }

    /** Python indexes strings by code point, Java by UTF-16 unit; -1 stays -1. */
    private static long codePointIndex(String s, int utf16Index) {
        return utf16Index < 0 ? -1 : s.codePointCount(0, utf16Index);
    }

    private static Object arg(List<Object> args, Map<String, Object> kwargs, int index, String name) {
        if (index < args.size()) {
            return args.get(index);
        }
        if (kwargs.containsKey(name)) {
            return kwargs.get(name);
        }
        return null;
    }

    private static String charsArg(List<Object> args, Map<String, Object> kwargs) {
        return optionalString(arg(args, kwargs, 0, "chars"));
    }

    private static String optionalString(Object v) {
        if (v == null || v instanceof Undefined) {
            return null;
        }
        if (!(v instanceof String)) {
            throw new TemplateException("expected a string argument, got " + Py.typeName(v));
        }
        return (String) v;
    }

    private static long maxsplit(List<Object> args, Map<String, Object> kwargs) {
        Object m = arg(args, kwargs, 1, "maxsplit");
        return m == null ? -1 : Py.toLong(m);
    }

    private static boolean affix(String s, Object affix, boolean prefix) {
        if (affix instanceof List) {
            for (Object o : (List<?>) affix) {
                if (affix(s, o, prefix)) {
                    return true;
                }
            }
            return false;
        }
        if (!(affix instanceof String)) {
            throw new TemplateException("startswith/endswith first arg must be str or a tuple of str");
        }
        return prefix ? s.startsWith((String) affix) : s.endsWith((String) affix);
    }

    /** Python {@code str.split(sep, maxsplit)}. */
    static List<Object> split(String s, String sep, long maxsplit) {
        List<Object> out = new ArrayList<>();
        if (sep == null) {
            int i = 0;
            int n = s.length();
            while (true) {
                while (i < n && Py.isSpace(s.charAt(i))) {
                    i++;
                }
                if (i >= n) {
                    break;
                }
                if (maxsplit >= 0 && out.size() >= maxsplit) {
                    out.add(Py.strip(s.substring(i), null, false, true));
                    break;
                }
                int start = i;
                while (i < n && !Py.isSpace(s.charAt(i))) {
                    i++;
                }
                Budget.step();
                out.add(s.substring(start, i));
            }
            return out;
        }
        if (sep.isEmpty()) {
            throw new TemplateException("empty separator");
        }
        int start = 0;
        while (maxsplit < 0 || out.size() < maxsplit) {
            int at = s.indexOf(sep, start);
            if (at < 0) {
                break;
            }
            Budget.step();
            out.add(s.substring(start, at));
            start = at + sep.length();
        }
        out.add(s.substring(start));
        return out;
    }

    private static List<Object> rsplit(String s, String sep, long maxsplit) {
        if (maxsplit < 0 || sep == null) {
            return split(s, sep, maxsplit);
        }
        List<Object> out = new ArrayList<>();
        int end = s.length();
        while (out.size() < maxsplit) {
            int at = s.lastIndexOf(sep, end - sep.length());
            if (at < 0) {
                break;
            }
            out.add(0, s.substring(at + sep.length(), end));
            end = at;
        }
        out.add(0, s.substring(0, end));
        return out;
    }

    private static List<Object> splitlines(String s) {
        List<Object> out = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\n' || c == '\r' || c == '\u000b' || c == '\f' || c == '\u001c' || c == '\u001d'
                    || c == '\u001e' || c == '\u0085' || c == '\u2028' || c == '\u2029') {
                Budget.step();
                out.add(s.substring(start, i));
                if (c == '\r' && i + 1 < s.length() && s.charAt(i + 1) == '\n') {
                    i++;
                }
                start = i + 1;
            }
        }
        if (start < s.length()) {
            out.add(s.substring(start));
        }
        return out;
    }

    /** Python {@code str.title()}: a letter after a non-letter is upper-cased, others lower-cased. */
    static String title(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        boolean previousCased = false;
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            if (previousCased) {
                sb.appendCodePoint(Character.toLowerCase(cp));
            } else {
                sb.appendCodePoint(Character.toTitleCase(cp));
            }
            previousCased = Character.isUpperCase(cp) || Character.isLowerCase(cp) || Character.isTitleCase(cp);
            i += Character.charCount(cp);
        }
        return sb.toString();
    }

    /** Python {@code str.capitalize()}: first character upper, the rest lower. */
    static String capitalize(String s) {
        if (s.isEmpty()) {
            return s;
        }
        int first = s.codePointAt(0);
        int n = Character.charCount(first);
        return new String(Character.toChars(Character.toTitleCase(first)))
                + s.substring(n).toLowerCase(Locale.ROOT);
    }

    static String replace(String s, String old, String replacement, long count) {
        if (replacement.length() > old.length()) {
            long found = old.isEmpty() ? s.length() + 1 : count(s, old);
            Budget.reserve(count < 0 ? found : Math.min(found, count), replacement.length() - old.length());
        }
        if (count < 0) {
            return s.replace(old, replacement);
        }
        StringBuilder sb = new StringBuilder();
        int start = 0;
        for (long done = 0; done < count; done++) {
            int at = s.indexOf(old, start);
            if (at < 0) {
                break;
            }
            sb.append(s, start, at).append(replacement);
            start = at + old.length();
            if (old.isEmpty()) {
                if (start >= s.length()) {
                    break;
                }
                sb.append(s.charAt(start));
                start++;
            }
        }
        return sb.append(s.substring(start)).toString();
    }

    private static long count(String s, String sub) {
        if (sub.isEmpty()) {
            return Py.length(s) + 1;
        }
        long n = 0;
        for (int at = s.indexOf(sub); at >= 0; at = s.indexOf(sub, at + sub.length())) {
            n++;
        }
        return n;
    }

    static String join(String separator, List<Object> items) {
        Budget.reserve(items.size() - 1L, separator.length());
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < items.size(); i++) {
            if (i > 0) {
                sb.append(separator);
            }
            String item = Py.str(items.get(i));
            Budget.reserve((long) sb.length() + item.length());
            sb.append(item);
        }
        return sb.toString();
    }

    /** Python {@code str.format} with {@code {}}, {@code {0}} and {@code {name}} fields (no format specs). */
    private static String format(String s, List<Object> args, Map<String, Object> kwargs) {
        StringBuilder sb = new StringBuilder();
        int auto = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '{' && i + 1 < s.length() && s.charAt(i + 1) == '{') {
                sb.append('{');
                i++;
            } else if (c == '}' && i + 1 < s.length() && s.charAt(i + 1) == '}') {
                sb.append('}');
                i++;
            } else if (c == '{') {
                int close = s.indexOf('}', i);
                if (close < 0) {
                    throw new TemplateException("Single '{' encountered in format string");
                }
                String field = s.substring(i + 1, close);
                Object value;
                if (field.isEmpty()) {
                    value = args.get(auto++);
                } else if (field.chars().allMatch(Character::isDigit)) {
                    value = args.get(Integer.parseInt(field));
                } else {
                    value = kwargs.containsKey(field) ? kwargs.get(field) : new Undefined(field);
                }
                String text = Py.str(value);
                Budget.reserve((long) sb.length() + text.length());
                sb.append(text);
                i = close;
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }

    /** Python {@code "..." % values} for %s, %d, %i, %r and %% (the forms templates use). */
    static String percentFormat(String format, Object values) {
        // only a tuple spreads into several arguments; a list or dict is one argument
        List<Object> args = new ArrayList<>();
        if (values instanceof Tuple) {
            args.addAll((List<?>) values);
        } else {
            args.add(values);
        }
        StringBuilder sb = new StringBuilder();
        int next = 0;
        for (int i = 0; i < format.length(); i++) {
            char c = format.charAt(i);
            if (c != '%' || i + 1 >= format.length()) {
                sb.append(c);
                continue;
            }
            char spec = format.charAt(++i);
            if (spec == '%') {
                sb.append('%');
                continue;
            }
            if (next >= args.size()) {
                throw new TemplateException("not enough arguments for format string");
            }
            Object v = args.get(next++);
            String text = switch (spec) {
                case 's' -> Py.str(v);
                case 'r' -> Py.repr(v);
                case 'd', 'i' -> String.valueOf(Py.toLong(v));
                default -> throw new TemplateException("unsupported format character '" + spec + "'");
            };
            Budget.reserve((long) sb.length() + text.length());
            sb.append(text);
        }
        // Python skips this check when the right side is subscriptable (a dict or a list)
        boolean subscriptable = values instanceof Map || (values instanceof List && !(values instanceof Tuple));
        if (next < args.size() && !subscriptable) {
            throw new TemplateException("not all arguments converted during string formatting");
        }
        return sb.toString();
    }

    /** Python's {@code str.islower()}: some cased character, and none upper-case. */
    static boolean isLower(String s) {
        return s.codePoints().anyMatch(Character::isLowerCase)
                && s.codePoints().noneMatch(cp -> Character.isUpperCase(cp) || Character.isTitleCase(cp));
    }

    /** Python's {@code str.isupper()}: some cased character, and none lower-case. */
    static boolean isUpper(String s) {
        return s.codePoints().anyMatch(Character::isUpperCase)
                && s.codePoints().noneMatch(cp -> Character.isLowerCase(cp) || Character.isTitleCase(cp));
    }
}
