package dev.parlance.store;

import java.util.List;

/**
 * A whole conversation, header and messages, as exported and imported.
 *
 * @param messages every message of the tree, each after its parent; not copied, so callers should
 *     not change the list afterwards. When no message has a {@link MessageRecord#parentId()} (a file
 *     from before versions and branches), they are one chain in the order of the list.
 * @param selectedLeafId the last message of the path shown, or null for the last message of the list
 */
public record ConversationArchive(ConversationRecord conversation, List<MessageRecord> messages,
        String selectedLeafId) {

    /** A conversation that is one chain, ending with the last message. */
    public ConversationArchive(ConversationRecord conversation, List<MessageRecord> messages) {
        this(conversation, messages, null);
    }
}
