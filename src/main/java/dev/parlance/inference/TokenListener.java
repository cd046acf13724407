package dev.parlance.inference;

/** Receives each generated token as soon as it is chosen, on the generating thread. */
@FunctionalInterface
public interface TokenListener {
    /**
     * @param id the token id
     * @param text the text this token completes (empty while a character or a possible stop
     *     string is held back)
     * @param logprob its log-probability and alternatives, or null when not requested
     */
    void onToken(int id, String text, TokenLogprob logprob);
}
