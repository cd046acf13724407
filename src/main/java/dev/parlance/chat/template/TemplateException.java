package dev.parlance.chat.template;

import java.util.OptionalInt;

/**
 * A chat template failed to parse or to render.
 *
 * <p>When the template itself calls {@code raise_exception(message)} (for example Gemma rejecting a
 * system message), {@link #getMessage()} is exactly that message, so callers can show the model
 * author's own words. Syntax errors name the line in their message; for errors while rendering,
 * {@link #line()} tells the template line of the statement that failed.
 */
public class TemplateException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int line;

    public TemplateException(String message) {
        this(message, 0, null);
    }

    public TemplateException(String message, Throwable cause) {
        this(message, 0, cause);
    }

    private TemplateException(String message, int line, Throwable cause) {
        super(message, cause);
        this.line = line;
    }

    /** The 1-based template line where rendering failed, when known. */
    public OptionalInt line() {
        return line > 0 ? OptionalInt.of(line) : OptionalInt.empty();
    }

    /** This error located at a template line, unless it already is. */
    TemplateException at(int templateLine) {
        if (line > 0) {
            return this;
        }
        TemplateException located = new TemplateException(getMessage(), templateLine, getCause());
        located.setStackTrace(getStackTrace());
        return located;
    }
}
