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
 *
 * <p>Thread-safe. What is durable when:
 *
 * <ul>
 *   <li>Writes are queued and return at once; ids are made on the caller's side, so {@link #create}
 *       and {@link #append} return complete records without waiting for the disk.
 *   <li>Every other write returns a future that completes when it is committed: a fresh store on
 *       the same file shows it, whatever happens to this process afterwards. It fails with the
 *       {@link StoreException} that holds the write back (a full disk: the write stays queued and is
 *       retried, and the store's error listeners are told) or that made it impossible.
 *   <li>{@link #committed()} is the barrier for everything queued before it; it is how a caller
 *       waits for a {@link #create} or an {@link #append} (the user's message before the model is
 *       asked).
 *   <li>Streamed text ({@link #updateMessage} with no finish reason) is one write per message that
 *       each call supersedes; the store commits it at most about twice a second, so a crash may lose
 *       the last second of an answer, and the future of each call completes when that text, or a
 *       later one, is committed. The final {@code updateMessage} (with a finish reason) is an
 *       ordinary write.
 *   <li>Reads see every write queued before them, streamed text included: a read right after a
 *       write shows it, committed or not yet.
 * </ul>
 *
 * <p>Implementations: the SQLite store, and an in-memory one for tests, whose writes are done (and
 * their futures complete) when the call returns.
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

    CompletableFuture<Void> rename(String conversationId, String title);

    CompletableFuture<Void> updateSettings(String conversationId, String model, ConversationSettings settings);

    /** Soft delete: hidden from {@link #conversations()} until {@link #restore} or the session ends. */
    CompletableFuture<Void> delete(String conversationId);

    CompletableFuture<Void> restore(String conversationId);

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
    CompletableFuture<Void> select(String messageId);

    /**
     * Replaces a message's text while it streams or when it is done.
     *
     * @param finish null while still generating (a crash then leaves it marked interrupted); a
     *     streamed call after the one with a finish reason changes nothing
     * @return completes when this text, or for streamed text a later one, is committed
     */
    CompletableFuture<Void> updateMessage(
            String messageId, String content, String reasoning, MessageStats stats, FinishReason finish);

    /** Edits a user message's text. */
    CompletableFuture<Void> editMessage(String messageId, String content);

    /** The same as {@link #deleteMessage}: what follows a message is its subtree. */
    default CompletableFuture<Void> truncateFrom(String messageId) {
        return deleteMessage(messageId);
    }

    /**
     * Deletes a message and its subtree (every version and branch that follows it). If the selected
     * leaf was among them, the newest remaining version of the message is selected, or else its parent.
     */
    CompletableFuture<Void> deleteMessage(String messageId);

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
