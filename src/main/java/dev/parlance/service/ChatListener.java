package dev.parlance.service;

import dev.parlance.inference.FinishReason;
import dev.parlance.inference.GenerationStats;

/** Receives one answer as it is generated, on the inference worker thread. */
public interface ChatListener {
    /** More answer text (never a partial character, never a stop marker). */
    void onText(String delta);

    /** More reasoning text (what a reasoning model writes inside {@code <think>…</think>}). */
    default void onReasoning(String delta) {}

    /** The answer is complete; {@code droppedMessages} oldest messages did not fit the context. */
    void onFinished(FinishReason reason, GenerationStats stats, int droppedMessages);

    /** It failed; the message of {@code error} is fit to show a person. */
    void onFailed(Throwable error);
}
