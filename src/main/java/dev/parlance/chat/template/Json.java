package dev.parlance.chat.template;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Python's {@code json.dumps(obj, ensure_ascii=False, indent=..., separators=..., sort_keys=...)},
 * which is what transformers installs as the {@code tojson} filter: no HTML escaping, non-ASCII
 * kept as is, Python's default separators ({@code ", "} and {@code ": "}, or {@code ","} between
 * items once an indent is given).
 */
final class Json {
    private final String indent;
    private final String itemSeparator;
    private final String keySeparator;
    private final boolean sortKeys;

    /**
     * @param indent null for one line, else the string repeated per nesting level
     * @param separators null for Python's defaults, else {item separator, key separator}
     */
    Json(String indent, List<String> separators, boolean sortKeys) {
        this.indent = indent;
        this.itemSeparator = separators != null ? separators.get(0) : indent == null ? ", " : ",";
        this.keySeparator = separators != null ? separators.get(1) : ": ";
        this.sortKeys = sortKeys;
    }

    String dumps(Object value) {
        StringBuilder sb = new StringBuilder();
        write(value, 0, sb);
        return sb.toString();
    }

    /** Appends v, checking the growing text against the character budget at each value. */
    private void write(Object v, int level, StringBuilder sb) {
        Budget.reserve(sb.length());
        if (v == null) {
            sb.append("null");
        } else if (v instanceof Boolean) {
            sb.append((Boolean) v ? "true" : "false");
        } else if (v instanceof Long) {
            sb.append(v);
        } else if (v instanceof Double) {
            double d = (Double) v;
            sb.append(Double.isNaN(d) ? "NaN" : Double.isInfinite(d) ? (d > 0 ? "Infinity" : "-Infinity")
                    : Py.floatRepr(d));
        } else if (v instanceof String) {
            Budget.reserve((long) sb.length() + ((String) v).length());
            quote((String) v, sb);
        } else if (v instanceof List) {
            writeList((List<?>) v, level, sb);
        } else if (v instanceof Map) {
            writeMap((Map<?, ?>) v, level, sb);
        } else {
            throw new TemplateException("Object of type " + Py.typeName(v) + " is not JSON serializable");
        }
    }

    private void writeList(List<?> list, int level, StringBuilder sb) {
        if (list.isEmpty()) {
            sb.append("[]");
            return;
        }
        sb.append('[');
        for (int i = 0; i < list.size(); i++) {
            if (i > 0) {
                sb.append(itemSeparator);
            }
            newline(level + 1, sb);
            write(list.get(i), level + 1, sb);
        }
        newline(level, sb);
        sb.append(']');
    }

    private void writeMap(Map<?, ?> map, int level, StringBuilder sb) {
        if (map.isEmpty()) {
            sb.append("{}");
            return;
        }
        List<Map.Entry<?, ?>> entries = new ArrayList<>(map.entrySet());
        if (sortKeys) {
            entries.sort((a, b) -> Py.compare(a.getKey(), b.getKey()));
        }
        sb.append('{');
        boolean first = true;
        for (Map.Entry<?, ?> e : entries) {
            if (!first) {
                sb.append(itemSeparator);
            }
            first = false;
            newline(level + 1, sb);
            quote(keyString(e.getKey()), sb);
            sb.append(keySeparator);
            write(e.getValue(), level + 1, sb);
        }
        newline(level, sb);
        sb.append('}');
    }

    private static String keyString(Object key) {
        if (key instanceof String) {
            return (String) key;
        }
        if (key == null) {
            return "null";
        }
        if (key instanceof Boolean) {
            return (Boolean) key ? "true" : "false";
        }
        if (key instanceof Long || key instanceof Double) {
            return Py.str(key);
        }
        throw new TemplateException("keys must be str, int, float, bool or None, not " + Py.typeName(key));
    }

    private void newline(int level, StringBuilder sb) {
        if (indent != null) {
            Budget.reserve(sb.length() + 1L + (long) indent.length() * level);
            sb.append('\n').append(indent.repeat(level));
        }
    }

    static void quote(String s, StringBuilder sb) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"': sb.append("\\\""); break;
                case '\\': sb.append("\\\\"); break;
                case '\n': sb.append("\\n"); break;
                case '\r': sb.append("\\r"); break;
                case '\t': sb.append("\\t"); break;
                case '\b': sb.append("\\b"); break;
                case '\f': sb.append("\\f"); break;
                default:
                    if (c < 0x20) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
            }
        }
        sb.append('"');
    }
}
