package dev.parlance.store;

import dev.parlance.chat.Role;
import dev.parlance.inference.FinishReason;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Where conversations live. Thread-safe. Writes are queued to one writer thread and return at
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

    /** Messages of a conversation in order; {@code offset}/{@code limit} page through long ones. */
    List<MessageRecord> messages(String conversationId, int offset, int limit);

    int messageCount(String conversationId);

    /** Appends a message and returns it (with a new id and the next position). */
    MessageRecord append(String conversationId, Role role, String content);

    /**
     * Replaces a message's text while it streams or when it is done.
     *
     * @param finish null while still generating (a crash then leaves it marked interrupted)
     */
    void updateMessage(String messageId, String content, String reasoning, MessageStats stats, FinishReason finish);

    /** Edits a user message's text. */
    void editMessage(String messageId, String content);

    /** Deletes this message and every later one of its conversation (edit-and-resend, regenerate). */
    void truncateFrom(String messageId);

    void deleteMessage(String messageId);

    /** Full-text search over all messages, best first. */
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
