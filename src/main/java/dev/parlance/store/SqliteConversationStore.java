package dev.parlance.store;

import dev.parlance.AppDirectories;
import dev.parlance.chat.Role;
import dev.parlance.inference.FinishReason;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteErrorCode;
import org.sqlite.SQLiteException;

/**
 * The conversation store in one SQLite file, {@value #FILE_NAME} in the data directory.
 *
 * <p>Writes go to a {@link StoreWriter} thread and return at once; reads wait for the writes queued
 * before them, then run on a second connection (WAL lets it read while the writer writes). Text
 * streamed into an answer ({@link #updateMessage} with no finish reason) reaches the disk about
 * twice a second; until then reads see it from memory.
 *
 * <p>Opening checks the file: one from a newer Parlance is refused untouched ({@link
 * NewerDatabaseException}); a damaged one is moved aside ({@link #movedAside()}) and a new one
 * started; answers that were streaming when the last process died are marked {@link
 * FinishReason#INTERRUPTED}. A soft-deleted conversation can be restored until this store closes,
 * which deletes it for good.
 */
public final class SqliteConversationStore implements ConversationStore {
    /** The database's file name inside the data directory. */
    public static final String FILE_NAME = "parlance.db";

    private static final int BUSY_TIMEOUT_MILLIS = 5000;
    /** Soft deletes older than this are left over from a session that crashed, and are purged on open. */
    private static final Duration LEFTOVER_DELETE_AGE = Duration.ofDays(1);
    private static final DateTimeFormatter ASIDE_STAMP =
            DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss", Locale.ROOT).withZone(ZoneOffset.UTC);
    private static final String MESSAGE_COLUMNS = "id, conversation_id, position, role, content, reasoning,"
            + " created, model, tokens, ttft_millis, tokens_per_second, finish, seed";
    private static final String CONVERSATION_COLUMNS = "id, title, created, updated, model, settings";

    private final Path file;
    private final Clock clock;
    private final Path movedAside;
    private final Connection reader;
    private final Connection writerConnection;
    private final StoreWriter writer;
    private final List<Consumer<StoreException>> errorListeners = new CopyOnWriteArrayList<>();

    /** Streamed text not yet written, so that reads show it at once. */
    private final Map<String, Partial> partials = new ConcurrentHashMap<>();
    /** Per conversation, what {@link #append} needs without waiting for the disk; guarded by itself. */
    private final Map<String, Cursor> cursors = new HashMap<>();
    private final Set<String> deletedThisSession = ConcurrentHashMap.newKeySet();
    /** Answers given their final text in this session: a late streaming write to one is ignored. */
    private final Set<String> finishedThisSession = ConcurrentHashMap.newKeySet();
    private final Thread flushAtExit;
    private volatile boolean closed;

    private record Partial(String content, String reasoning, MessageStats stats) {}

    private static final class Cursor {
        private final String model;
        private int nextPosition;

        private Cursor(String model, int nextPosition) {
            this.model = model;
            this.nextPosition = nextPosition;
        }
    }

    @FunctionalInterface
    private interface Query<T> {
        T run(Connection connection) throws SQLException;
    }

