package dev.parlance.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import dev.parlance.chat.Role;
import dev.parlance.inference.FinishReason;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MigrationsTest {
    @TempDir
    Path dir;

    @Test
    void aFirstVersionDatabaseIsUpgradedWithItsDataKept() throws Exception {
        Path file = dir.resolve(SqliteConversationStore.FILE_NAME);
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file)) {
            Migrations.migrate(c, file, 1);
            try (Statement s = c.createStatement()) {
                s.execute("INSERT INTO conversations (id, title, created, updated, model, settings)"
                        + " VALUES ('c1', 'Old times', 1000, 2000, 'llama', '{\"temperature\":0.5}')");
                s.execute("INSERT INTO messages (id, conversation_id, position, role, content, created)"
                        + " VALUES ('m1', 'c1', 0, 'USER', 'tell me about armadillos', 1100)");
                s.execute("INSERT INTO messages (id, conversation_id, position, role, content, reasoning, created,"
                        + " model, tokens, ttft_millis, tokens_per_second, finish)"
                        + " VALUES ('m2', 'c1', 1, 'ASSISTANT', 'Armadillos have shells.', 'hmm', 1200,"
                        + " 'llama', 5, 40.0, 12.5, 'STOP')");
            }
            assertThat(Migrations.version(c)).isEqualTo(1);
        }

        try (var store = SqliteConversationStore.open(dir);
                Connection c = DriverManager.getConnection("jdbc:sqlite:" + file)) {
            assertThat(Migrations.version(c)).isEqualTo(Migrations.LATEST);
            assertThat(store.conversation("c1")).get().satisfies(conversation -> {
                assertThat(conversation.title()).isEqualTo("Old times");
                assertThat(conversation.model()).isEqualTo("llama");
                assertThat(conversation.settings().temperature()).isEqualTo(0.5);
                assertThat(conversation.updated().toEpochMilli()).isEqualTo(2000);
            });
            assertThat(store.messages("c1", 0, 10)).extracting(MessageRecord::id).containsExactly("m1", "m2");
            assertThat(store.messages("c1", 1, 1)).singleElement().satisfies(m -> {
                assertThat(m.role()).isEqualTo(Role.ASSISTANT);
                assertThat(m.reasoning()).isEqualTo("hmm");
                assertThat(m.stats()).isEqualTo(new MessageStats(5, 40.0, 12.5));
                assertThat(m.finish()).isEqualTo(FinishReason.STOP);
            });
            assertThat(store.search("armadillos", 10)).extracting(SearchHit::messageId)
                    .containsExactlyInAnyOrder("m1", "m2");
            store.putSetting("theme", "dark");
            assertThat(store.setting("theme")).contains("dark");
            assertThat(store.append("c1", Role.USER, "and pangolins?").position()).isEqualTo(2);
        }
    }

    /** The database the release before branches wrote: see src/test/resources/store/README.md. */
    private Path releasedDatabase() throws Exception {
        Path file = dir.resolve(SqliteConversationStore.FILE_NAME);
        try (InputStream in = MigrationsTest.class.getResourceAsStream("/store/version2.db")) {
            Files.copy(in, file);
        }
        return file;
    }

    @Test
    void aDatabaseOfTheReleaseBeforeBranchesKeepsEveryConversationAsOneChain() throws Exception {
        releasedDatabase();
        try (var store = SqliteConversationStore.open(dir)) {
            assertThat(store.conversations()).extracting(ConversationRecord::title).containsExactlyInAnyOrder(
                    "Tell me about armadillos", "What is 7 times 6?", "Tell me about pangolins", "Imported tapirs");

            String armadillos = idOf(store, "Tell me about armadillos");
            List<MessageRecord> chain = store.messages(armadillos, 0, 100);
            assertThat(chain).extracting(MessageRecord::role, MessageRecord::content).containsExactly(
                    tuple(Role.USER, "Tell me about armadillos"),
                    tuple(Role.ASSISTANT, "An armadillo is a small armoured mammal of the Americas."),
                    tuple(Role.USER, "What about their young?"),
                    tuple(Role.ASSISTANT, "Young armadillos are called pups."),
                    tuple(Role.USER, "How long can they stay under water?"),
                    tuple(Role.ASSISTANT, "They can hold their breath for six minutes."));
            assertChain(chain);
            assertThat(store.tree(armadillos)).hasSize(6);
            assertThat(chain).allSatisfy(m -> assertThat(store.versions(m.id())).singleElement()
                    .extracting(MessageRecord::id).isEqualTo(m.id()));
            assertThat(chain).filteredOn(m -> m.role() == Role.ASSISTANT).allSatisfy(m -> {
                assertThat(m.finish()).isEqualTo(FinishReason.STOP);
                assertThat(m.model()).isEqualTo("stories260K");
            });

            String arithmetic = idOf(store, "What is 7 times 6?");
            assertThat(store.conversation(arithmetic).orElseThrow().settings()).isEqualTo(
                    new ConversationSettings("Answer briefly.", 0.7, 0.9, 40, null, 1.1, 256, 2048, 42L));
            assertThat(store.messages(arithmetic, 1, 1)).singleElement().satisfies(m -> {
                assertThat(m.content()).isEqualTo("7 times 6 is 42.");
                assertThat(m.reasoning()).isEqualTo("The user wants a number; 7 times 6 is 42.");
            });

            List<MessageRecord> pangolins = store.messages(idOf(store, "Tell me about pangolins"), 0, 100);
            assertThat(pangolins).extracting(MessageRecord::content)
                    .containsExactly("Tell me about pangolins", "And aardvarks?", "Aardvarks dig burrows at night.");
            assertChain(pangolins);

            List<MessageRecord> tapirs = store.messages(idOf(store, "Imported tapirs"), 0, 100);
            assertThat(tapirs).extracting(MessageRecord::role)
                    .containsExactly(Role.SYSTEM, Role.USER, Role.ASSISTANT);
            assertChain(tapirs);

            assertThat(store.search("armadillos", 10)).extracting(SearchHit::conversationId)
                    .containsOnly(armadillos).hasSize(2);
            assertThat(store.search("tapir", 10)).hasSize(2);

            MessageRecord again = store.append(armadillos, chain.get(4).id(), Role.ASSISTANT, "About six minutes.");
            assertThat(again.position()).isEqualTo(5);
            assertThat(store.versions(again.id())).extracting(MessageRecord::content)
                    .containsExactly("They can hold their breath for six minutes.", "About six minutes.");
        }
    }

    private static String idOf(SqliteConversationStore store, String title) {
        return store.conversations().stream().filter(c -> c.title().equals(title)).findFirst().orElseThrow().id();
    }

    /** Positions 0, 1, 2, … with each message under the one before. */
    private static void assertChain(List<MessageRecord> messages) {
        for (int i = 0; i < messages.size(); i++) {
            assertThat(messages.get(i).position()).isEqualTo(i);
            assertThat(messages.get(i).parentId()).isEqualTo(i == 0 ? null : messages.get(i - 1).id());
        }
    }

    @Test
    void aDatabaseOfANewerReleaseIsRefusedUntouched() throws Exception {
        Path file = releasedDatabase();
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file);
                Statement s = c.createStatement()) {
            s.execute("PRAGMA user_version = " + (Migrations.LATEST + 1));
        }
        byte[] before = Files.readAllBytes(file);

        assertThatThrownBy(() -> SqliteConversationStore.open(dir)).isInstanceOf(NewerDatabaseException.class);
        assertThat(Files.readAllBytes(file)).isEqualTo(before);
    }

    @Test
    void aStepThatFailsLeavesTheDatabaseAtItsOldVersion() throws Exception {
        Path file = dir.resolve(SqliteConversationStore.FILE_NAME);
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file)) {
            Migrations.migrate(c, file, 1);
            try (Statement s = c.createStatement()) {
                // a table that step 2 will try to create, so step 2 fails halfway
                s.execute("CREATE TABLE app_settings (anything TEXT)");
                s.execute("INSERT INTO conversations (id, title, created, updated) VALUES ('c1', 'Kept', 1, 1)");
            }
        }

        assertThatThrownBy(() -> SqliteConversationStore.open(dir))
                .isInstanceOf(StoreException.class)
                .hasMessageContaining("Could not upgrade the conversations")
                .hasMessageContaining("from database version 1 to " + Migrations.LATEST)
                .hasMessageContaining("left as it was");

        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file);
                Statement s = c.createStatement()) {
            assertThat(Migrations.version(c)).isEqualTo(1);
            try (ResultSet rows = s.executeQuery("SELECT count(*) FROM sqlite_master WHERE name = 'messages_fts'")) {
                rows.next();
                assertThat(rows.getInt(1)).isZero();
            }
            try (ResultSet rows = s.executeQuery("SELECT title FROM conversations")) {
                rows.next();
                assertThat(rows.getString(1)).isEqualTo("Kept");
            }
        }
    }

    @Test
    void migratingAnUpToDateDatabaseChangesNothing() throws Exception {
        Path file = dir.resolve(SqliteConversationStore.FILE_NAME);
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file)) {
            Migrations.migrate(c, file, Migrations.LATEST);
            Migrations.migrate(c, file, Migrations.LATEST);
            assertThat(Migrations.version(c)).isEqualTo(Migrations.LATEST);
        }
    }
}
