package dev.parlance.store;

import dev.parlance.chat.Role;
import dev.parlance.inference.FinishReason;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Where conversations live. A conversation is a tree of messages: each has a parent (null for a
 * first message), and messages with the same parent are versions of one turn (regenerated answers,
 * edited questions that started a branch). The conversation remembers its selected leaf; the path
 * from the first message to that leaf is what {@link #messages} reads and what a prompt is made of.
 * Thread-safe. Writes are queued to one writer thread and return at
 * once (ids are made by the caller-side, so nothing waits for the disk); reads see every write
 * queued before them. Implementations: the SQLite store, and an in-memory one for tests.
 */
public interface ConversationStore extends AutoCloseable {

    /** Conversations that are not deleted, most recently updated first. */
    List<ConversationRecord> conversations();

    /**
     * A page of {@link #conversations()}, for long lists. This default pages the full list;
     * stores that can page cheaply override it.
     */
    default List<ConversationRecord> conversations(int offset, int limit) {
        List<ConversationRecord> all = conversations();
        int from = Math.min(offset, all.size());
        return all.subList(from, (int) Math.min(all.size(), (long) from + limit));
    }

    Optional<ConversationRecord> conversation(String id);

    /** Creates a conversation and returns it (with a new id). */
    ConversationRecord create(String title, String model, ConversationSettings settings);

    void rename(String conversationId, String title);

    void updateSettings(String conversationId, String model, ConversationSettings settings);

    /** Soft delete: hidden from {@link #conversations()} until {@link #restore} or the session ends. */
    void delete(String conversationId);

    void restore(String conversationId);

    /**
     * The selected path of a conversation, first message to selected leaf; {@code offset}/{@code
     * limit} page through long ones.
     */
    List<MessageRecord> messages(String conversationId, int offset, int limit);

    /** How many messages the selected path has. */
    int messageCount(String conversationId);

    /** Every message of a conversation, on every branch, each after its parent; empty if there is none. */
    List<MessageRecord> tree(String conversationId);

    /**
     * The versions of a message's turn: the messages with the same parent, oldest first, this one
     * among them; empty if there is no such message.
     */
    List<MessageRecord> versions(String messageId);

    /** Appends a message after the selected leaf, selects it, and returns it (with a new id and position). */
    MessageRecord append(String conversationId, Role role, String content);

    /**
     * Adds a message under {@code parentId} (a new version of the turn after it) and selects it.
     *
     * @param parentId the message it follows, or null for a new first message
     * @throws StoreException if there is no such conversation
     */
    MessageRecord append(String conversationId, String parentId, Role role, String content);

    /**
     * Selects the path through a message: the leaf becomes the end of its newest line of
     * descendants (at each step the child added last). Does nothing if there is no such message.
     */
    void select(String messageId);

    /**
     * Replaces a message's text while it streams or when it is done.
     *
     * @param finish null while still generating (a crash then leaves it marked interrupted)
     */
    void updateMessage(String messageId, String content, String reasoning, MessageStats stats, FinishReason finish);

    /** Edits a user message's text. */
    void editMessage(String messageId, String content);

    /** The same as {@link #deleteMessage}: what follows a message is its subtree. */
    default void truncateFrom(String messageId) {
        deleteMessage(messageId);
    }

    /**
     * Deletes a message and its subtree (every version and branch that follows it). If the selected
     * leaf was among them, the newest remaining version of the message is selected, or else its parent.
     */
    void deleteMessage(String messageId);

    /** Full-text search over all messages, on every branch, best first. */
    List<SearchHit> search(String query, int limit);

    /**
     * The durability barrier: completes once every write queued before this call is committed, or
     * fails with the {@link StoreException} that holds some back (they stay queued and are
     * retried). It does not wait; {@link #flush()} is the waiting form.
     */
    CompletableFuture<Void> committed();

    /**
     * Waits until every queued write is on disk.
     *
     * @throws StoreException if some writes are held back (a full disk, say); they stay queued
     */
    void flush();

    @Override
    void close();
}
