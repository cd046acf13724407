package dev.parlance.store;

import java.util.List;

/**
 * A whole conversation, header and messages, as exported and imported.
 *
 * @param messages in order; not copied, so callers should not change the list afterwards
 */
public record ConversationArchive(ConversationRecord conversation, List<MessageRecord> messages) {}
