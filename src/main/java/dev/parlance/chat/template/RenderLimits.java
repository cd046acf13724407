package dev.parlance.chat.template;

import java.time.Duration;
import java.util.Objects;

/**
 * What one render of a template may spend before it is stopped with a
 * {@link BudgetExceededException}. A chat template is code from the internet, so rendering runs
 * with limits that no published template comes near (docs/chat-templates.md gives the measured
 * needs of real ones).
 *
 * @param steps loop iterations, calls (functions, macros, methods, filters, tests), output
 *     pieces, and the items of lists and strings a render builds or splits into items
 * @param characters characters written to the output, to captured blocks and macro bodies, and
 *     built by string operations, all counted together; an operation that would build past it is
 *     refused before it allocates; at most {@link Integer#MAX_VALUE}, the longest Java string
 * @param time wall-clock time from the start of the render
 * @param depth how deeply macro calls may nest
 */
public record RenderLimits(long steps, long characters, Duration time, int depth) {
    /** The limits every render has unless its caller chooses others. */
    public static final RenderLimits DEFAULT = new RenderLimits(1_000_000, 64_000_000, Duration.ofSeconds(5), 100);

    public RenderLimits {
        Objects.requireNonNull(time, "time");
        if (steps <= 0 || characters <= 0 || characters > Integer.MAX_VALUE || depth <= 0 || !time.isPositive()) {
            throw new IllegalArgumentException("render limits must be positive, characters at most 2^31 - 1: "
                    + steps + " steps, " + characters + " characters, " + time + ", depth " + depth);
        }
    }
}
