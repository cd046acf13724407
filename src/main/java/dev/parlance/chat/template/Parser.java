package dev.parlance.chat.template;

import dev.parlance.chat.template.Lexer.Kind;
import dev.parlance.chat.template.Lexer.Token;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Recursive-descent parser following jinja2's grammar and operator precedence, lowest first:
 * {@code x if c else y}, {@code or}, {@code and}, {@code not}, comparisons and {@code in},
 * {@code + -}, {@code ~}, {@code * / // %}, {@code **}, unary minus, then postfix
 * ({@code .a}, {@code [i]}, {@code (args)}) followed by filters ({@code |f}) and tests
 * ({@code is t}). Because tests bind that tightly, {@code not x is defined} means
 * {@code not (x is defined)} and {@code messages|length - 1} means {@code (messages|length) - 1}.
 */
final class Parser {
    private static final Set<String> COMPARISONS = Set.of("==", "!=", "<", "<=", ">", ">=");
    private static final Set<String> TEST_ARGUMENT_STOPS = Set.of("else", "or", "and");

    private final List<Token> tokens;
    private int pos;

    private Parser(List<Token> tokens) {
        this.tokens = tokens;
    }

    /** Parses a template into its top-level statements. */
    static List<Stmt> parse(String source) {
        return new Parser(Lexer.tokenize(source)).body(Set.of());
    }

    // ---- statements ----

    /** Statements up to EOF or a {@code {% tag %}} whose name is in {@code endTags} (not consumed). */
    private List<Stmt> body(Set<String> endTags) {
        List<Stmt> out = new ArrayList<>();
        while (true) {
            Token t = peek();
            switch (t.kind()) {
                case TEXT:
                    pos++;
                    out.add(new Stmt.Text(t.value()));
                    break;
                case VAR_BEGIN:
                    pos++;
                    out.add(new Stmt.Located(t.line(), new Stmt.Output(tuple(true))));
                    expect(Kind.VAR_END, "end of print statement '}}'");
                    break;
                case BLOCK_BEGIN: {
                    Token name = tokens.get(pos + 1);
                    if (name.kind() == Kind.NAME && endTags.contains(name.value())) {
                        return out;
                    }
                    pos++;
                    out.add(new Stmt.Located(t.line(), statement()));
                    break;
                }
                case EOF:
                    if (!endTags.isEmpty()) {
                        throw error(t, "unexpected end of template, expected one of " + endTags);
                    }
                    return out;
                default:
                    throw error(t, "unexpected token");
            }
        }
    }

    private Stmt statement() {
        Token tag = next();
        if (tag.kind() != Kind.NAME) {
            throw error(tag, "expected a tag name");
        }
        switch (tag.value()) {
            case "if": return ifStatement();
            case "for": return forStatement();
            case "set": return setStatement();
            case "macro": return macroStatement();
            case "call": return callBlock();
            case "filter": return filterBlock();
            case "generation": {
                endOfTag();
                List<Stmt> body = body(Set.of("endgeneration"));
                closeTag("endgeneration");
                return new Stmt.Block(body);
            }
            case "break":
            case "continue":
                endOfTag();
                return new Stmt.Control(tag.value().equals("break"));
            default:
                if (tag.value().startsWith("end") || tag.value().equals("else") || tag.value().equals("elif")) {
                    throw error(tag, "unexpected '" + tag.value() + "' with no open block it belongs to");
                }
                throw error(tag, "unknown tag '" + tag.value() + "'");
        }
    }

    private Stmt ifStatement() {
        List<Expr> conditions = new ArrayList<>();
        List<List<Stmt>> bodies = new ArrayList<>();
        conditions.add(tuple(false));
        endOfTag();
        while (true) {
            bodies.add(body(Set.of("elif", "else", "endif")));
            pos++;
            String tag = next().value();
            if (tag.equals("elif")) {
                conditions.add(tuple(false));
                endOfTag();
            } else if (tag.equals("else")) {
                endOfTag();
                bodies.add(body(Set.of("endif")));
                closeTag("endif");
                break;
            } else {
                endOfTag();
                break;
            }
        }
        return new Stmt.If(conditions, bodies);
    }

    private Stmt forStatement() {
        List<String> targets = new ArrayList<>();
        boolean parenthesized = acceptOp("(");
        do {
            targets.add(name());
        } while (acceptOp(","));
        if (parenthesized) {
            expectOp(")");
        }
        if (!acceptName("in")) {
            throw error(peek(), "expected 'in'");
        }
        Expr iterable = tuple(false);
        Expr filter = acceptName("if") ? expression() : null;
        if (peek().isName("recursive")) {
            throw error(peek(), "recursive loops are not supported");
        }
        endOfTag();
        List<Stmt> body = body(Set.of("endfor", "else"));
        List<Stmt> orElse = List.of();
        pos++;
        if (next().value().equals("else")) {
            endOfTag();
            orElse = body(Set.of("endfor"));
            closeTag("endfor");
        } else {
            endOfTag();
        }
        return new Stmt.For(targets, iterable, filter, body, orElse);
    }

    private Stmt setStatement() {
        String target = name();
        if (acceptOp(".")) {
            String attribute = name();
            expectOp("=");
            Expr value = tuple(true);
            endOfTag();
            return new Stmt.SetAttribute(target, attribute, value);
        }
        List<String> targets = new ArrayList<>(List.of(target));
        while (acceptOp(",")) {
            targets.add(name());
        }
        if (acceptOp("=")) {
            Expr value = tuple(true);
            endOfTag();
            return new Stmt.Set(targets, value);
        }
        endOfTag();
        List<Stmt> body = body(Set.of("endset"));
        closeTag("endset");
        return new Stmt.SetBlock(target, body);
    }

    private Stmt macroStatement() {
        String name = name();
        List<String> params = new ArrayList<>();
        Map<String, Expr> defaults = new LinkedHashMap<>();
        parameters(params, defaults);
        endOfTag();
        List<Stmt> body = body(Set.of("endmacro"));
        closeTag("endmacro");
        return new Stmt.Macro(name, params, defaults, body);
    }

    /** {@code {% call(params) macro(args) %}body{% endcall %}}: the body becomes the macro's caller(). */
    private Stmt callBlock() {
        List<String> params = new ArrayList<>();
        Map<String, Expr> defaults = new LinkedHashMap<>();
        if (peek().isOp("(")) {
            parameters(params, defaults);
        }
        Token at = peek();
        Expr call = expression();
        if (!(call instanceof Expr.Call)) {
            throw error(at, "expected a call after 'call'");
        }
        endOfTag();
        List<Stmt> body = body(Set.of("endcall"));
        closeTag("endcall");
        return new Stmt.CallBlock((Expr.Call) call, new Stmt.Macro("caller", params, defaults, body));
    }

    /** {@code {% filter upper | trim %}body{% endfilter %}}: the filters apply to the rendered body. */
    private Stmt filterBlock() {
        Expr body = new Expr.Name(Stmt.FilterBlock.BODY);
        String name = dottedName();
        List<Expr> args = new ArrayList<>();
        Map<String, Expr> kwargs = new LinkedHashMap<>();
        if (peek().isOp("(")) {
            callArguments(args, kwargs);
        }
        Expr filters = filters(new Expr.Filter(body, name, args, kwargs));
        endOfTag();
        List<Stmt> content = body(Set.of("endfilter"));
        closeTag("endfilter");
        return new Stmt.FilterBlock(filters, content);
    }

    private void parameters(List<String> params, Map<String, Expr> defaults) {
        expectOp("(");
        while (!acceptOp(")")) {
            if (!params.isEmpty()) {
                expectOp(",");
                if (acceptOp(")")) {
                    break;
                }
            }
            String param = name();
            params.add(param);
            if (acceptOp("=")) {
                defaults.put(param, expression());
            }
        }
    }

    private void closeTag(String name) {
        pos++;
        Token t = next();
        if (!t.isName(name)) {
            throw error(t, "expected '" + name + "'");
        }
        endOfTag();
    }

    private void endOfTag() {
        expect(Kind.BLOCK_END, "end of statement block '%}'");
    }

    // ---- expressions ----

    /** An expression, or a tuple if commas follow (tuples become lists). */
    private Expr tuple(boolean withConditional) {
        Expr first = withConditional ? expression() : or();
        if (!peek().isOp(",")) {
            return first;
        }
        List<Expr> items = new ArrayList<>(List.of(first));
        while (acceptOp(",")) {
            if (atExpressionEnd()) {
                break;
            }
            items.add(withConditional ? expression() : or());
        }
        return new Expr.ListLiteral(items, true);
    }

    private boolean atExpressionEnd() {
        Token t = peek();
        return t.kind() == Kind.VAR_END || t.kind() == Kind.BLOCK_END || t.isOp(")") || t.isOp("]")
                || t.isOp("}") || t.isOp("=");
    }

    private Expr expression() {
        Expr value = or();
        while (acceptName("if")) {
            Expr condition = or();
            Expr otherwise = acceptName("else") ? expression() : null;
            value = new Expr.Conditional(condition, value, otherwise);
        }
        return value;
    }

    private Expr or() {
        Expr left = and();
        while (acceptName("or")) {
            left = new Expr.Logical(false, left, and());
        }
        return left;
    }

    private Expr and() {
        Expr left = not();
        while (acceptName("and")) {
            left = new Expr.Logical(true, left, not());
        }
        return left;
    }

    private Expr not() {
        if (acceptName("not")) {
            return new Expr.Not(not());
        }
        return compare();
    }

    private Expr compare() {
        Expr left = math1();
        Expr result = null;
        while (true) {
            String op;
            Token t = peek();
            if (t.kind() == Kind.OP && COMPARISONS.contains(t.value())) {
                pos++;
                op = t.value();
            } else if (t.isName("in")) {
                pos++;
                op = "in";
            } else if (t.isName("not") && tokens.get(pos + 1).isName("in")) {
                pos += 2;
                op = "not in";
            } else {
                break;
            }
            Expr right = math1();
            // a < b < c means (a < b) and (b < c), as in Python
            Expr link = new Expr.Binary(op, left, right);
            result = result == null ? link : new Expr.Logical(true, result, link);
            left = right;
        }
        return result == null ? left : result;
    }

    private Expr math1() {
        Expr left = concat();
        while (peek().isOp("+") || peek().isOp("-")) {
            String op = next().value();
            left = new Expr.Binary(op, left, concat());
        }
        return left;
    }

    private Expr concat() {
        Expr left = math2();
        while (acceptOp("~")) {
            left = new Expr.Binary("~", left, math2());
        }
        return left;
    }

    private Expr math2() {
        Expr left = pow();
        while (peek().isOp("*") || peek().isOp("/") || peek().isOp("//") || peek().isOp("%")) {
            String op = next().value();
            left = new Expr.Binary(op, left, pow());
        }
        return left;
    }

    private Expr pow() {
        Expr left = unary(true);
        while (acceptOp("**")) {
            left = new Expr.Binary("**", left, unary(true));
        }
        return left;
    }

    private Expr unary(boolean withFilters) {
        Expr node;
        if (acceptOp("-")) {
            node = new Expr.Negate(unary(false));
        } else if (acceptOp("+")) {
            node = unary(false);
        } else {
            node = primary();
        }
        node = postfix(node);
        return withFilters ? filters(node) : node;
    }

    private Expr primary() {
        Token t = next();
        switch (t.kind()) {
            case NAME:
                switch (t.value()) {
                    case "true": case "True": return new Expr.Literal(true);
                    case "false": case "False": return new Expr.Literal(false);
                    case "none": case "None": return new Expr.Literal(null);
                    default: return new Expr.Name(t.value());
                }
            case STRING: {
                StringBuilder sb = new StringBuilder(t.value());
                while (peek().kind() == Kind.STRING) {
                    sb.append(next().value());
                }
                return new Expr.Literal(sb.toString());
            }
            case INT:
                return new Expr.Literal(Long.parseLong(t.value()));
            case FLOAT:
                return new Expr.Literal(Double.parseDouble(t.value()));
            case OP:
                if (t.value().equals("(")) {
                    if (acceptOp(")")) {
                        return new Expr.ListLiteral(List.of(), true);
                    }
                    Expr inner = tuple(true);
                    expectOp(")");
                    return inner;
                }
                if (t.value().equals("[")) {
                    List<Expr> items = new ArrayList<>();
                    while (!acceptOp("]")) {
                        if (!items.isEmpty()) {
                            expectOp(",");
                            if (acceptOp("]")) {
                                break;
                            }
                        }
                        items.add(expression());
                    }
                    return new Expr.ListLiteral(items, false);
                }
                if (t.value().equals("{")) {
                    List<Expr> keys = new ArrayList<>();
                    List<Expr> values = new ArrayList<>();
                    while (!acceptOp("}")) {
                        if (!keys.isEmpty()) {
                            expectOp(",");
                            if (acceptOp("}")) {
                                break;
                            }
                        }
                        keys.add(expression());
                        expectOp(":");
                        values.add(expression());
                    }
                    return new Expr.DictLiteral(keys, values);
                }
                throw error(t, "unexpected '" + t.value() + "'");
            default:
                throw error(t, "unexpected " + describe(t));
        }
    }

    private Expr postfix(Expr node) {
        while (true) {
            if (acceptOp(".")) {
                Token t = next();
                if (t.kind() == Kind.NAME) {
                    node = new Expr.GetAttr(node, t.value());
                } else if (t.kind() == Kind.INT) {
                    node = new Expr.GetItem(node, new Expr.Literal(Long.parseLong(t.value())));
                } else {
                    throw error(t, "expected an attribute name");
                }
            } else if (acceptOp("[")) {
                node = subscript(node);
            } else if (peek().isOp("(")) {
                node = call(node);
            } else {
                return node;
            }
        }
    }

    private Expr subscript(Expr target) {
        Expr[] parts = new Expr[3];
        boolean isSlice = false;
        int part = 0;
        while (!acceptOp("]")) {
            if (acceptOp(":")) {
                isSlice = true;
                part++;
                if (part > 2) {
                    throw error(peek(), "too many ':' in slice");
                }
                continue;
            }
            if (parts[part] != null) {
                throw error(peek(), "expected ':' or ']'");
            }
            parts[part] = expression();
        }
        if (!isSlice) {
            if (parts[0] == null) {
                throw error(peek(), "expected a subscript");
            }
            return new Expr.GetItem(target, parts[0]);
        }
        return new Expr.Slice(target, parts[0], parts[1], parts[2]);
    }

    private Expr call(Expr function) {
        List<Expr> args = new ArrayList<>();
        Map<String, Expr> kwargs = new LinkedHashMap<>();
        callArguments(args, kwargs);
        return new Expr.Call(function, args, kwargs);
    }

    private void callArguments(List<Expr> args, Map<String, Expr> kwargs) {
        expectOp("(");
        boolean first = true;
        while (!acceptOp(")")) {
            if (!first) {
                expectOp(",");
                if (acceptOp(")")) {
                    break;
                }
            }
            first = false;
            if (acceptOp("**")) {
                kwargs.put("**" + kwargs.size(), new Expr.Splat(expression()));
            } else if (acceptOp("*")) {
                args.add(new Expr.Splat(expression()));
            } else if (peek().kind() == Kind.NAME && tokens.get(pos + 1).isOp("=")) {
                String key = next().value();
                pos++;
                kwargs.put(key, expression());
            } else {
                if (!kwargs.isEmpty()) {
                    throw error(peek(), "positional argument after keyword argument");
                }
                args.add(expression());
            }
        }
    }

    private Expr filters(Expr node) {
        while (true) {
            if (acceptOp("|")) {
                String name = dottedName();
                List<Expr> args = new ArrayList<>();
                Map<String, Expr> kwargs = new LinkedHashMap<>();
                if (peek().isOp("(")) {
                    callArguments(args, kwargs);
                }
                node = new Expr.Filter(node, name, args, kwargs);
            } else if (acceptName("is")) {
                boolean negated = acceptName("not");
                String name = dottedName();
                List<Expr> args = new ArrayList<>();
                Token t = peek();
                if (t.isOp("(")) {
                    Map<String, Expr> kwargs = new LinkedHashMap<>();
                    callArguments(args, kwargs);
                    args.addAll(kwargs.values());
                } else if (startsTestArgument(t)) {
                    args.add(postfix(primary()));
                }
                node = new Expr.Test(node, name, args, negated);
            } else if (peek().isOp("(")) {
                node = call(node);
            } else {
                return node;
            }
        }
    }

    /** jinja2 lets a test take one argument without parentheses: {@code x is divisibleby 3}. */
    private static boolean startsTestArgument(Token t) {
        switch (t.kind()) {
            case NAME:
                return !TEST_ARGUMENT_STOPS.contains(t.value());
            case STRING:
            case INT:
            case FLOAT:
                return true;
            case OP:
                return t.value().equals("[") || t.value().equals("{");
            default:
                return false;
        }
    }

    private String dottedName() {
        StringBuilder sb = new StringBuilder(name());
        while (peek().isOp(".") && tokens.get(pos + 1).kind() == Kind.NAME) {
            pos++;
            sb.append('.').append(next().value());
        }
        return sb.toString();
    }

    // ---- token helpers ----

    private Token peek() {
        return tokens.get(pos);
    }

    private Token next() {
        Token t = tokens.get(pos);
        if (t.kind() != Kind.EOF) {
            pos++;
        }
        return t;
    }

    private boolean acceptOp(String op) {
        if (peek().isOp(op)) {
            pos++;
            return true;
        }
        return false;
    }

    private boolean acceptName(String name) {
        if (peek().isName(name)) {
            pos++;
            return true;
        }
        return false;
    }

    private void expectOp(String op) {
        if (!acceptOp(op)) {
            throw error(peek(), "expected '" + op + "' but found " + describe(peek()));
        }
    }

    private void expect(Kind kind, String what) {
        if (peek().kind() != kind) {
            throw error(peek(), "expected " + what + " but found " + describe(peek()));
        }
        pos++;
    }

    private String name() {
        Token t = next();
        if (t.kind() != Kind.NAME) {
            throw error(t, "expected a name but found " + describe(t));
        }
        return t.value();
    }

    private static String describe(Token t) {
        switch (t.kind()) {
            case EOF: return "end of template";
            case VAR_END: return "'}}'";
            case BLOCK_END: return "'%}'";
            case STRING: return "string";
            default: return "'" + t.value() + "'";
        }
    }

    private TemplateException error(Token t, String message) {
        return new TemplateException("template syntax error at line " + t.line() + ": " + message);
    }
}
