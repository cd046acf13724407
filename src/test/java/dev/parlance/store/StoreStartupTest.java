package dev.parlance.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.parlance.chat.Role;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What opening does with files it cannot simply use. */
class StoreStartupTest {
    @TempDir
    Path dir;

    @Test
    void aGarbageFileIsMovedAsideUnchangedAndAFreshStoreWorks() throws Exception {
        byte[] garbage = new byte[16384];
        new Random(7).nextBytes(garbage);
        Path file = Files.write(dir.resolve(SqliteConversationStore.FILE_NAME), garbage);

        try (var store = SqliteConversationStore.open(dir)) {
            Path aside = store.movedAside().orElseThrow();
            assertThat(aside.getParent()).isEqualTo(dir);
            assertThat(aside.getFileName().toString()).startsWith("parlance-damaged-").endsWith(".db");
            assertThat(Files.readAllBytes(aside)).isEqualTo(garbage);
            assertThat(store.startupNotice()).get().asString().contains(aside.toString());

            var conversation = store.create("Fresh start", null, null);
            store.append(conversation.id(), Role.USER, "hello again");
            assertThat(store.messages(conversation.id(), 0, 10)).hasSize(1);
        }
        assertThat(file).exists();
        try (var store = SqliteConversationStore.open(dir)) {
            assertThat(store.movedAside()).isEmpty();
            assertThat(store.conversations()).extracting(ConversationRecord::title).containsExactly("Fresh start");
        }
    }

    @Test
    void aDatabaseWithDamagedPagesIsMovedAside() throws Exception {
        try (var store = SqliteConversationStore.open(dir)) {
            var conversation = store.create("Soon damaged", null, null);
            for (int i = 0; i < 200; i++) {
                store.append(conversation.id(), Role.USER, Filler.sentence(i));
            }
        }
        Path file = dir.resolve(SqliteConversationStore.FILE_NAME);
        byte[] bytes = Files.readAllBytes(file);
        // keep page 1 (the header) so the file still looks like a database; scribble over the rest
        byte[] noise = new byte[bytes.length - 4096];
        new Random(3).nextBytes(noise);
        System.arraycopy(noise, 0, bytes, 4096, noise.length);
        Files.write(file, bytes);

        try (var store = SqliteConversationStore.open(dir)) {
            assertThat(store.movedAside()).get()
                    .satisfies(aside -> assertThat(Files.readAllBytes(aside)).isEqualTo(bytes));
            assertThat(store.conversations()).isEmpty();
        }
    }

    @Test
    void aSecondDamagedFileDoesNotOverwriteTheFirstOneMovedAside() throws Exception {
        Path file = dir.resolve(SqliteConversationStore.FILE_NAME);
        Files.writeString(file, "first garbage, long enough to be read as a database header...........");
        Path first;
        try (var store = SqliteConversationStore.open(dir)) {
            first = store.movedAside().orElseThrow();
        }
        Files.delete(file);
        Files.deleteIfExists(dir.resolve(SqliteConversationStore.FILE_NAME + "-wal"));
        Files.deleteIfExists(dir.resolve(SqliteConversationStore.FILE_NAME + "-shm"));
        Files.writeString(file, "second garbage, long enough to be read as a database header..........");

        try (var store = SqliteConversationStore.open(dir)) {
            assertThat(store.movedAside()).get().isNotEqualTo(first);
        }
        assertThat(Files.readString(first)).startsWith("first garbage");
    }

    @Test
    void aDatabaseFromANewerVersionIsRefusedAndLeftByteForByte() throws Exception {
        Path file = dir.resolve(SqliteConversationStore.FILE_NAME);
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file);
                Statement s = c.createStatement()) {
            s.execute("CREATE TABLE conversations_v9 (id TEXT PRIMARY KEY, stuff BLOB)");
            s.execute("INSERT INTO conversations_v9 VALUES ('a', randomblob(5000))");
            s.execute("PRAGMA user_version = " + (Migrations.LATEST + 7));
        }
        byte[] before = Files.readAllBytes(file);
        List<Path> filesBefore = list();

        assertThatThrownBy(() -> SqliteConversationStore.open(dir))
                .isInstanceOfSatisfying(NewerDatabaseException.class, e -> {
                    assertThat(e.reason()).isEqualTo(StoreException.Reason.NEWER_VERSION);
                    assertThat(e.fileVersion()).isEqualTo(Migrations.LATEST + 7);
                    assertThat(e.getMessage()).contains("newer version of Parlance").contains("not changed");
                });

        assertThat(Files.readAllBytes(file)).isEqualTo(before);
        assertThat(list()).isEqualTo(filesBefore);
    }

    private List<Path> list() throws Exception {
        try (Stream<Path> files = Files.list(dir)) {
            return files.sorted().toList();
        }
    }
}
