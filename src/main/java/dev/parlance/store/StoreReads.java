package dev.parlance.store;

import dev.parlance.chat.Role;
import dev.parlance.inference.FinishReason;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BooleanSupplier;

/**
 * The reads and search of {@link SqliteConversationStore}. Each read first has the writer try every
 * write queued before it, the streamed text of an answer included, then runs on a connection of its
 * own, which WAL lets read while the writer writes; so a read shows the newest text, and nothing
 * but the writer's queue holds it meanwhile.
 */
final class StoreReads {
    static final String MESSAGE_COLUMNS = "id, conversation_id, position, role, content, reasoning,"
            + " created, model, tokens, ttft_millis, tokens_per_second, finish, parent_id, seed";
    static final String CONVERSATION_COLUMNS = "id, title, created, updated, model, settings";
    /** The ids of a conversation's selected path, leaf first; one parameter, the conversation's id. */
    private static final String PATH = "WITH RECURSIVE path (id) AS ("
            + " SELECT leaf_id FROM conversations WHERE id = ? AND leaf_id IS NOT NULL"
            + " UNION ALL SELECT m.parent_id FROM messages m JOIN path ON m.id = path.id"
            + " WHERE m.parent_id IS NOT NULL) SELECT id FROM path";

    private final Connection reader;
    private final Path file;
    private final StoreWriter writer;
    private final BooleanSupplier closed;

    /**
     * A conversation's model and selected leaf.
     *
     * @param leafPosition the leaf's position, -1 when the conversation has no messages
     */
    record Leaf(String model, String leafId, int leafPosition) {}

    @FunctionalInterface
    private interface Query<T> {
        T run(Connection connection) throws SQLException;
    }

    /**
     * @param reader the connection to read on; closed by {@link #close()}
     * @param writer whose queued writes each read waits for
     * @param closed whether the store is closed
     */
    StoreReads(Connection reader, Path file, StoreWriter writer, BooleanSupplier closed) {
        this.reader = reader;
        this.file = file;
        this.writer = writer;
        this.closed = closed;
    }

    private <T> T read(String action, Query<T> query) {
        if (closed.getAsBoolean()) {
            throw new StoreException(StoreException.Reason.OTHER, "The conversation store is closed.");
        }
        writer.awaitQueued();
        synchronized (reader) {
            try {
                return query.run(reader);
            } catch (SQLException e) {
                throw StoreException.from(e, action, file);
            }
        }
    }

    List<ConversationRecord> conversations(int offset, int limit) {
        return read("list your conversations", c -> conversationList(c,
                "WHERE deleted IS NULL ORDER BY updated DESC, rowid DESC LIMIT ? OFFSET ?", limit, offset));
    }

    /** Soft-deleted conversations that can still be restored, most recently deleted first. */
    List<ConversationRecord> deletedConversations() {
        return read("list deleted conversations", c -> conversationList(c,
                "WHERE deleted IS NOT NULL ORDER BY deleted DESC LIMIT ? OFFSET ?", Integer.MAX_VALUE, 0));
    }

