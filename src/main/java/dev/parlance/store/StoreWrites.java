package dev.parlance.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

/**
 * The SQL of {@link SqliteConversationStore}'s writes, run on its writer thread inside the batch
 * the writer commits as one transaction: a write is durable once the future its store method
 * returned completes (for {@code create} and {@code append}, the {@code committed()} barrier asked
 * for after it).
 */
final class StoreWrites {
    private StoreWrites() {}

    static void insertConversation(Connection c, ConversationRecord record) throws SQLException {
        try (PreparedStatement insert = c.prepareStatement(
                "INSERT INTO conversations (" + StoreReads.CONVERSATION_COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?)")) {
            insert.setString(1, record.id());
            insert.setString(2, record.title());
            insert.setLong(3, record.created().toEpochMilli());
            insert.setLong(4, record.updated().toEpochMilli());
            insert.setString(5, record.model());
            insert.setString(6, SettingsJson.toText(record.settings()));
            insert.executeUpdate();
        }
    }

    static int update(Connection c, String sql, Object... values) throws SQLException {
        try (PreparedStatement statement = c.prepareStatement(sql)) {
            for (int i = 0; i < values.length; i++) {
                statement.setObject(i + 1, values[i]);
            }
            return statement.executeUpdate();
        }
    }

    static void insertMessage(Connection c, MessageRecord message) throws SQLException {
        MessageStats stats = message.stats() == null ? MessageStats.NONE : message.stats();
        try (PreparedStatement insert = c.prepareStatement(
                "INSERT INTO messages (" + StoreReads.MESSAGE_COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
            insert.setString(1, message.id());
            insert.setString(2, message.conversationId());
            insert.setInt(3, message.position());
            insert.setString(4, message.role().name());
            insert.setString(5, message.content());
            insert.setString(6, message.reasoning() == null ? "" : message.reasoning());
            insert.setLong(7, message.created().toEpochMilli());
            insert.setString(8, message.model());
            insert.setInt(9, stats.tokens());
            insert.setDouble(10, stats.timeToFirstTokenMillis());
            insert.setDouble(11, stats.tokensPerSecond());
            insert.setString(12, message.finish() == null ? null : message.finish().name());
            insert.setString(13, message.parentId());
            insert.setLong(14, stats.seed());
            insert.executeUpdate();
        }
    }

    static void touchConversationOf(Connection c, String messageId, long now) throws SQLException {
        update(c, "UPDATE conversations SET updated = ?"
                + " WHERE id = (SELECT conversation_id FROM messages WHERE id = ?)", now, messageId);
    }

    static String conversationOf(Connection c, String messageId) throws SQLException {
        try (PreparedStatement select = c.prepareStatement("SELECT conversation_id FROM messages WHERE id = ?")) {
            select.setString(1, messageId);
            try (ResultSet row = select.executeQuery()) {
                return row.next() ? row.getString(1) : null;
            }
        }
    }

    /** The end of a message's newest line of descendants: at each step, the child added last. */
    static String newestLeafUnder(Connection c, String messageId) throws SQLException {
        try (PreparedStatement child = c.prepareStatement(
                "SELECT id FROM messages WHERE parent_id = ? ORDER BY seq DESC LIMIT 1")) {
            String leaf = messageId;
            while (true) {
                child.setString(1, leaf);
                try (ResultSet row = child.executeQuery()) {
                    if (!row.next()) {
                        return leaf;
                    }
                    leaf = row.getString(1);
                }
            }
        }
    }

    /** Selects the path through a message: the leaf becomes the end of its newest line of descendants. */
    static void select(Connection c, String messageId) throws SQLException {
        String conversationId = conversationOf(c, messageId);
        if (conversationId != null) {
            update(c, "UPDATE conversations SET leaf_id = ? WHERE id = ?", newestLeafUnder(c, messageId),
                    conversationId);
        }
    }

    /**
     * Deletes a message and its subtree; if the selected leaf was among them, selects the newest
     * remaining version of the message (its newest line of descendants), else its parent.
     */
    static void deleteSubtree(Connection c, String messageId, long now) throws SQLException {
        String conversationId;
        String parentId;
        try (PreparedStatement select = c.prepareStatement(
                "SELECT conversation_id, parent_id FROM messages WHERE id = ?")) {
            select.setString(1, messageId);
            try (ResultSet row = select.executeQuery()) {
                if (!row.next()) {
                    return;
                }
                conversationId = row.getString(1);
                parentId = row.getString(2);
            }
        }
        String subtree = "WITH RECURSIVE subtree (id) AS (VALUES (?)"
                + " UNION ALL SELECT m.id FROM messages m JOIN subtree ON m.parent_id = subtree.id)"
                + " SELECT id FROM subtree";
        boolean leafGone;
        try (PreparedStatement select = c.prepareStatement("SELECT leaf_id IN (" + subtree + ")"
                + " FROM conversations WHERE id = ?")) {
            select.setString(1, messageId);
            select.setString(2, conversationId);
            try (ResultSet row = select.executeQuery()) {
                leafGone = row.next() && row.getBoolean(1);
            }
        }
        update(c, "DELETE FROM messages WHERE id IN (" + subtree + ")", messageId);
        update(c, "UPDATE conversations SET updated = ? WHERE id = ?", now, conversationId);
        if (leafGone) {
            String leaf = parentId;
            try (PreparedStatement sibling = c.prepareStatement("SELECT id FROM messages"
                    + " WHERE conversation_id = ? AND parent_id IS ? ORDER BY seq DESC LIMIT 1")) {
                sibling.setString(1, conversationId);
                sibling.setString(2, parentId);
                try (ResultSet row = sibling.executeQuery()) {
                    if (row.next()) {
                        leaf = newestLeafUnder(c, row.getString(1));
                    }
                }
            }
            update(c, "UPDATE conversations SET leaf_id = ? WHERE id = ?", leaf, conversationId);
        }
    }
}
