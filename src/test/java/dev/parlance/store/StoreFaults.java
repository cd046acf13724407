package dev.parlance.store;

import java.sql.SQLException;

/** Faults for tests outside this package: a database that cannot grow, as on a full disk. */
public final class StoreFaults {
    private StoreFaults() {}

    /** Makes the database refuse to grow past {@code pages} pages; a large number lifts the limit. */
    public static void limitSize(SqliteConversationStore store, long pages) throws SQLException {
        store.limitSize(pages);
    }

    /** The pages the database has now, so a test can stop it growing from here. */
    public static long pageCount(SqliteConversationStore store) throws SQLException {
        try (var c = java.sql.DriverManager.getConnection("jdbc:sqlite:" + store.file());
                var s = c.createStatement();
                var rows = s.executeQuery("PRAGMA page_count")) {
            rows.next();
            return rows.getLong(1);
        }
    }
}
