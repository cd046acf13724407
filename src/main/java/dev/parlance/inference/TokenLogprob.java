package dev.parlance.inference;

import java.util.List;

/**
 * The log-probability of a chosen token and its best alternatives (as OpenAI's {@code logprobs}),
 * under the model's raw distribution (before penalties and temperature).
 *
 * @param top the most likely tokens at this step, best first
 */
public record TokenLogprob(int id, String token, double logprob, List<Alternative> top) {
    /** One alternative token. */
    public record Alternative(int id, String token, double logprob) {}
}
