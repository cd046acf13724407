package dev.parlance.store;

/**
 * Generation figures saved with an answer. A figure that is NaN or infinite (read from an
 * imported file) is kept as 0, "not measured": JSON has no such numbers, so an export could not
 * hold it.
 *
 * @param seed the random seed the answer was sampled with, so it can be written again the same
 *     way; {@link #NO_SEED} when not known (user messages, imports, answers saved before seeds were)
 */
public record MessageStats(int tokens, double timeToFirstTokenMillis, double tokensPerSecond, long seed) {
    /** The seed of an answer whose seed is not known. */
    public static final long NO_SEED = -1;
    public static final MessageStats NONE = new MessageStats(0, 0, 0);

    public MessageStats {
        timeToFirstTokenMillis = Double.isFinite(timeToFirstTokenMillis) ? timeToFirstTokenMillis : 0;
        tokensPerSecond = Double.isFinite(tokensPerSecond) ? tokensPerSecond : 0;
        seed = seed < 0 ? NO_SEED : seed;
    }

    /** Figures without a seed. */
    public MessageStats(int tokens, double timeToFirstTokenMillis, double tokensPerSecond) {
        this(tokens, timeToFirstTokenMillis, tokensPerSecond, NO_SEED);
    }
}
