package dev.parlance.store;

import dev.parlance.AppDirectories;
import dev.parlance.chat.Role;
import dev.parlance.inference.FinishReason;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * The conversation store in one SQLite file, {@value #FILE_NAME} in the data directory.
 *
 * <p>Writes go to a {@link StoreWriter} thread and return at once, with a future that completes
 * when the write is committed; reads wait for the writes queued before them, then run on a second
 * connection (WAL lets it read while the writer writes). Text streamed into an answer ({@link
 * #updateMessage} with no finish reason) is one superseding write per answer in the writer's queue,
 * committed about twice a second, or at once when a read or {@link #committed()} asks for it; it is
 * kept nowhere else.
 *
 * <p>Opening checks the file: one from a newer Parlance is refused untouched ({@link
 * NewerDatabaseException}); a damaged one is moved aside ({@link #movedAside()}) and a new one
 * started; answers that were streaming when the last process died are marked {@link
 * FinishReason#INTERRUPTED}. A soft-deleted conversation can be restored until this store closes,
 * which deletes it for good.
 *
 * <p>This class is the facade; the work is split by responsibility: {@link StoreFile} opens,
 * checks, repairs or moves aside and upgrades the file, {@link StoreReads} reads and searches, and
 * {@link StoreWrites} holds the SQL the {@link StoreWriter} thread runs. What the facade keeps in
 * memory is what {@link #append} needs without waiting for the disk (each conversation's model and
 * selected leaf) and which conversations were deleted this session.
 */
public final class SqliteConversationStore implements ConversationStore {
    /** The database's file name inside the data directory. */
    public static final String FILE_NAME = "parlance.db";

    private final Path file;
    private final Clock clock;
    private final Path movedAside;
    private final StoreReads reads;
    private final Connection writerConnection;
    private final StoreWriter writer;
    private final List<Consumer<StoreException>> errorListeners = new CopyOnWriteArrayList<>();

    /** Per conversation, what {@link #append} needs without waiting for the disk; guarded by itself. */
    private final Map<String, Cursor> cursors = new HashMap<>();
    private final Set<String> deletedThisSession = ConcurrentHashMap.newKeySet();
    private final Thread flushAtExit;
    private volatile boolean closed;

    /** The model and the selected leaf of a conversation, as its queued writes leave them. */
    private static final class Cursor {
        private final String model;
        private String leafId;
        /** The leaf's position, -1 when the conversation has no messages. */
        private int leafPosition;

        private Cursor(String model, String leafId, int leafPosition) {
            this.model = model;
            this.leafId = leafId;
            this.leafPosition = leafPosition;
        }
    }

    private SqliteConversationStore(StoreFile.Opened opened, Clock clock, LongSupplier nanoTime) {
        this.file = opened.file();
        this.clock = clock;
        this.movedAside = opened.movedAside();
        this.writerConnection = opened.writer();
        this.writer = new StoreWriter(writerConnection, file, this::report, nanoTime);
        this.reads = new StoreReads(opened.reader(), file, writer, () -> closed);
        // a logout or Ctrl+C (SIGTERM, SIGINT) runs shutdown hooks: save the last streamed text too
        this.flushAtExit = new Thread(this::flushQuietly, "store-flush-at-exit");
        Runtime.getRuntime().addShutdownHook(flushAtExit);
    }

    private void flushQuietly() {
        try {
            writer.flush();
        } catch (StoreException e) {
            // the process is ending; the listeners have already been told why writes are held
        }
    }

    /** Opens the store in the user's data directory ({@link AppDirectories#dataDirectory()}). */
    public static SqliteConversationStore openDefault() {
        return open(AppDirectories.dataDirectory());
    }

    /**
     * Opens (or creates) the store in {@code dataDirectory}, creating the directory if needed.
     *
     * @throws NewerDatabaseException if a newer Parlance wrote the file; it is not changed
     * @throws StoreException if the directory or file cannot be used, in plain words
     */
    public static SqliteConversationStore open(Path dataDirectory) {
        return open(dataDirectory, Clock.systemUTC());
    }

    /** With a given clock, so tests can order conversations by update time without waiting. */
    static SqliteConversationStore open(Path dataDirectory, Clock clock) {
        return open(dataDirectory, clock, System::nanoTime);
    }

    /**
     * With a given clock for the writer's streaming timer too ({@code nanoTime}), so tests can
     * count the writes of a streamed answer without waiting.
     */
    static SqliteConversationStore open(Path dataDirectory, Clock clock, LongSupplier nanoTime) {
        StoreFile.Opened opened = StoreFile.open(dataDirectory);
        try {
            return new SqliteConversationStore(opened, clock, nanoTime);
        } catch (RuntimeException e) {
            StoreFile.closeQuietly(opened.writer());
            StoreFile.closeQuietly(opened.reader());
            throw e;
        }
    }

    /** The database file. */
    public Path file() {
        return file;
    }

    /** Where a damaged database was moved on opening, if it was. */
    public Optional<Path> movedAside() {
        return Optional.ofNullable(movedAside);
    }

    /** A sentence for the user about what happened on opening, if anything did. */
    public Optional<String> startupNotice() {
        return movedAside().map(aside -> "Your conversation database was damaged and could not be read."
                + " It was kept as " + aside + " and Parlance started a new one.");
    }

    /**
     * Tells {@code listener} whenever a queued write fails, on the writer thread. A temporary
     * problem (such as a full disk) is reported once; the writes are kept and retried. The
     * listener must not wait on the store (reads and {@link #flush()} would wait for itself).
     */
    public void addErrorListener(Consumer<StoreException> listener) {
        errorListeners.add(listener);
    }

    /** The problem holding writes back, if some are waiting to be saved. */
    public Optional<StoreException> pendingError() {
        return Optional.ofNullable(writer.pendingError());
    }

    private void report(StoreException problem) {
        for (Consumer<StoreException> listener : errorListeners) {
            listener.accept(problem);
        }
    }

    // ---- reads: StoreReads

    @Override
    public List<ConversationRecord> conversations() {
        return conversations(0, Integer.MAX_VALUE);
    }

    @Override
    public List<ConversationRecord> conversations(int offset, int limit) {
        return reads.conversations(offset, limit);
    }

    /** Soft-deleted conversations that can still be restored, most recently deleted first. */
    public List<ConversationRecord> deletedConversations() {
        return reads.deletedConversations();
    }

    /** The conversation with this id, unless it is soft-deleted (see {@link #deletedConversations()}). */
    @Override
    public Optional<ConversationRecord> conversation(String id) {
        return reads.conversation(id);
    }

    @Override
    public List<MessageRecord> messages(String conversationId, int offset, int limit) {
        return reads.messages(conversationId, offset, limit);
    }

    @Override
    public List<MessageRecord> tree(String conversationId) {
        return reads.tree(conversationId);
    }

    @Override
    public List<MessageRecord> versions(String messageId) {
        return reads.versions(messageId);
    }

    @Override
    public int messageCount(String conversationId) {
        return reads.messageCount(conversationId);
    }

    /**
     * How many answers of a conversation's selected path ended for each reason; answers still
     * streaming are left out.
     */
    public Map<FinishReason, Integer> finishCounts(String conversationId) {
        return reads.finishCounts(conversationId);
    }

    /**
     * Matches are words of {@code query} in any order (the last may be the start of a word, for
     * search as you type), best first. Soft-deleted conversations are left out; text still
     * streaming is found too (a read commits the queued text first).
     */
    @Override
    public List<SearchHit> search(String query, int limit) {
        return reads.search(query, limit);
    }

    /** An app-wide setting, as saved by {@link #putSetting}. */
    public Optional<String> setting(String key) {
        return reads.setting(key);
    }

    // ---- writes

    private Instant now() {
        return clock.instant().truncatedTo(ChronoUnit.MILLIS);
    }

    private CompletableFuture<Void> write(StoreWriter.Write write) {
        requireOpen();
        return writer.submit(write);
    }

    /** A write that makes the streamed text of the message pointless: that text is dropped. */
    private CompletableFuture<Void> write(String messageId, StoreWriter.Write write) {
        requireOpen();
        return writer.submit(messageId, write);
    }

    private void requireOpen() {
        if (closed) {
            throw new StoreException(StoreException.Reason.OTHER, "The conversation store is closed.");
        }
    }

    /**
     * Saves an app-wide setting; a null value removes it.
     *
     * @return completes when it is committed
     */
    public CompletableFuture<Void> putSetting(String key, String value) {
        return write(c -> {
            String sql = value == null ? "DELETE FROM app_settings WHERE key = ?"
                    : "INSERT INTO app_settings (key, value) VALUES (?, ?)"
                            + " ON CONFLICT (key) DO UPDATE SET value = excluded.value";
            try (PreparedStatement statement = c.prepareStatement(sql)) {
                statement.setString(1, key);
                if (value != null) {
                    statement.setString(2, value);
                }
                statement.executeUpdate();
            }
        });
    }

    @Override
    public ConversationRecord create(String title, String model, ConversationSettings settings) {
        Objects.requireNonNull(title, "title");
        Instant now = now();
        ConversationSettings kept = settings == null ? ConversationSettings.DEFAULTS : settings;
        ConversationRecord record =
                new ConversationRecord(UUID.randomUUID().toString(), title, now, now, model, kept);
        synchronized (cursors) {
            cursors.put(record.id(), new Cursor(model, null, -1));
        }
        write(c -> StoreWrites.insertConversation(c, record));
        return record;
    }

    @Override
    public CompletableFuture<Void> rename(String conversationId, String title) {
        Objects.requireNonNull(title, "title");
        long now = now().toEpochMilli();
        return write(c -> StoreWrites.update(c, "UPDATE conversations SET title = ?, updated = ? WHERE id = ?",
                title, now, conversationId));
    }

    @Override
    public CompletableFuture<Void> updateSettings(String conversationId, String model, ConversationSettings settings) {
        String json = SettingsJson.toText(settings);
        synchronized (cursors) {
            Cursor cursor = cursors.get(conversationId);
            if (cursor != null) {
                cursors.put(conversationId, new Cursor(model, cursor.leafId, cursor.leafPosition));
            }
        }
        return write(c -> StoreWrites.update(c, "UPDATE conversations SET model = ?, settings = ? WHERE id = ?",
                model, json, conversationId));
    }

    @Override
    public CompletableFuture<Void> delete(String conversationId) {
        deletedThisSession.add(conversationId);
        long now = now().toEpochMilli();
        return write(c -> StoreWrites.update(c, "UPDATE conversations SET deleted = ? WHERE id = ?", now, conversationId));
    }

    /** Undoes {@link #delete}; the same as {@link #restore}. */
    public CompletableFuture<Void> undoDelete(String conversationId) {
        return restore(conversationId);
    }

    @Override
    public CompletableFuture<Void> restore(String conversationId) {
        deletedThisSession.remove(conversationId);
        return write(c -> StoreWrites.update(c, "UPDATE conversations SET deleted = NULL WHERE id = ?", conversationId));
    }

    /** Deletes every soft-deleted conversation for good (the "empty the bin" action). */
    public CompletableFuture<Void> purgeDeleted() {
        deletedThisSession.clear();
        return write(c -> StoreWrites.update(c, "DELETE FROM conversations WHERE deleted IS NOT NULL"));
    }

    /**
     * {@inheritDoc}
     *
     * <p>An assistant message records the conversation's current model.
     *
     * @throws StoreException if there is no such conversation
     */
    @Override
    public MessageRecord append(String conversationId, Role role, String content) {
        return append(conversationId, null, true, role, content);
    }

    /**
     * {@inheritDoc}
     *
     * <p>An assistant message records the conversation's current model.
     *
     * @throws IllegalArgumentException if the conversation has no message {@code parentId}
     */
    @Override
    public MessageRecord append(String conversationId, String parentId, Role role, String content) {
        return append(conversationId, parentId, false, role, content);
    }

    private MessageRecord append(String conversationId, String parentId, boolean afterLeaf, Role role,
            String content) {
        Objects.requireNonNull(role, "role");
        Objects.requireNonNull(content, "content");
        MessageRecord message;
        synchronized (cursors) {
            Cursor cursor = cursors.get(conversationId);
            if (cursor == null) {
                StoreReads.Leaf leaf = reads.leaf(conversationId);
                cursor = new Cursor(leaf.model(), leaf.leafId(), leaf.leafPosition());
                cursors.put(conversationId, cursor);
            }
            String parent = afterLeaf ? cursor.leafId : parentId;
            int position;
            if (parent == null) {
                position = 0;
            } else if (parent.equals(cursor.leafId)) {
                position = cursor.leafPosition + 1;
            } else {
                position = reads.positionOf(conversationId, parent) + 1;
            }
            message = new MessageRecord(UUID.randomUUID().toString(), conversationId, position, role, content, "",
                    now(), role == Role.ASSISTANT ? cursor.model : null, MessageStats.NONE, null, parent);
            cursor.leafId = message.id();
            cursor.leafPosition = position;
        }
        long now = message.created().toEpochMilli();
        write(c -> {
            StoreWrites.insertMessage(c, message);
            StoreWrites.update(c, "UPDATE conversations SET updated = ?, leaf_id = ? WHERE id = ?", now, message.id(),
                    conversationId);
        });
        return message;
    }

    /**
     * {@inheritDoc}
     *
     * <p>While {@code finish} is null, calls may come many times a second: the text is one write in
     * the writer's queue that each call replaces, committed about twice a second (or at once when a
     * read or {@link #committed()} asks for it); the future of every such call completes with that
     * commit. The call with a finish reason is queued like any other write and drops the streamed
     * text it replaces.
     */
    @Override
    public CompletableFuture<Void> updateMessage(
            String messageId, String content, String reasoning, MessageStats stats, FinishReason finish) {
        Objects.requireNonNull(content, "content");
        String text = reasoning == null ? "" : reasoning;
        MessageStats figures = stats == null ? MessageStats.NONE : stats;
        requireOpen();
        if (finish == null) {
            // the finish guard keeps a late streamed write from undoing the final one
            return writer.stream(messageId, c -> StoreWrites.update(c, "UPDATE messages SET content = ?,"
                    + " reasoning = ?, tokens = ?, ttft_millis = ?, tokens_per_second = ?, finish = NULL"
                    + " WHERE id = ? AND (finish IS NULL OR finish = 'INTERRUPTED')",
                    content, text, figures.tokens(), figures.timeToFirstTokenMillis(), figures.tokensPerSecond(),
                    messageId));
        }
        long now = now().toEpochMilli();
        return write(messageId, c -> {
            StoreWrites.update(c, "UPDATE messages SET content = ?, reasoning = ?, tokens = ?, ttft_millis = ?,"
                    + " tokens_per_second = ?, finish = ?, seed = ? WHERE id = ?",
                    content, text, figures.tokens(), figures.timeToFirstTokenMillis(), figures.tokensPerSecond(),
                    finish.name(), figures.seed(), messageId);
            StoreWrites.touchConversationOf(c, messageId, now);
        });
    }

    @Override
    public CompletableFuture<Void> editMessage(String messageId, String content) {
        Objects.requireNonNull(content, "content");
        long now = now().toEpochMilli();
        return write(messageId, c -> {
            StoreWrites.update(c, "UPDATE messages SET content = ? WHERE id = ?", content, messageId);
            StoreWrites.touchConversationOf(c, messageId, now);
        });
    }

    @Override
    public CompletableFuture<Void> select(String messageId) {
        forgetPositions();
        return write(c -> StoreWrites.select(c, messageId));
    }

    @Override
    public CompletableFuture<Void> deleteMessage(String messageId) {
        forgetPositions();
        long now = now().toEpochMilli();
        return write(messageId, c -> StoreWrites.deleteSubtree(c, messageId, now));
    }

    /**
     * Selecting and deleting name only a message, so which conversation's leaf changed is known
     * only on the writer thread; the next append reads it afresh instead.
     */
    private void forgetPositions() {
        synchronized (cursors) {
            cursors.clear();
        }
    }

    /**
     * Adds an exported conversation. It keeps its ids, times and figures, unless the store already
     * has a conversation or message with one of those ids (the same file imported twice): then it
     * is added as a copy with new ids. A file whose messages repeat an id gets new ids too.
     *
     * @return the conversation as stored
     */
    public ConversationRecord importConversation(ConversationArchive archive) {
        ConversationRecord original = archive.conversation();
        List<String> messageIds = archive.messages().stream().map(MessageRecord::id).toList();
        boolean repeated = new HashSet<>(messageIds).size() < messageIds.size();
        boolean taken = repeated || reads.idsTaken(original.id(), messageIds);
        String id = taken ? UUID.randomUUID().toString() : original.id();
        ConversationRecord conversation = new ConversationRecord(id, original.title(), original.created(),
                original.updated(), original.model(),
                original.settings() == null ? ConversationSettings.DEFAULTS : original.settings());
        boolean tree = archive.messages().stream().anyMatch(m -> m.parentId() != null);
        Map<String, MessageRecord> added = new HashMap<>();
        List<MessageRecord> messages = new ArrayList<>();
        MessageRecord leaf = null;
        for (MessageRecord m : archive.messages()) {
            MessageRecord previous = messages.isEmpty() ? null : messages.getLast();
            // a parent that is not earlier in the file cannot be honoured: the message follows the one before
            MessageRecord parent = !tree ? previous
                    : m.parentId() == null ? null : added.getOrDefault(m.parentId(), previous);
            MessageRecord message = new MessageRecord(taken ? UUID.randomUUID().toString() : m.id(), id,
                    parent == null ? 0 : parent.position() + 1, m.role(), m.content(), m.reasoning(), m.created(),
                    m.model(), m.stats(), m.finish(), parent == null ? null : parent.id());
            added.put(m.id(), message);
            messages.add(message);
            if (m.id().equals(archive.selectedLeafId())) {
                leaf = message;
            }
        }
        if (leaf == null && !messages.isEmpty()) {
            leaf = messages.getLast();
        }
        String leafId = leaf == null ? null : leaf.id();
        synchronized (cursors) {
            cursors.put(id, new Cursor(conversation.model(), leafId, leaf == null ? -1 : leaf.position()));
        }
        write(c -> {
            StoreWrites.insertConversation(c, conversation);
            for (MessageRecord message : messages) {
                StoreWrites.insertMessage(c, message);
            }
            StoreWrites.update(c, "UPDATE conversations SET leaf_id = ? WHERE id = ?", leafId, id);
        });
        return conversation;
    }

    /**
     * Makes the database refuse to grow past {@code pages} pages, as a full disk would; tests use
     * it. The limit belongs to the writer's connection, so it is set there directly (SQLite
     * serialises calls on a connection) rather than queued behind the writes it is meant to fail.
     */
    void limitSize(long pages) throws SQLException {
        try (Statement statement = writerConnection.createStatement()) {
            statement.execute("PRAGMA max_page_count = " + pages);
        }
    }

    @Override
    public CompletableFuture<Void> committed() {
        return writer.committed();
    }

    @Override
    public void flush() {
        writer.flush();
    }

    /**
     * Writes everything queued, purges what was soft-deleted during this session, and closes.
     *
     * @throws StoreException if some writes could not be saved; the caller still has them in memory
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        List<String> purge = new ArrayList<>(deletedThisSession);
        if (!purge.isEmpty()) {
            writer.submit(c -> {
                for (String id : purge) {
                    StoreWrites.update(c, "DELETE FROM conversations WHERE id = ? AND deleted IS NOT NULL", id);
                }
            });
        }
        closed = true;
        try {
            Runtime.getRuntime().removeShutdownHook(flushAtExit);
        } catch (IllegalStateException e) {
            // already shutting down: the hook is running or has run
        }
        try {
            writer.close();
        } finally {
            reads.close();
        }
    }
}