    private static List<ConversationRecord> conversationList(Connection c, String where, int limit, int offset)
            throws SQLException {
        try (PreparedStatement select = c.prepareStatement(
                "SELECT " + CONVERSATION_COLUMNS + " FROM conversations " + where)) {
            select.setInt(1, limit);
            select.setInt(2, offset);
            List<ConversationRecord> list = new ArrayList<>();
            try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    list.add(conversation(rows));
                }
            }
            return list;
        }
    }

    private static ConversationRecord conversation(ResultSet row) throws SQLException {
        return new ConversationRecord(
                row.getString(1),
                row.getString(2),
                Instant.ofEpochMilli(row.getLong(3)),
                Instant.ofEpochMilli(row.getLong(4)),
                row.getString(5),
                SettingsJson.fromText(row.getString(6)));
    }

    /** The conversation with this id, unless it is soft-deleted (see {@link #deletedConversations()}). */
    Optional<ConversationRecord> conversation(String id) {
        return read("read a conversation", c -> {
            try (PreparedStatement select = c.prepareStatement(
                    "SELECT " + CONVERSATION_COLUMNS + " FROM conversations WHERE id = ? AND deleted IS NULL")) {
                select.setString(1, id);
                try (ResultSet rows = select.executeQuery()) {
                    return rows.next() ? Optional.of(conversation(rows)) : Optional.<ConversationRecord>empty();
                }
            }
        });
    }

    List<MessageRecord> messages(String conversationId, int offset, int limit) {
        return read("read a conversation", c -> messageList(c, "SELECT " + MESSAGE_COLUMNS + " FROM messages"
                + " WHERE id IN (" + PATH + ") ORDER BY position LIMIT ? OFFSET ?", conversationId, limit, offset));
    }

    List<MessageRecord> tree(String conversationId) {
        return read("read a conversation", c -> messageList(c, "SELECT " + MESSAGE_COLUMNS
                + " FROM messages WHERE conversation_id = ? ORDER BY position, seq", conversationId));
    }

    List<MessageRecord> versions(String messageId) {
        return read("read a conversation", c -> messageList(c, "SELECT " + MESSAGE_COLUMNS + " FROM messages"
                + " WHERE conversation_id = (SELECT conversation_id FROM messages WHERE id = ?)"
                + " AND parent_id IS (SELECT parent_id FROM messages WHERE id = ?) ORDER BY seq",
                messageId, messageId));
    }

    private static List<MessageRecord> messageList(Connection c, String sql, Object... values) throws SQLException {
        try (PreparedStatement select = c.prepareStatement(sql)) {
            for (int i = 0; i < values.length; i++) {
                select.setObject(i + 1, values[i]);
            }
            List<MessageRecord> list = new ArrayList<>();
            try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    list.add(message(rows));
                }
            }
            return list;
        }
    }

    private static MessageRecord message(ResultSet row) throws SQLException {
        String finish = row.getString(12);
        return new MessageRecord(
                row.getString(1),
                row.getString(2),
                row.getInt(3),
                Role.valueOf(row.getString(4)),
                row.getString(5),
                row.getString(6),
                Instant.ofEpochMilli(row.getLong(7)),
                row.getString(8),
                new MessageStats(row.getInt(9), row.getDouble(10), row.getDouble(11), row.getLong(14)),
                finish == null ? null : FinishReason.valueOf(finish),
                row.getString(13));
    }

    int messageCount(String conversationId) {
        return read("count messages", c -> {
            try (PreparedStatement select = c.prepareStatement("SELECT COUNT(*) FROM (" + PATH + ")")) {
                select.setString(1, conversationId);
                try (ResultSet rows = select.executeQuery()) {
                    rows.next();
                    return rows.getInt(1);
                }
            }
        });
    }

    /** How many answers of a conversation ended for each reason; answers still streaming are left out. */
    Map<FinishReason, Integer> finishCounts(String conversationId) {
        return read("count answers", c -> {
            try (PreparedStatement select = c.prepareStatement("SELECT finish, COUNT(*) FROM messages"
                    + " WHERE id IN (" + PATH + ") AND finish IS NOT NULL GROUP BY finish")) {
                select.setString(1, conversationId);
                Map<FinishReason, Integer> counts = new EnumMap<>(FinishReason.class);
                try (ResultSet rows = select.executeQuery()) {
                    while (rows.next()) {
                        counts.put(FinishReason.valueOf(rows.getString(1)), rows.getInt(2));
                    }
                }
                return counts;
            }
        });
    }

    /**
     * Matches are words of {@code query} in any order (the last may be the start of a word, for
     * search as you type), best first. Soft-deleted conversations are left out; text still
     * streaming is found too (the read commits the queued text first).
     */
    List<SearchHit> search(String query, int limit) {
        String match = matchExpression(query);
        if (match.isEmpty()) {
            return List.of();
        }
        return read("search your conversations", c -> {
            try (PreparedStatement select = c.prepareStatement(
                    "SELECT m.conversation_id, c.title, m.id, snippet(messages_fts, 0, '[[', ']]', '…', 16)"
                            + " FROM messages_fts JOIN messages m ON m.seq = messages_fts.rowid"
                            + " JOIN conversations c ON c.id = m.conversation_id"
                            + " WHERE messages_fts MATCH ? AND c.deleted IS NULL ORDER BY rank LIMIT ?")) {
                select.setString(1, match);
                select.setInt(2, limit);
                List<SearchHit> hits = new ArrayList<>();
                try (ResultSet rows = select.executeQuery()) {
                    while (rows.next()) {
                        hits.add(new SearchHit(
                                rows.getString(1), rows.getString(2), rows.getString(3), rows.getString(4)));
                    }
                }
                return hits;
            }
        });
    }

    /**
     * Turns what a person typed into an FTS5 query: each word quoted, so that characters FTS5
     * treats as operators ({@code -}, {@code "}, {@code :}) are searched for, not parsed.
     */
    static String matchExpression(String query) {
        List<String> terms = new ArrayList<>();
        for (String word : query.strip().split("[\\s\\p{Punct}&&[^_]]+")) {
            if (!word.isEmpty()) {
                terms.add("\"" + word.replace("\"", "\"\"") + "\"");
            }
        }
        if (terms.isEmpty()) {
            return "";
        }
        int last = terms.size() - 1;
        terms.set(last, terms.get(last) + "*");
        return String.join(" ", terms);
    }

    /** An app-wide setting, as saved by {@link #putSetting}. */
    Optional<String> setting(String key) {
        return read("read a setting", c -> {
            try (PreparedStatement select = c.prepareStatement("SELECT value FROM app_settings WHERE key = ?")) {
                select.setString(1, key);
                try (ResultSet rows = select.executeQuery()) {
                    return rows.next() ? Optional.of(rows.getString(1)) : Optional.<String>empty();
                }
            }
        });
    }

    int positionOf(String conversationId, String messageId) {
        return read("add to a conversation", c -> {
            try (PreparedStatement select = c.prepareStatement(
                    "SELECT position FROM messages WHERE id = ? AND conversation_id = ?")) {
                select.setString(1, messageId);
                select.setString(2, conversationId);
                try (ResultSet rows = select.executeQuery()) {
                    if (!rows.next()) {
                        throw new IllegalArgumentException(
                                "No message " + messageId + " in conversation " + conversationId);
                    }
                    return rows.getInt(1);
                }
            }
        });
    }

    /**
     * A conversation's model and selected leaf, as the writes queued so far leave them.
     *
     * @throws StoreException if there is no such conversation
     */
    Leaf leaf(String conversationId) {
        return read("add to a conversation", c -> {
            try (PreparedStatement select = c.prepareStatement("SELECT model, leaf_id,"
                    + " COALESCE((SELECT position FROM messages WHERE id = c.leaf_id), -1)"
                    + " FROM conversations c WHERE id = ?")) {
                select.setString(1, conversationId);
                try (ResultSet rows = select.executeQuery()) {
                    if (!rows.next()) {
                        throw new StoreException(StoreException.Reason.OTHER,
                                "Could not add to the conversation: it has been deleted.");
                    }
                    return new Leaf(rows.getString(1), rows.getString(2), rows.getInt(3));
                }
            }
        });
    }

    /** Whether the store has a conversation or message with one of these ids. */
    boolean idsTaken(String conversationId, List<String> messageIds) {
        return read("import a conversation", c -> idsTaken(c, conversationId, messageIds));
    }

    private static boolean idsTaken(Connection c, String conversationId, List<String> messageIds)
            throws SQLException {
        try (PreparedStatement conversation = c.prepareStatement("SELECT 1 FROM conversations WHERE id = ?");
                PreparedStatement message = c.prepareStatement("SELECT 1 FROM messages WHERE id = ?")) {
            conversation.setString(1, conversationId);
            try (ResultSet rows = conversation.executeQuery()) {
                if (rows.next()) {
                    return true;
                }
            }
            for (String id : messageIds) {
                message.setString(1, id);
                try (ResultSet rows = message.executeQuery()) {
                    if (rows.next()) {
                        return true;
                    }
                }
            }
            return false;
        }
    }

    void close() {
        synchronized (reader) {
            StoreFile.closeQuietly(reader);
        }
    }
}
