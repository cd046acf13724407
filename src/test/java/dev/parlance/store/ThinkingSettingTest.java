package dev.parlance.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The thinking switch is saved with a conversation, and its absence stays "the template's default". */
class ThinkingSettingTest {
    @TempDir
    Path dir;

    @Test
    void aConversationsThinkingSwitchSurvivesReopeningTheDatabase() {
        String off;
        String unset;
        try (SqliteConversationStore store = SqliteConversationStore.open(dir)) {
            off = store.create("off", "m", ConversationSettings.DEFAULTS.withThinking(false)).id();
            unset = store.create("unset", "m", ConversationSettings.DEFAULTS).id();
        }
        try (SqliteConversationStore store = SqliteConversationStore.open(dir)) {
            assertThat(store.conversation(off).orElseThrow().settings().thinking()).isFalse();
            assertThat(store.conversation(unset).orElseThrow().settings().thinking()).isNull();
        }
    }

    @Test
    void settingsWrittenBeforeTheSwitchExistedReadAsTheTemplatesDefault() {
        ConversationSettings old = SettingsJson.fromText("{\"system_prompt\":\"Be brief.\",\"seed\":7}");

        assertThat(old.thinking()).isNull();
        assertThat(old.systemPrompt()).isEqualTo("Be brief.");
        assertThat(SettingsJson.toJson(old.withThinking(true)).get("enable_thinking").getAsBoolean()).isTrue();
    }
}
