package dev.parlance.inference;

/**
 * Measurements of one generation.
 *
 * @param promptTokens tokens in the prompt
 * @param reusedTokens prompt tokens whose keys and values were already in the cache
 * @param generatedTokens new tokens produced
 * @param timeToFirstTokenMillis from the request to the first new token
 * @param prefillMillis time spent computing the prompt's uncached tokens
 * @param decodeMillis time spent producing the tokens after the first
 */
public record GenerationStats(
        int promptTokens,
        int reusedTokens,
        int generatedTokens,
        double timeToFirstTokenMillis,
        double prefillMillis,
        double decodeMillis) {

    /** Prompt tokens actually computed per second (reused tokens are not counted). */
    public double prefillTokensPerSecond() {
        int computed = promptTokens - reusedTokens;
        return prefillMillis <= 0 ? 0 : computed * 1000.0 / prefillMillis;
    }

    /** New tokens per second after the first one. */
    public double decodeTokensPerSecond() {
        return decodeMillis <= 0 || generatedTokens < 2 ? 0 : (generatedTokens - 1) * 1000.0 / decodeMillis;
    }
}
