package dev.parlance.inference;

import java.util.List;

/**
 * A finished generation.
 *
 * @param tokens the generated ids (a stop id that ended it is not included)
 * @param text their text, cut before any stop string
 * @param logprobs one entry per token when requested, else empty
 */
public record GenerationResult(int[] tokens, String text, FinishReason finish, GenerationStats stats,
        List<TokenLogprob> logprobs) {}