    private SqliteConversationStore(Path file, Clock clock, Path movedAside, Connection writerConnection,
            Connection reader) {
        this.file = file;
        this.clock = clock;
        this.movedAside = movedAside;
        this.reader = reader;
        this.writerConnection = writerConnection;
        this.writer = new StoreWriter(writerConnection, file, this::report);
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
        try {
            Files.createDirectories(dataDirectory);
        } catch (FileAlreadyExistsException e) {
            throw new StoreException(StoreException.Reason.NOT_WRITABLE, "Could not keep conversations in "
                    + dataDirectory + " because a file of that name is in the way. Choose another data folder.", e);
        } catch (IOException e) {
            throw new StoreException(StoreException.Reason.NOT_WRITABLE, "Could not create the folder "
                    + dataDirectory + " for your conversations (" + e.getMessage() + ").", e);
        }
        Path file = dataDirectory.resolve(FILE_NAME);
        if (Files.isDirectory(file)) {
            throw new StoreException(StoreException.Reason.OTHER, "Could not open your conversations because "
                    + file + " is a folder, where Parlance keeps its conversation database. Move or rename that"
                    + " folder, then start Parlance again.");
        }
        try {
            return open(dataDirectory, file, clock);
        } catch (StoreException e) {
            // a new database on a full disk fails in many ways (an upgrade with no transaction, an I/O error)
            if (e.reason() != StoreException.Reason.DISK_FULL && !StoreException.nearlyFull(dataDirectory)) {
                throw e;
            }
            throw new StoreException(StoreException.Reason.DISK_FULL, "Could not open your conversations because"
                    + " the disk that holds " + dataDirectory + " is full. Free some space on it, then start"
                    + " Parlance again.", e.getCause());
        }
    }

    private static SqliteConversationStore open(Path dataDirectory, Path file, Clock clock) {
        Path movedAside = null;
        if (Files.exists(file) && isDamaged(file)) {
            movedAside = moveAside(file);
        }
        Connection writerConnection = null;
        Connection reader = null;
        try {
            writerConnection = connect(file);
            upgrade(writerConnection, file);
            tidyAfterLastSession(writerConnection);
            reader = connect(file);
            return new SqliteConversationStore(file, clock, movedAside, writerConnection, reader);
        } catch (SQLException e) {
            closeQuietly(writerConnection);
            closeQuietly(reader);
            throw StoreException.from(e, "open your conversations", file);
        } catch (RuntimeException e) {
            closeQuietly(writerConnection);
            closeQuietly(reader);
            throw e;
        }
    }

    private static void upgrade(Connection connection, Path file) throws SQLException {
        int from = Migrations.version(connection);
        try {
            Migrations.migrate(connection, file, Migrations.LATEST);
        } catch (SQLException e) {
            StoreException problem = StoreException.from(e, "upgrade your conversations", file);
            if (problem.isTemporary()) {
                throw problem;
            }
            throw new StoreException(StoreException.Reason.OTHER, "Could not upgrade the conversations in " + file
                    + " from database version " + from + " to " + Migrations.LATEST + " (" + e.getMessage()
                    + "). The file was left as it was; an older Parlance can still open it.", e);
        }
    }

    /**
     * Looks at an existing file without changing it: read-only, so that a newer version's file
     * stays byte for byte as it was.
     */
    private static boolean isDamaged(Path file) {
        SQLiteConfig config = new SQLiteConfig();
        config.setReadOnly(true);
        config.setBusyTimeout(BUSY_TIMEOUT_MILLIS);
        try (Connection connection = DriverManager.getConnection(url(file), config.toProperties())) {
            int version = Migrations.version(connection);
            if (version > Migrations.LATEST) {
                throw new NewerDatabaseException(file, version, Migrations.LATEST);
            }
            try (Statement statement = connection.createStatement();
                    ResultSet rows = statement.executeQuery("PRAGMA quick_check")) {
                return !(rows.next() && "ok".equals(rows.getString(1)) && !rows.next());
            }
        } catch (SQLException e) {
            if (isDamage(e)) {
                return true;
            }
            throw StoreException.from(e, "open your conversations", file);
        }
    }

    private static boolean isDamage(SQLException e) {
        if (!(e instanceof SQLiteException)) {
            return false;
        }
        int primary = ((SQLiteException) e).getResultCode().code & 0xff;
        return primary == SQLiteErrorCode.SQLITE_CORRUPT.code || primary == SQLiteErrorCode.SQLITE_NOTADB.code;
    }

