package dev.parlance.chat.template;

import java.util.Locale;

/**
 * A render went past one of its {@link RenderLimits}: the template loops too long, builds too
 * much text, takes too long or nests macro calls too deeply. The message names the model and the
 * limit: {@code the chat template of Qwen2.5-0.5B-Instruct exceeded its step budget (1,000,000
 * steps)}.
 */
public final class BudgetExceededException extends TemplateException {
    private static final long serialVersionUID = 1L;

    /** Which limit was passed. */
    public enum Kind {
        STEP, OUTPUT, TIME, DEPTH;

        /** The word used in messages: "step", "output", "time", "depth". */
        public String word() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    private final Kind kind;

    BudgetExceededException(String subject, Kind kind, String limit) {
        super(subject + " exceeded its " + kind.word() + " budget (" + limit + ")");
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }

    /** A budget stops the whole render; which statement was running adds nothing. */
    @Override
    TemplateException at(int templateLine) {
        return this;
    }
}
