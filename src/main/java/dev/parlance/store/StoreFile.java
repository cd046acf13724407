package dev.parlance.store;

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
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteErrorCode;
import org.sqlite.SQLiteException;

/**
 * The database file of {@link SqliteConversationStore}: opening it, checking it, moving a damaged
 * one aside, upgrading it ({@link Migrations}) and tidying what a dead process left behind.
 */
final class StoreFile {
    private static final int BUSY_TIMEOUT_MILLIS = 5000;
    /** Soft deletes older than this are left over from a session that crashed, and are purged on open. */
    private static final Duration LEFTOVER_DELETE_AGE = Duration.ofDays(1);
    private static final DateTimeFormatter ASIDE_STAMP =
            DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss", Locale.ROOT).withZone(ZoneOffset.UTC);

    /**
     * An opened database.
     *
     * @param movedAside where a damaged file was moved, or null
     * @param writer the connection the writer thread owns
     * @param reader the connection reads run on
     */
    record Opened(Path file, Path movedAside, Connection writer, Connection reader) {}

    private StoreFile() {}

    /**
     * Opens (or creates) the database in {@code dataDirectory}, creating the directory if needed:
     * checks it, moves a damaged one aside, upgrades it, and tidies what the last session left.
     *
     * @throws NewerDatabaseException if a newer Parlance wrote the file; it is not changed
     * @throws StoreException if the directory or file cannot be used, in plain words
     */
    static Opened open(Path dataDirectory) {
        try {
            Files.createDirectories(dataDirectory);
        } catch (FileAlreadyExistsException e) {
            throw new StoreException(StoreException.Reason.NOT_WRITABLE, "Could not keep conversations in "
                    + dataDirectory + " because a file of that name is in the way. Choose another data folder.", e);
        } catch (IOException e) {
            throw new StoreException(StoreException.Reason.NOT_WRITABLE, "Could not create the folder "
                    + dataDirectory + " for your conversations (" + e.getMessage() + ").", e);
        }
        Path file = dataDirectory.resolve(SqliteConversationStore.FILE_NAME);
        if (Files.isDirectory(file)) {
            throw new StoreException(StoreException.Reason.OTHER, "Could not open your conversations because "
                    + file + " is a folder, where Parlance keeps its conversation database. Move or rename that"
                    + " folder, then start Parlance again.");
        }
        try {
            return openFile(file);
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

    private static Opened openFile(Path file) {
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
            return new Opened(file, movedAside, writerConnection, reader);
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

    static void closeQuietly(Connection connection) {
        if (connection != null) {
            try {
                connection.close();
            } catch (SQLException e) {
                // already failing with a better reason
            }
        }
    }
}
