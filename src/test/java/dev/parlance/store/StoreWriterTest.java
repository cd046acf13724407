package dev.parlance.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StoreWriterTest {
    @TempDir
    Path dir;

    private Path file;
    private final List<StoreException> reported = new CopyOnWriteArrayList<>();
    private StoreWriter writer;

    @BeforeEach
    void open() throws Exception {
        file = dir.resolve("w.db");
        Connection connection = DriverManager.getConnection("jdbc:sqlite:" + file);
        try (Statement s = connection.createStatement()) {
            s.execute("CREATE TABLE t (v TEXT NOT NULL)");
        }
        writer = new StoreWriter(connection, file, reported::add);
    }

    @AfterEach
    void close() {
        writer.close();
    }

    private StoreWriter.Write insert(String value) {
        return c -> {
            try (var statement = c.prepareStatement("INSERT INTO t VALUES (?)")) {
                statement.setString(1, value);
                statement.executeUpdate();
            }
        };
    }

    private List<String> rows() throws Exception {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file);
                Statement s = c.createStatement();
                ResultSet rows = s.executeQuery("SELECT v FROM t ORDER BY rowid")) {
            List<String> values = new ArrayList<>();
            while (rows.next()) {
                values.add(rows.getString(1));
            }
            return values;
        }
    }

    @Test
    void writesAreAppliedInTheOrderTheyWereQueued() throws Exception {
        for (int i = 0; i < 100; i++) {
            writer.submit(insert("v" + i));
        }
        writer.flush();

        assertThat(rows()).hasSize(100).startsWith("v0", "v1").endsWith("v99");
    }

    @Test
    void aWriteThatCanNeverSucceedIsReportedAndDroppedWhileTheOthersAreSaved() throws Exception {
        writer.submit(insert("before"));
        writer.submit(insert(null));
        writer.submit(insert("after"));
        writer.flush();

        assertThat(rows()).containsExactly("before", "after");
        assertThat(reported).singleElement().satisfies(e -> {
            assertThat(e.reason()).isEqualTo(StoreException.Reason.OTHER);
            assertThat(e.isTemporary()).isFalse();
        });
        assertThat(writer.pendingError()).isNull();
    }

    @Test
    void onlyTheLatestStreamingWritePerKeyIsApplied() throws Exception {
        AtomicInteger applied = new AtomicInteger();
        for (int i = 0; i < 1000; i++) {
            String value = "s" + i;
            writer.stream("key", c -> {
                applied.incrementAndGet();
                insert(value).apply(c);
            });
        }
        writer.flush();

        assertThat(applied.get()).isLessThan(10);
        assertThat(rows()).last().isEqualTo("s999");
    }

    @Test
    void aDroppedStreamingWriteIsNeverApplied() throws Exception {
        writer.stream("key", insert("stale"));
        writer.dropStream("key");
        writer.flush();

        assertThat(rows()).isEmpty();
    }
}
