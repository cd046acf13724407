package dev.parlance.chat;

import dev.parlance.inference.FinishReason;
import dev.parlance.inference.GenerationStats;
import dev.parlance.inference.TokenLogprob;

/**
 * Receives one answer as it is generated, on the generating thread. {@link ChatSession#reply}
 * calls only {@link #onText}, {@link #onReasoning}, {@link #onLogprob} and {@link #onTokens} (it
 * returns the end or throws); a service that answers in the background also calls {@link #onFinished} or {@link #onFailed}, once.
 */
public interface ChatListener {
    /** More answer text (never a partial character, never a stop marker). */
    void onText(String delta);

    /** More reasoning text (what a reasoning model writes inside {@code <think>…</think>}). */
    default void onReasoning(String delta) {}

    /**
     * The log-probability of the token just generated and its best alternatives, before its text
     * reaches {@link #onText}; called only when the request asked for log-probabilities.
     */
    default void onLogprob(TokenLogprob logprob) {}

    /**
     * The answer's tokens with their probabilities, once, after its last text and before
     * {@link #onFinished} (also for a cancelled answer, with the tokens it has).
     */
    default void onTokens(TokenTrace trace) {}

    /** The answer is complete; {@code droppedMessages} oldest messages did not fit the context. */
    default void onFinished(FinishReason reason, GenerationStats stats, int droppedMessages) {}

    /** It failed; the message of {@code error} is fit to show a person. */
    default void onFailed(Throwable error) {}
}
