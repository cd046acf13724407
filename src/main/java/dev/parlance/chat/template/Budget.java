package dev.parlance.chat.template;

import java.time.Duration;
import java.util.Locale;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * The running account of one render against its {@link RenderLimits}, also polling the cancel
 * flag and the thread's interrupt status at every step. {@link Template#render} binds it to
 * {@link #CURRENT} for the duration of the render, so the evaluator and the string operations it
 * calls reach it without threading it through every signature. All of the engine's work happens
 * inside a render.
 */
final class Budget {
    static final ScopedValue<Budget> CURRENT = ScopedValue.newInstance();

    private final RenderLimits limits;
    private final String subject;
    private final BooleanSupplier cancelled;
    private final long deadline;
    private long steps;
    private long characters;
    private int depth;

    /**
     * @param subject how errors name the template: "the chat template of Qwen2.5-0.5B-Instruct"
     * @param cancelled polled at every step
     */
    Budget(RenderLimits limits, String subject, BooleanSupplier cancelled) {
        this.limits = limits;
        this.subject = subject;
        this.cancelled = cancelled;
        this.deadline = System.nanoTime() + limits.time().toNanos();
    }

    /** One loop iteration, call or output piece. */
    static void step() {
        steps(1);
    }

    /** {@code n} steps at once, charged before the work they stand for (items of a list being built). */
    static void steps(long n) {
        CURRENT.get().spend(n);
    }

    /** Refuses, before anything is allocated, to build a string of {@code count * each} characters past the budget. */
    static void reserve(long count, long each) {
        if (count > 0 && each > 0) {
            Budget b = CURRENT.get();
            if (count > (b.limits.characters() - b.characters) / each) {
                throw b.exceeded(BudgetExceededException.Kind.OUTPUT);
            }
        }
    }

    /** Refuses to build a string of {@code length} characters past the budget. */
    static void reserve(long length) {
        reserve(length, 1);
    }

    /** Counts the characters of a string the render has built, returning the value as is. */
    static Object charge(Object built) {
        if (built instanceof String s) {
            CURRENT.get().count(s.length());
        }
        return built;
    }

    /** Appends an output piece: one step, and its characters. */
    static void write(StringBuilder out, String piece) {
        Budget b = CURRENT.get();
        b.spend(1);
        b.count(piece.length());
        out.append(piece);
    }

    /** Runs a macro body one level deeper. */
    static String nested(Supplier<String> body) {
        Budget b = CURRENT.get();
        if (b.depth >= b.limits.depth()) {
            throw b.exceeded(BudgetExceededException.Kind.DEPTH);
        }
        b.depth++;
        try {
            return body.get();
        } finally {
            b.depth--;
        }
    }

    private void spend(long n) {
        if (n > limits.steps() - steps) {
            throw exceeded(BudgetExceededException.Kind.STEP);
        }
        steps += n;
        if (cancelled.getAsBoolean() || Thread.currentThread().isInterrupted()) {
            throw new RenderCancelledException(subject);
        }
        if (System.nanoTime() - deadline > 0) {
            throw exceeded(BudgetExceededException.Kind.TIME);
        }
    }

    private void count(long n) {
        if (n > limits.characters() - characters) {
            throw exceeded(BudgetExceededException.Kind.OUTPUT);
        }
        characters += n;
    }

    private BudgetExceededException exceeded(BudgetExceededException.Kind kind) {
        String limit = switch (kind) {
            case STEP -> String.format(Locale.ROOT, "%,d steps", limits.steps());
            case OUTPUT -> String.format(Locale.ROOT, "%,d characters", limits.characters());
            case TIME -> seconds(limits.time());
            case DEPTH -> String.format(Locale.ROOT, "%,d nested macro calls", limits.depth());
        };
        return new BudgetExceededException(subject, kind, limit);
    }

    private static String seconds(Duration d) {
        long millis = d.toMillis();
        return millis % 1000 == 0 ? millis / 1000 + " s" : millis + " ms";
    }
}
