package dev.parlance.store;

/**
 * Generation figures saved with an answer. A figure that is NaN or infinite (read from an
 * imported file) is kept as 0, "not measured": JSON has no such numbers, so an export could not
 * hold it.
 */
public record MessageStats(int tokens, double timeToFirstTokenMillis, double tokensPerSecond) {
    public static final MessageStats NONE = new MessageStats(0, 0, 0);

    public MessageStats {
        timeToFirstTokenMillis = Double.isFinite(timeToFirstTokenMillis) ? timeToFirstTokenMillis : 0;
        tokensPerSecond = Double.isFinite(tokensPerSecond) ? tokensPerSecond : 0;
    }
}
