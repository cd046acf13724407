package dev.parlance.store;

/** Generation figures saved with an answer. */
public record MessageStats(int tokens, double timeToFirstTokenMillis, double tokensPerSecond) {
    public static final MessageStats NONE = new MessageStats(0, 0, 0);
}
