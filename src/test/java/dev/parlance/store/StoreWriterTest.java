package dev.parlance.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The writer's streaming timer runs on {@link #clock}, which only the test moves: counts of writes
 * are exact, and nothing waits for real time to pass.
 */
class StoreWriterTest {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final long INTERVAL_NANOS = TimeUnit.MILLISECONDS.toNanos(StoreWriter.STREAM_INTERVAL_MILLIS);

    @TempDir
    Path dir;

    private final AtomicLong clock = new AtomicLong();

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
        writer = new StoreWriter(connection, file, reported::add, clock::get);
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

    private StoreWriter.Write counted(AtomicInteger applied, String value) {
        return c -> {
            applied.incrementAndGet();
            insert(value).apply(c);
        };
    }

    @Test
    void eachWritesFutureCompletesOnceItIsCommitted() throws Exception {
        CompletableFuture<Void> saved = writer.submit(insert("kept"));

        assertThat(saved).succeedsWithin(WAIT);
        assertThat(rows()).containsExactly("kept");
    }

    @Test
    void theFutureOfAWriteThatCanNeverSucceedFails() {
        assertThat(writer.submit(insert(null))).failsWithin(WAIT);
    }

    @Test
    void streamedTextIsNotWrittenBeforeTheTimerIsDue() throws Exception {
        AtomicInteger applied = new AtomicInteger();
        for (int i = 0; i < 1000; i++) {
            writer.stream("key", counted(applied, "s" + i));
        }
        // a batch of the writer's that comes after every streamed write, with no barrier in it
        assertThat(writer.submit(insert("other"))).succeedsWithin(WAIT);

        assertThat(applied).hasValue(0);
        assertThat(rows()).containsExactly("other");
    }

    @Test
    void theTimerWritesOnlyTheLatestStreamedTextOncePerInterval() throws Exception {
        AtomicInteger applied = new AtomicInteger();
        for (int round = 0; round < 5; round++) {
            CompletableFuture<Void> saved = null;
            for (int i = 0; i < 100; i++) {
                saved = writer.stream("key", counted(applied, "r" + round + "-" + i));
            }
            clock.addAndGet(INTERVAL_NANOS);
            assertThat(saved).succeedsWithin(WAIT);
        }

        assertThat(applied).hasValue(5);
        assertThat(rows()).containsExactly("r0-99", "r1-99", "r2-99", "r3-99", "r4-99");
    }

    @Test
    void aReadBarrierWritesTheQueuedStreamedTextAtOnce() throws Exception {
        AtomicInteger applied = new AtomicInteger();
        for (int i = 0; i < 1000; i++) {
            writer.stream("key", counted(applied, "s" + i));
        }
        writer.awaitQueued();

        assertThat(applied).hasValue(1);
        assertThat(rows()).containsExactly("s999");
    }

    @Test
    void theDurabilityBarrierWritesTheQueuedStreamedText() throws Exception {
        CompletableFuture<Void> streamed = writer.stream("key", insert("streamed"));

        assertThat(writer.committed()).succeedsWithin(WAIT);
        assertThat(streamed).isCompleted();
        assertThat(rows()).containsExactly("streamed");
    }

    @Test
    void aWriteThatSupersedesAStreamedOneDropsItAndCompletesItsFuture() throws Exception {
        CompletableFuture<Void> streamed = writer.stream("key", insert("stale"));
        CompletableFuture<Void> last = writer.submit("key", insert("final"));
        writer.flush();

        assertThat(last).isCompleted();
        assertThat(streamed).isCompleted();
        assertThat(rows()).containsExactly("final");
    }

    @Test
    void aClosedWriterFailsTheBarrierAndNewWrites() {
        writer.close();

        assertThat(writer.committed()).failsWithin(WAIT);
        assertThat(writer.submit(insert("late"))).failsWithin(WAIT);
        assertThat(writer.stream("key", insert("late"))).failsWithin(WAIT);
    }
}
