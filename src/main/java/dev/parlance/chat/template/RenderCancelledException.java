package dev.parlance.chat.template;

/**
 * A render was stopped from outside: its cancel flag was set, or its thread was interrupted (the
 * interrupt status is left set for the caller to see).
 */
public final class RenderCancelledException extends TemplateException {
    private static final long serialVersionUID = 1L;

    RenderCancelledException(String subject) {
        super("rendering " + subject + " was cancelled");
    }

    @Override
    TemplateException at(int templateLine) {
        return this;
    }
}