    /** Renames the file (and its WAL and shared-memory files) to {@code parlance-damaged-<time>.db}. */
    private static Path moveAside(Path file) {
        String stamp = ASIDE_STAMP.format(Instant.now());
        Path target = file.resolveSibling("parlance-damaged-" + stamp + ".db");
        for (int n = 2; Files.exists(target); n++) {
            target = file.resolveSibling("parlance-damaged-" + stamp + "-" + n + ".db");
        }
        try {
            Files.move(file, target);
            for (String suffix : List.of("-wal", "-shm")) {
                Path companion = file.resolveSibling(file.getFileName() + suffix);
                if (Files.exists(companion)) {
                    Files.move(companion, target.resolveSibling(target.getFileName() + suffix));
                }
            }
        } catch (IOException e) {
            throw new StoreException(StoreException.Reason.DAMAGED, "The conversation database " + file
                    + " is damaged, and it could not be moved aside to start a new one (" + e.getMessage()
                    + "). Move or rename it yourself, then start Parlance again.", e);
        }
        return target;
    }

    private static Connection connect(Path file) throws SQLException {
        SQLiteConfig config = new SQLiteConfig();
        config.enforceForeignKeys(true);
        config.setBusyTimeout(BUSY_TIMEOUT_MILLIS);
        config.setJournalMode(SQLiteConfig.JournalMode.WAL);
        // FULL syncs the WAL on every commit: a power cut then loses nothing committed
        config.setSynchronous(SQLiteConfig.SynchronousMode.FULL);
        return DriverManager.getConnection(url(file), config.toProperties());
    }

    private static String url(Path file) {
        return "jdbc:sqlite:" + file.toAbsolutePath();
    }

    /** Marks answers that a dead process left streaming, and purges soft deletes it left behind. */
    private static void tidyAfterLastSession(Connection connection) throws SQLException {
        try (Statement statement = connection.createStatement()) {
            statement.executeUpdate(
                    "UPDATE messages SET finish = 'INTERRUPTED' WHERE role = 'ASSISTANT' AND finish IS NULL");
        }
        try (PreparedStatement purge = connection.prepareStatement(
                "DELETE FROM conversations WHERE deleted IS NOT NULL AND deleted < ?")) {
            purge.setLong(1, Instant.now().minus(LEFTOVER_DELETE_AGE).toEpochMilli());
            purge.executeUpdate();
        }
    }

