package dev.parlance.store;

import dev.parlance.chat.Role;
import dev.parlance.inference.FinishReason;
import java.time.Instant;

/**
 * A stored message.
 *
 * @param position 0-based place in its path from the conversation's first message (its depth): versions
 *     of one turn share it
 * @param reasoning the model's reasoning (the {@code <think>} part), or empty
 * @param finish null for user and system messages and for answers still streaming
 * @param parentId the message this one follows, or null for a first message; messages with the same
 *     parent are versions of one turn (regenerated answers, edited questions)
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
        FinishReason finish,
        String parentId) {

    /** A message whose parent is not known yet (an import fills it in from the order of the file). */
    public MessageRecord(String id, String conversationId, int position, Role role, String content, String reasoning,
            Instant created, String model, MessageStats stats, FinishReason finish) {
        this(id, conversationId, position, role, content, reasoning, created, model, stats, finish, null);
    }
}
