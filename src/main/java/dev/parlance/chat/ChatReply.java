package dev.parlance.chat;

import dev.parlance.inference.FinishReason;
import dev.parlance.inference.GenerationStats;

/**
 * A finished answer.
 *
 * @param answer the text the user sees (reasoning and stop markers removed)
 * @param reasoning what a reasoning model wrote inside {@code <think>…</think>}, or empty
 * @param droppedMessages how many of the oldest messages were left out to fit the context
 */
public record ChatReply(String answer, String reasoning, FinishReason finish, GenerationStats stats,
        int droppedMessages) {}