    private static void closeQuietly(Connection connection) {
        if (connection != null) {
            try {
                connection.close();
            } catch (SQLException e) {
                // already failing with a better reason
            }
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

    // ---- reads

    private <T> T read(String action, Query<T> query) {
        if (closed) {
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

    @Override
    public List<ConversationRecord> conversations() {
        return conversations(0, Integer.MAX_VALUE);
    }

    @Override
    public List<ConversationRecord> conversations(int offset, int limit) {
        return read("list your conversations", c -> conversationList(c,
                "WHERE deleted IS NULL ORDER BY updated DESC, rowid DESC LIMIT ? OFFSET ?", limit, offset));
    }

    /** Soft-deleted conversations that can still be restored, most recently deleted first. */
    public List<ConversationRecord> deletedConversations() {
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
    @Override
    public Optional<ConversationRecord> conversation(String id) {
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

    @Override
    public List<MessageRecord> messages(String conversationId, int offset, int limit) {
        return read("read a conversation", c -> {
            try (PreparedStatement select = c.prepareStatement("SELECT " + MESSAGE_COLUMNS
                    + " FROM messages WHERE conversation_id = ? ORDER BY position LIMIT ? OFFSET ?")) {
                select.setString(1, conversationId);
                select.setInt(2, limit);
                select.setInt(3, offset);
                List<MessageRecord> list = new ArrayList<>();
                try (ResultSet rows = select.executeQuery()) {
                    while (rows.next()) {
                        list.add(withPartial(message(rows)));
                    }
                }
                return list;
            }
        });
    }

    private MessageRecord withPartial(MessageRecord message) {
        Partial partial = partials.get(message.id());
        if (partial == null) {
            return message;
        }
        return new MessageRecord(message.id(), message.conversationId(), message.position(), message.role(),
                partial.content(), partial.reasoning(), message.created(), message.model(), partial.stats(), null);
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
                new MessageStats(row.getInt(9), row.getDouble(10), row.getDouble(11), row.getLong(13)),
                finish == null ? null : FinishReason.valueOf(finish));
    }

    @Override
    public int messageCount(String conversationId) {
        return read("count messages", c -> {
            try (PreparedStatement select = c.prepareStatement(
                    "SELECT COUNT(*) FROM messages WHERE conversation_id = ?")) {
                select.setString(1, conversationId);
                try (ResultSet rows = select.executeQuery()) {
                    rows.next();
                    return rows.getInt(1);
                }
            }
        });
    }

    /** How many answers of a conversation ended for each reason; answers still streaming are left out. */
    public Map<FinishReason, Integer> finishCounts(String conversationId) {
        return read("count answers", c -> {
            try (PreparedStatement select = c.prepareStatement("SELECT finish, COUNT(*) FROM messages"
                    + " WHERE conversation_id = ? AND finish IS NOT NULL GROUP BY finish")) {
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
     * streaming is found once it is written, within a second.
     */
    @Override
    public List<SearchHit> search(String query, int limit) {
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
    public Optional<String> setting(String key) {
        return read("read a setting", c -> {
            try (PreparedStatement select = c.prepareStatement("SELECT value FROM app_settings WHERE key = ?")) {
                select.setString(1, key);
                try (ResultSet rows = select.executeQuery()) {
                    return rows.next() ? Optional.of(rows.getString(1)) : Optional.<String>empty();
                }
            }
        });
    }

    // ---- writes

    private Instant now() {
        return clock.instant().truncatedTo(ChronoUnit.MILLIS);
    }

    private void write(StoreWriter.Write write) {
        if (closed) {
            throw new StoreException(StoreException.Reason.OTHER, "The conversation store is closed.");
        }
        writer.submit(write);
    }

    /** Saves an app-wide setting; a null value removes it. */
    public void putSetting(String key, String value) {
        write(c -> {
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
            cursors.put(record.id(), new Cursor(model, 0));
        }
        write(c -> insertConversation(c, record));
        return record;
    }

    private static void insertConversation(Connection c, ConversationRecord record) throws SQLException {
        try (PreparedStatement insert = c.prepareStatement(
                "INSERT INTO conversations (" + CONVERSATION_COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?)")) {
            insert.setString(1, record.id());
            insert.setString(2, record.title());
            insert.setLong(3, record.created().toEpochMilli());
            insert.setLong(4, record.updated().toEpochMilli());
            insert.setString(5, record.model());
            insert.setString(6, SettingsJson.toText(record.settings()));
            insert.executeUpdate();
        }
    }

    @Override
    public void rename(String conversationId, String title) {
        Objects.requireNonNull(title, "title");
        long now = now().toEpochMilli();
        write(c -> update(c, "UPDATE conversations SET title = ?, updated = ? WHERE id = ?",
                title, now, conversationId));
    }

    @Override
    public void updateSettings(String conversationId, String model, ConversationSettings settings) {
        String json = SettingsJson.toText(settings);
        synchronized (cursors) {
            Cursor cursor = cursors.get(conversationId);
            if (cursor != null) {
                cursors.put(conversationId, new Cursor(model, cursor.nextPosition));
            }
        }
        write(c -> update(c, "UPDATE conversations SET model = ?, settings = ? WHERE id = ?",
                model, json, conversationId));
    }

    @Override
    public void delete(String conversationId) {
        deletedThisSession.add(conversationId);
        long now = now().toEpochMilli();
        write(c -> update(c, "UPDATE conversations SET deleted = ? WHERE id = ?", now, conversationId));
    }

    /** Undoes {@link #delete}; the same as {@link #restore}. */
    public void undoDelete(String conversationId) {
        restore(conversationId);
    }

    @Override
    public void restore(String conversationId) {
        deletedThisSession.remove(conversationId);
        write(c -> update(c, "UPDATE conversations SET deleted = NULL WHERE id = ?", conversationId));
    }

    /** Deletes every soft-deleted conversation for good (the "empty the bin" action). */
    public void purgeDeleted() {
        deletedThisSession.clear();
        write(c -> update(c, "DELETE FROM conversations WHERE deleted IS NOT NULL"));
    }

    private static int update(Connection c, String sql, Object... values) throws SQLException {
        try (PreparedStatement statement = c.prepareStatement(sql)) {
            for (int i = 0; i < values.length; i++) {
                statement.setObject(i + 1, values[i]);
            }
            return statement.executeUpdate();
        }
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
        Objects.requireNonNull(role, "role");
        Objects.requireNonNull(content, "content");
        int position;
        String model;
        synchronized (cursors) {
            Cursor cursor = cursors.get(conversationId);
            if (cursor == null) {
                cursor = loadCursor(conversationId);
                cursors.put(conversationId, cursor);
            }
            position = cursor.nextPosition++;
            model = role == Role.ASSISTANT ? cursor.model : null;
        }
        Instant now = now();
        MessageRecord message = new MessageRecord(UUID.randomUUID().toString(), conversationId, position, role,
                content, "", now, model, MessageStats.NONE, null);
        write(c -> {
            insertMessage(c, message);
            update(c, "UPDATE conversations SET updated = ? WHERE id = ?", now.toEpochMilli(), conversationId);
        });
        return message;
    }

    private Cursor loadCursor(String conversationId) {
        return read("add to a conversation", c -> {
            try (PreparedStatement select = c.prepareStatement("SELECT model,"
                    + " (SELECT COALESCE(MAX(position) + 1, 0) FROM messages WHERE conversation_id = c.id)"
                    + " FROM conversations c WHERE id = ?")) {
                select.setString(1, conversationId);
                try (ResultSet rows = select.executeQuery()) {
                    if (!rows.next()) {
                        throw new StoreException(StoreException.Reason.OTHER,
                                "Could not add to the conversation: it has been deleted.");
                    }
                    return new Cursor(rows.getString(1), rows.getInt(2));
                }
            }
        });
    }

    private static void insertMessage(Connection c, MessageRecord message) throws SQLException {
        MessageStats stats = message.stats() == null ? MessageStats.NONE : message.stats();
        try (PreparedStatement insert = c.prepareStatement(
                "INSERT INTO messages (" + MESSAGE_COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
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
            insert.setLong(13, stats.seed());
            insert.executeUpdate();
        }
    }

    /**
     * {@inheritDoc}
     *
     * <p>While {@code finish} is null, calls may come many times a second: only the latest text is
     * kept and written about twice a second. The call with a finish reason is written at once.
     */
    @Override
    public void updateMessage(
            String messageId, String content, String reasoning, MessageStats stats, FinishReason finish) {
        Objects.requireNonNull(content, "content");
        String text = reasoning == null ? "" : reasoning;
        MessageStats figures = stats == null ? MessageStats.NONE : stats;
        if (closed) {
            throw new StoreException(StoreException.Reason.OTHER, "The conversation store is closed.");
        }
        if (finish == null) {
            if (finishedThisSession.contains(messageId)) {
                return;
            }
            partials.put(messageId, new Partial(content, text, figures));
            // the finish guard keeps a late streaming write from undoing the final one
            writer.stream(messageId, c -> update(c, "UPDATE messages SET content = ?, reasoning = ?, tokens = ?,"
                    + " ttft_millis = ?, tokens_per_second = ?, finish = NULL"
                    + " WHERE id = ? AND (finish IS NULL OR finish = 'INTERRUPTED')",
                    content, text, figures.tokens(), figures.timeToFirstTokenMillis(), figures.tokensPerSecond(),
                    messageId));
            return;
        }
        if (finish != FinishReason.INTERRUPTED) {
            finishedThisSession.add(messageId);
        }
        partials.remove(messageId);
        writer.dropStream(messageId);
        long now = now().toEpochMilli();
        write(c -> {
            update(c, "UPDATE messages SET content = ?, reasoning = ?, tokens = ?, ttft_millis = ?,"
                    + " tokens_per_second = ?, finish = ?, seed = ? WHERE id = ?",
                    content, text, figures.tokens(), figures.timeToFirstTokenMillis(), figures.tokensPerSecond(),
                    finish.name(), figures.seed(), messageId);
            touchConversationOf(c, messageId, now);
        });
    }

    private static void touchConversationOf(Connection c, String messageId, long now) throws SQLException {
        update(c, "UPDATE conversations SET updated = ?"
                + " WHERE id = (SELECT conversation_id FROM messages WHERE id = ?)", now, messageId);
    }

    @Override
    public void editMessage(String messageId, String content) {
        Objects.requireNonNull(content, "content");
        partials.remove(messageId);
        writer.dropStream(messageId);
        long now = now().toEpochMilli();
        write(c -> {
            update(c, "UPDATE messages SET content = ? WHERE id = ?", content, messageId);
            touchConversationOf(c, messageId, now);
        });
    }

    @Override
    public void truncateFrom(String messageId) {
        forgetPositions();
        long now = now().toEpochMilli();
        write(c -> {
            touchConversationOf(c, messageId, now);
            update(c, "DELETE FROM messages"
                    + " WHERE conversation_id = (SELECT conversation_id FROM messages WHERE id = ?)"
                    + " AND position >= (SELECT position FROM messages WHERE id = ?)", messageId, messageId);
        });
    }

    @Override
    public void deleteMessage(String messageId) {
        forgetPositions();
        partials.remove(messageId);
        writer.dropStream(messageId);
        long now = now().toEpochMilli();
        write(c -> {
            touchConversationOf(c, messageId, now);
            try (PreparedStatement select = c.prepareStatement(
                    "SELECT conversation_id, position FROM messages WHERE id = ?")) {
                select.setString(1, messageId);
                try (ResultSet row = select.executeQuery()) {
                    if (!row.next()) {
                        return;
                    }
                    String conversationId = row.getString(1);
                    int position = row.getInt(2);
                    update(c, "DELETE FROM messages WHERE id = ?", messageId);
                    // positions stay 0..n-1, so the next append goes at the end
                    update(c, "UPDATE messages SET position = position - 1"
                            + " WHERE conversation_id = ? AND position > ?", conversationId, position);
                }
            }
        });
    }

    /**
     * Truncating and deleting name only a message, so which conversation's next position changed
     * is known only on the writer thread; the next append reads it afresh instead.
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
        boolean taken = repeated || read("import a conversation", c -> idsTaken(c, original.id(), messageIds));
        String id = taken ? UUID.randomUUID().toString() : original.id();
        ConversationRecord conversation = new ConversationRecord(id, original.title(), original.created(),
                original.updated(), original.model(),
                original.settings() == null ? ConversationSettings.DEFAULTS : original.settings());
        List<MessageRecord> messages = new ArrayList<>();
        for (MessageRecord m : archive.messages()) {
            String messageId = taken ? UUID.randomUUID().toString() : m.id();
            messages.add(new MessageRecord(messageId, id, messages.size(), m.role(), m.content(), m.reasoning(),
                    m.created(), m.model(), m.stats(), m.finish()));
        }
        synchronized (cursors) {
            cursors.put(id, new Cursor(conversation.model(), messages.size()));
        }
        write(c -> {
            insertConversation(c, conversation);
            for (MessageRecord message : messages) {
                insertMessage(c, message);
            }
        });
        return conversation;
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

    /** Completes after the next timed write of streamed text; tests wait on it instead of sleeping. */
    CompletableFuture<Void> nextStreamWrite() {
        return writer.nextStreamWrite();
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
                    update(c, "DELETE FROM conversations WHERE id = ? AND deleted IS NOT NULL", id);
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
            synchronized (reader) {
                closeQuietly(reader);
            }
        }
    }
}
