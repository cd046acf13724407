package dev.parlance.store;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

/**
 * The schema as a list of steps. Step {@code n} takes a database from {@code PRAGMA user_version}
 * {@code n - 1} to {@code n}. Steps are never edited once released: a change is a new step, so
 * every database, however old, reaches the same schema.
 */
final class Migrations {

    /** Version 1: conversations and messages. Times are epoch milliseconds; settings are JSON. */
    private static final List<String> V1 = List.of(
            """
            CREATE TABLE conversations (
                id       TEXT PRIMARY KEY,
                title    TEXT NOT NULL,
                created  INTEGER NOT NULL,
                updated  INTEGER NOT NULL,
                model    TEXT,
                settings TEXT NOT NULL DEFAULT '{}',
                deleted  INTEGER
            )""",
            "CREATE INDEX conversations_by_update ON conversations (deleted, updated DESC)",
            // seq is an explicit rowid so that a full-text index can point at rows that never move
            """
            CREATE TABLE messages (
                seq               INTEGER PRIMARY KEY,
                id                TEXT NOT NULL UNIQUE,
                conversation_id   TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
                position          INTEGER NOT NULL,
                role              TEXT NOT NULL CHECK (role IN ('SYSTEM', 'USER', 'ASSISTANT')),
                content           TEXT NOT NULL,
                reasoning         TEXT NOT NULL DEFAULT '',
                created           INTEGER NOT NULL,
                model             TEXT,
                tokens            INTEGER NOT NULL DEFAULT 0,
                ttft_millis       REAL NOT NULL DEFAULT 0,
                tokens_per_second REAL NOT NULL DEFAULT 0,
                finish            TEXT
            )""",
            "CREATE INDEX messages_by_position ON messages (conversation_id, position)");

    /**
     * Version 2: app-wide settings, an index of unfinished answers, and a full-text index over
     * message text, kept in step by triggers.
     */
    private static final List<String> V2 = List.of(
            "CREATE TABLE app_settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
            // answers still streaming: the start-up scan for interrupted ones reads only these
            "CREATE INDEX messages_streaming ON messages (seq) WHERE role = 'ASSISTANT' AND finish IS NULL",
            """
            CREATE VIRTUAL TABLE messages_fts USING fts5 (
                content, content = 'messages', content_rowid = 'seq', tokenize = 'unicode61 remove_diacritics 2'
            )""",
            """
            CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
                INSERT INTO messages_fts (rowid, content) VALUES (new.seq, new.content);
            END""",
            """
            CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
                INSERT INTO messages_fts (messages_fts, rowid, content) VALUES ('delete', old.seq, old.content);
            END""",
            """
            CREATE TRIGGER messages_fts_update AFTER UPDATE OF content ON messages BEGIN
                INSERT INTO messages_fts (messages_fts, rowid, content) VALUES ('delete', old.seq, old.content);
                INSERT INTO messages_fts (rowid, content) VALUES (new.seq, new.content);
            END""",
            // messages saved under version 1 become searchable too
            "INSERT INTO messages_fts (messages_fts) VALUES ('rebuild')");

    /**
     * Version 3: answer versions and branches. Each message has a parent (null for a first
     * message) and {@code position} is its depth; the conversation remembers the leaf of the path
     * it shows. Every existing conversation is a single chain, each message under the one before.
     */
    private static final List<String> V3 = List.of(
            "ALTER TABLE messages ADD COLUMN parent_id TEXT",
            "ALTER TABLE conversations ADD COLUMN leaf_id TEXT",
            "CREATE INDEX messages_by_parent ON messages (parent_id)",
            """
            UPDATE messages SET parent_id = (
                SELECT p.id FROM messages p
                WHERE p.conversation_id = messages.conversation_id AND p.position < messages.position
                ORDER BY p.position DESC LIMIT 1)""",
            """
            UPDATE conversations SET leaf_id = (
                SELECT m.id FROM messages m WHERE m.conversation_id = conversations.id
                ORDER BY m.position DESC LIMIT 1)""");

    /** Version 4: the random seed each answer was sampled with (-1: not known). */
    private static final List<String> V4 = List.of(
            "ALTER TABLE messages ADD COLUMN seed INTEGER NOT NULL DEFAULT -1");

    private static final List<List<String>> STEPS = List.of(V1, V2, V3, V4);

    /** The schema version this code writes. */
    static final int LATEST = STEPS.size();

    private Migrations() {}

    static int version(Connection connection) throws SQLException {
        try (Statement statement = connection.createStatement();
                ResultSet row = statement.executeQuery("PRAGMA user_version")) {
            return row.next() ? row.getInt(1) : 0;
        }
    }

    /**
     * Brings the database up to {@code target} in one transaction: either every step applies or
     * none does.
     *
     * @throws NewerDatabaseException if the database is already past {@link #LATEST}; nothing is changed
     */
    static void migrate(Connection connection, Path file, int target) throws SQLException {
        boolean autoCommit = connection.getAutoCommit();
        connection.setAutoCommit(false);
        try (Statement statement = connection.createStatement()) {
            int current = version(connection);
            if (current > LATEST) {
                throw new NewerDatabaseException(file, current, LATEST);
            }
            for (int step = current; step < target; step++) {
                for (String sql : STEPS.get(step)) {
                    statement.execute(sql);
                }
            }
            if (target > current) {
                statement.execute("PRAGMA user_version = " + target);
            }
            connection.commit();
        } catch (SQLException | RuntimeException e) {
            connection.rollback();
            throw e;
        } finally {
            connection.setAutoCommit(autoCommit);
        }
    }
}
