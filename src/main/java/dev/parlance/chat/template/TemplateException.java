package dev.parlance.chat.template;

/**
 * A chat template failed to parse or to render.
 *
 * <p>When the template itself calls {@code raise_exception(message)} (for example Gemma rejecting a
 * system message), {@link #getMessage()} is exactly that message, so callers can show the model
 * author's own words. Parse errors name the template line.
 */
public class TemplateException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public TemplateException(String message) {
        super(message);
    }

    public TemplateException(String message, Throwable cause) {
        super(message, cause);
    }
}
