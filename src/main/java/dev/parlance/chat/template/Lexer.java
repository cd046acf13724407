package dev.parlance.chat.template;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Splits template source into text and tag tokens, applying whitespace control the way jinja2's
 * lexer does with {@code trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=False}.
 *
 * <ul>
 *   <li>{@code {%-}, {@code {{-}, {@code {#-} strip all whitespace before the tag;
 *       {@code -%}}, {@code -}}}, {@code -#}} strip all whitespace after it.</li>
 *   <li>lstrip_blocks: spaces and tabs between the start of a line and a block or comment tag are
 *       removed (not before {@code {{}); {@code {%+} turns it off for one tag.</li>
 *   <li>trim_blocks: the first newline after a block or comment tag is removed; {@code +%}} keeps it.</li>
 * </ul>
 */
final class Lexer {
    enum Kind { TEXT, VAR_BEGIN, VAR_END, BLOCK_BEGIN, BLOCK_END, NAME, STRING, INT, FLOAT, OP, EOF }

    record Token(Kind kind, String value, int line) {
        boolean is(Kind k, String v) {
            return kind == k && value.equals(v);
        }

        boolean isOp(String v) {
            return is(Kind.OP, v);
        }

        boolean isName(String v) {
            return is(Kind.NAME, v);
        }
    }

    private static final String[] OPERATORS = {
        "//", "**", "==", "!=", "<=", ">=",
        "+", "-", "*", "/", "%", "~", "<", ">", "=", "(", ")", "[", "]", "{", "}", ",", ".", ":", "|", ";",
    };

    private static final Pattern RAW_BEGIN = Pattern.compile("\\{%[-+]?\\s*raw\\s*(-?)%}");
    private static final Pattern RAW_END = Pattern.compile("\\{%([-+]?)\\s*endraw\\s*([-+]?)%}");

    private final String src;
    private final List<Token> tokens = new ArrayList<>();
    private int pos;
    private int line = 1;
    private boolean lineStarting = true;

    private Lexer(String source) {
        this.src = normalize(source);
    }

    /** Tokenizes a whole template. */
    static List<Token> tokenize(String source) {
        Lexer lexer = new Lexer(source);
        lexer.run();
        return lexer.tokens;
    }

    /** jinja2 joins the source's lines with "\n", which also drops one trailing newline. */
    private static String normalize(String source) {
        String s = source.replace("\r\n", "\n").replace('\r', '\n');
        return s.endsWith("\n") ? s.substring(0, s.length() - 1) : s;
    }

    private void run() {
        while (pos < src.length()) {
            int open = nextTagStart(pos);
            if (open < 0) {
                emitText(src.substring(pos));
                pos = src.length();
                break;
            }
            char type = src.charAt(open + 1);
            char sign = open + 2 < src.length() ? src.charAt(open + 2) : ' ';
            String text = src.substring(pos, open);
            if (sign == '-') {
                text = Py.strip(text, null, false, true);
            } else if (sign != '+' && type != '{') {
                text = lstripBlock(text);
            }
            emitText(text);
            line += countNewlines(src, pos, open);
            pos = open + 2 + (sign == '-' || sign == '+' ? 1 : 0);
            if (type == '#') {
                comment(open);
            } else if (type == '%' && raw(open)) {
                continue;
            } else {
                tag(type == '{');
            }
        }
        tokens.add(new Token(Kind.EOF, "", line));
    }

    private int nextTagStart(int from) {
        int i = src.indexOf('{', from);
        while (i >= 0 && i + 1 < src.length()) {
            char c = src.charAt(i + 1);
            if (c == '{' || c == '%' || c == '#') {
                return i;
            }
            i = src.indexOf('{', i + 1);
        }
        return -1;
    }

    private String lstripBlock(String text) {
        int lineStart = text.lastIndexOf('\n') + 1;
        if (lineStart == 0 && !lineStarting) {
            return text;
        }
        String tail = text.substring(lineStart);
        if (tail.isEmpty() || !Py.strip(tail, null, true, false).isEmpty()) {
            return text;
        }
        return text.substring(0, lineStart);
    }

    private void emitText(String text) {
        if (!text.isEmpty()) {
            tokens.add(new Token(Kind.TEXT, text, line));
        }
    }

    /**
     * {@code {% raw %}...{% endraw %}}: the content is text, never parsed. Returns false (consuming
     * nothing) when the tag at {@code open} is not {@code raw}.
     */
    private boolean raw(int open) {
        Matcher begin = RAW_BEGIN.matcher(src).region(open, src.length());
        if (!begin.lookingAt()) {
            return false;
        }
        Matcher end = RAW_END.matcher(src);
        if (!end.find(begin.end())) {
            throw new TemplateException("line " + line + ": missing endraw");
        }
        String content = src.substring(begin.end(), end.start());
        if (begin.group(1).equals("-")) {
            content = Py.strip(content, null, true, false);
        }
        if (end.group(1).equals("-")) {
            content = Py.strip(content, null, false, true);
        } else if (!end.group(1).equals("+")) {
            content = lstripBlock(content);
        }
        emitText(content);
        line += countNewlines(src, pos, end.end());
        pos = end.end();
        afterBlockEnd(end.group(2).isEmpty() ? ' ' : end.group(2).charAt(0));
        return true;
    }

    private void comment(int open) {
        int close = src.indexOf("#}", pos);
        if (close < 0) {
            throw new TemplateException("line " + line + ": unclosed comment");
        }
        line += countNewlines(src, open, close);
        char sign = close > pos ? src.charAt(close - 1) : ' ';
        pos = close + 2;
        afterBlockEnd(sign);
    }

    /** Reads the expression tokens of a {{ }} or {% %} tag up to its (bracket-balanced) end. */
    private void tag(boolean variable) {
        tokens.add(new Token(variable ? Kind.VAR_BEGIN : Kind.BLOCK_BEGIN, "", line));
        int depth = 0;
        while (true) {
            skipSpaces();
            if (pos >= src.length()) {
                throw new TemplateException("line " + line + ": unclosed tag");
            }
            if (depth == 0) {
                String end = variable ? "}}" : "%}";
                if (src.startsWith(end, pos)) {
                    pos += 2;
                    endTag(variable, ' ');
                    return;
                }
                if ((src.startsWith("-" + end, pos) || (!variable && src.startsWith("+" + end, pos)))) {
                    char sign = src.charAt(pos);
                    pos += 3;
                    endTag(variable, sign);
                    return;
                }
            }
            char c = src.charAt(pos);
            if (c == '\'' || c == '"') {
                string(c);
            } else if (Character.isDigit(c)) {
                number();
            } else if (Character.isLetter(c) || c == '_') {
                int start = pos;
                while (pos < src.length() && (Character.isLetterOrDigit(src.charAt(pos)) || src.charAt(pos) == '_')) {
                    pos++;
                }
                tokens.add(new Token(Kind.NAME, src.substring(start, pos), line));
            } else {
                String op = operatorAt(pos);
                if (op == null) {
                    throw new TemplateException("line " + line + ": unexpected character '" + c + "'");
                }
                if (op.equals("(") || op.equals("[") || op.equals("{")) {
                    depth++;
                } else if (op.equals(")") || op.equals("]") || op.equals("}")) {
                    depth--;
                }
                tokens.add(new Token(Kind.OP, op, line));
                pos += op.length();
            }
        }
    }

    private void endTag(boolean variable, char sign) {
        tokens.add(new Token(variable ? Kind.VAR_END : Kind.BLOCK_END, "", line));
        if (variable) {
            // trim_blocks does not apply to {{ }}; only an explicit "-}}" strips.
            if (sign == '-') {
                skipWhitespaceAfterTag();
            } else {
                lineStarting = false;
            }
        } else {
            afterBlockEnd(sign);
        }
    }

    private void afterBlockEnd(char sign) {
        if (sign == '-') {
            skipWhitespaceAfterTag();
        } else if (sign != '+' && pos < src.length() && src.charAt(pos) == '\n') {
            pos++;
            line++;
            lineStarting = true;
        } else {
            lineStarting = false;
        }
    }

    private void skipWhitespaceAfterTag() {
        lineStarting = false;
        while (pos < src.length() && Py.isSpace(src.charAt(pos))) {
            lineStarting = src.charAt(pos) == '\n';
            if (lineStarting) {
                line++;
            }
            pos++;
        }
    }

    private void skipSpaces() {
        while (pos < src.length() && Py.isSpace(src.charAt(pos))) {
            if (src.charAt(pos) == '\n') {
                line++;
            }
            pos++;
        }
    }

    private String operatorAt(int at) {
        for (String op : OPERATORS) {
            if (src.startsWith(op, at)) {
                return op;
            }
        }
        return null;
    }

    private void number() {
        int start = pos;
        while (pos < src.length() && (Character.isDigit(src.charAt(pos)) || src.charAt(pos) == '_')) {
            pos++;
        }
        boolean isFloat = false;
        if (pos + 1 < src.length() && src.charAt(pos) == '.' && Character.isDigit(src.charAt(pos + 1))) {
            isFloat = true;
            pos++;
            while (pos < src.length() && Character.isDigit(src.charAt(pos))) {
                pos++;
            }
        }
        if (pos < src.length() && (src.charAt(pos) == 'e' || src.charAt(pos) == 'E')) {
            int save = pos;
            pos++;
            if (pos < src.length() && (src.charAt(pos) == '+' || src.charAt(pos) == '-')) {
                pos++;
            }
            if (pos < src.length() && Character.isDigit(src.charAt(pos))) {
                isFloat = true;
                while (pos < src.length() && Character.isDigit(src.charAt(pos))) {
                    pos++;
                }
            } else {
                pos = save;
            }
        }
        tokens.add(new Token(isFloat ? Kind.FLOAT : Kind.INT, src.substring(start, pos).replace("_", ""), line));
    }

    /** A string literal with Python escapes ("unicode-escape", as jinja2 decodes them). */
    private void string(char quote) {
        int startLine = line;
        pos++;
        StringBuilder sb = new StringBuilder();
        while (true) {
            if (pos >= src.length()) {
                throw new TemplateException("line " + startLine + ": unterminated string");
            }
            char c = src.charAt(pos++);
            if (c == quote) {
                break;
            }
            if (c == '\n') {
                line++;
            }
            if (c != '\\' || pos >= src.length()) {
                sb.append(c);
                continue;
            }
            char e = src.charAt(pos++);
            switch (e) {
                case 'n': sb.append('\n'); break;
                case 't': sb.append('\t'); break;
                case 'r': sb.append('\r'); break;
                case '\\': sb.append('\\'); break;
                case '\'': sb.append('\''); break;
                case '"': sb.append('"'); break;
                case 'a': sb.append('\u0007'); break;
                case 'b': sb.append('\b'); break;
                case 'f': sb.append('\f'); break;
                case 'v': sb.append('\u000b'); break;
                case '\n': line++; break;
                case 'x': sb.appendCodePoint(hex(2)); break;
                case 'u': sb.appendCodePoint(hex(4)); break;
                case 'U': sb.appendCodePoint(hex(8)); break;
                default:
                    if (e >= '0' && e <= '7') {
                        int value = e - '0';
                        for (int i = 0; i < 2 && pos < src.length() && src.charAt(pos) >= '0' && src.charAt(pos) <= '7'; i++) {
                            value = value * 8 + (src.charAt(pos++) - '0');
                        }
                        sb.append((char) value);
                    } else {
                        // Python keeps unknown escapes as written
                        sb.append('\\').append(e);
                    }
            }
        }
        tokens.add(new Token(Kind.STRING, sb.toString(), startLine));
    }

    private int hex(int digits) {
        if (pos + digits > src.length()) {
            throw new TemplateException("line " + line + ": truncated escape in string");
        }
        int value = Integer.parseInt(src.substring(pos, pos + digits), 16);
        pos += digits;
        return value;
    }

    private static int countNewlines(String s, int from, int to) {
        int n = 0;
        for (int i = from; i < to; i++) {
            if (s.charAt(i) == '\n') {
                n++;
            }
        }
        return n;
    }
}
