package dev.parlance.store;

import dev.parlance.chat.Role;
import dev.parlance.inference.FinishReason;
import java.time.Instant;

/**
 * A stored message.
 *
 * @param position 0-based order in its conversation
 * @param reasoning the model's reasoning (the {@code <think>} part), or empty
 * @param finish null for user and system messages and for answers still streaming
 */
public record MessageRecord(
        String id,
        String conversationId,
        int position,
        Role role,
        String content,
        String reasoning,
        Instant created,
        String model,
        MessageStats stats,
        FinishReason finish) {}
