package dev.parlance.inference;

/** A prompt that does not fit the context window. */
public class ContextOverflowException extends IllegalArgumentException {
    private final int promptTokens;
    private final int contextLength;

    public ContextOverflowException(int promptTokens, int contextLength) {
        super("the prompt has " + promptTokens + " tokens but the context holds only " + contextLength
                + " (with room for at least one new token)");
        this.promptTokens = promptTokens;
        this.contextLength = contextLength;
    }

    public int promptTokens() {
        return promptTokens;
    }

    public int contextLength() {
        return contextLength;
    }
}
