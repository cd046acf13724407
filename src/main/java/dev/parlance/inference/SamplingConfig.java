package dev.parlance.inference;

import java.util.List;

/**
 * How the next token is chosen and when generation stops.
 *
 * @param temperature 0 means greedy (argmax)
 * @param topK keep the K most likely tokens; 0 disables
 * @param topP keep the smallest set whose probability reaches P; 1 disables
 * @param minP drop tokens whose probability is below minP times the best one's; 0 disables
 * @param repeatPenalty divide positive (multiply negative) logits of tokens already seen; 1 disables
 * @param seed random seed; the same seed, prompt and settings give the same text
 * @param maxNewTokens the most tokens to generate; 0 computes the prompt and generates none
 * @param stopStrings generation stops before any of these would be emitted
 * @param frequencyPenalty subtracted from a token's logit once for every time this answer has
 *     already chosen it (OpenAI's {@code frequency_penalty}, -2 to 2); 0 disables
 * @param presencePenalty subtracted once from the logit of every token this answer has already
 *     chosen (OpenAI's {@code presence_penalty}, -2 to 2); 0 disables
 */
public record SamplingConfig(
        double temperature,
        int topK,
        double topP,
        double minP,
        double repeatPenalty,
        long seed,
        int maxNewTokens,
        List<String> stopStrings,
        double frequencyPenalty,
        double presencePenalty) {

    public SamplingConfig {
        // written so that NaN fails every check, as it fails every comparison
        if (!(temperature >= 0)) {
            throw new IllegalArgumentException("temperature must be >= 0, was " + temperature);
        }
        if (topK < 0) {
            throw new IllegalArgumentException("top-k must be >= 0, was " + topK);
        }
        if (!(topP > 0 && topP <= 1)) {
            throw new IllegalArgumentException("top-p must be in (0, 1], was " + topP);
        }
        if (!(minP >= 0 && minP < 1)) {
            throw new IllegalArgumentException("min-p must be in [0, 1), was " + minP);
        }
        if (!(repeatPenalty > 0) || Double.isInfinite(repeatPenalty)) {
            throw new IllegalArgumentException("repeat penalty must be > 0, was " + repeatPenalty);
        }
        if (maxNewTokens < 0) {
            throw new IllegalArgumentException("max new tokens must be >= 0, was " + maxNewTokens);
        }
        if (!(frequencyPenalty >= -2 && frequencyPenalty <= 2)) {
            throw new IllegalArgumentException("frequency penalty must be in [-2, 2], was " + frequencyPenalty);
        }
        if (!(presencePenalty >= -2 && presencePenalty <= 2)) {
            throw new IllegalArgumentException("presence penalty must be in [-2, 2], was " + presencePenalty);
        }
        stopStrings = List.copyOf(stopStrings);
    }

    /** Settings without frequency and presence penalties. */
    public SamplingConfig(double temperature, int topK, double topP, double minP, double repeatPenalty, long seed,
            int maxNewTokens, List<String> stopStrings) {
        this(temperature, topK, topP, minP, repeatPenalty, seed, maxNewTokens, stopStrings, 0, 0);
    }

    /** Greedy decoding of up to {@code maxNewTokens} tokens. */
    public static SamplingConfig greedy(int maxNewTokens) {
        return new SamplingConfig(0, 0, 1, 0, 1, 0, maxNewTokens, List.of());
    }

    public boolean isGreedy() {
        return temperature == 0;
    }

    public SamplingConfig withMaxNewTokens(int tokens) {
        return new SamplingConfig(temperature, topK, topP, minP, repeatPenalty, seed, tokens, stopStrings,
                frequencyPenalty, presencePenalty);
    }

    public SamplingConfig withStopStrings(List<String> stops) {
        return new SamplingConfig(temperature, topK, topP, minP, repeatPenalty, seed, maxNewTokens, stops,
                frequencyPenalty, presencePenalty);
    }

    public SamplingConfig withPenalties(double frequency, double presence) {
        return new SamplingConfig(temperature, topK, topP, minP, repeatPenalty, seed, maxNewTokens, stopStrings,
                frequency, presence);
    }
}
