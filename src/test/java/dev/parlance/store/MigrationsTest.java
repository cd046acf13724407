package dev.parlance.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.parlance.chat.Role;
import dev.parlance.inference.FinishReason;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
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
