package dev.parlance.ui;

import static org.assertj.core.api.Assertions.assertThat;

import dev.parlance.inference.FinishReason;
import dev.parlance.store.ConversationRecord;
import dev.parlance.store.ConversationSettings;
import dev.parlance.store.InMemoryConversationStore;
import dev.parlance.ui.chat.ChatViewModel;
import dev.parlance.ui.chat.QuickStart;
import dev.parlance.ui.models.ModelsViewModel;
import dev.parlance.ui.settings.SettingsViewModel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Executor;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MainViewModelTest {
    private final Executor direct = Runnable::run;
    private final FakeInferenceService inference = new FakeInferenceService().holdLoads();
    private final InMemoryConversationStore store = new InMemoryConversationStore();
    private MainViewModel main;
    @TempDir Path dir;
    private AppPreferences prefs;

    @BeforeEach
    void setUp() {
        var models = new ModelsViewModel(inference, direct, direct, Path.of("models"));
        var settings = new SettingsViewModel(store, ConversationSettings.DEFAULTS, s -> { });
        prefs = AppPreferences.load(dir.resolve("settings.properties"));
        main = new MainViewModel(store, prefs, models, settings,
                changed -> new ChatViewModel(inference, store, settings, models, direct, direct, Duration.ZERO,
                        changed),
                direct, direct);
        models.load(Path.of("models/tiny"));
        inference.completeLoad();
    }

    private String converse(String text) {
        main.chat().draftProperty().set(text);
        main.chat().send();
        inference.lastRequest().listener.onFinished(FinishReason.STOP, FakeInferenceService.stats(1), 0);
        return main.chat().getConversationId();
    }

    @Test
    void aSentMessageAppearsAsTheSelectedConversation() {
        String id = converse("Hello");
        assertThat(main.getConversations()).extracting(ConversationRecord::title).containsExactly("Hello");
        assertThat(main.selectedProperty().get().id()).isEqualTo(id);
    }

    @Test
    void aNewChatIsEmptyAndSelectsNothing() {
        converse("Hello");
        main.newChat();
        assertThat(main.chat().getMessages()).isEmpty();
        assertThat(main.selectedProperty().get()).isNull();
        assertThat(main.chat().getConversationId()).isNull();
    }

    @Test
    void selectingAConversationOpensIt() {
        String first = converse("First");
        main.newChat();
        converse("Second");
        ConversationRecord firstRecord = main.getConversations().stream()
                .filter(c -> c.id().equals(first)).findFirst().orElseThrow();
        main.selectedProperty().set(firstRecord);
        assertThat(main.chat().getConversationId()).isEqualTo(first);
        assertThat(main.chat().getMessages().get(0).getText()).isEqualTo("First");
    }

    @Test
    void searchFiltersTheSidebarByTitle() {
        converse("Paris trip");
        main.newChat();
        converse("Budget");
        main.searchProperty().set("paris");
        assertThat(main.getConversations()).extracting(ConversationRecord::title).containsExactly("Paris trip");
        main.searchProperty().set("");
        assertThat(main.getConversations()).hasSize(2);
    }

    @Test
    void renamingChangesTheTitle() {
        converse("Hello");
        main.rename(main.selectedProperty().get(), "Greetings");
        assertThat(main.getConversations()).extracting(ConversationRecord::title).containsExactly("Greetings");
    }

    @Test
    void deletingTheOpenConversationLeavesAnEmptyChat() {
        converse("Hello");
        main.delete(main.selectedProperty().get());
        assertThat(main.getConversations()).isEmpty();
        assertThat(main.chat().getMessages()).isEmpty();
        assertThat(store.conversations()).isEmpty();
    }

    @Test
    void aQuickStartOpensANewChatWithItsPromptThatIsSavedWithItsFirstMessage() {
        main.newChat(QuickStart.TRANSLATE, "Translate between Chinese and English.");
        assertThat(main.settings().systemPromptProperty().get()).isEqualTo("Translate between Chinese and English.");
        assertThat(store.conversations()).as("nothing saved before the first message").isEmpty();
        main.chat().draftProperty().set("你好");
        main.chat().send();
        assertThat(inference.lastRequest().messages.get(0).content())
                .isEqualTo("Translate between Chinese and English.");
        ConversationRecord created = main.selectedProperty().get();
        assertThat(store.conversation(created.id()).orElseThrow().settings().systemPrompt())
                .isEqualTo("Translate between Chinese and English.");
        assertThat(main.quickStartProperty().get()).isEqualTo(QuickStart.TRANSLATE);
    }

    @Test
    void aQuickStartLeftUnusedLeavesNoEmptyChat() {
        main.newChat(QuickStart.TRANSLATE, "Translate.");
        main.newChat(QuickStart.SUMMARIZE, "Summarize.");
        main.newChat();
        assertThat(store.conversations()).isEmpty();
        assertThat(main.getConversations()).isEmpty();
    }

    @Test
    void theLastConversationIsRememberedAndReopened() {
        String id = converse("Hello");
        converse("Again");
        assertThat(prefs.lastConversation()).isEqualTo(id);
        main.newChat();
        main.reopen(prefs.lastConversation());
        assertThat(main.chat().getConversationId()).isEqualTo(id);
        assertThat(main.chat().getMessages()).hasSize(4);
        main.reopen("deleted-long-ago");
        assertThat(main.chat().getConversationId()).isEqualTo(id);
    }

    @Test
    void theLoadedModelsDefaultsReachTheSettings() {
        assertThat(main.settings().canResetToModelDefaults()).isTrue();
    }

    @Test
    void theFirstMessageNamesAQuickStartConversation() {
        main.newChat(QuickStart.SUMMARIZE, "Summarize.");
        String id = converse("Meeting notes from Monday");
        assertThat(store.conversation(id).orElseThrow().title()).isEqualTo("Meeting notes from Monday");
    }

    @Test
    void aQuickStartSavedByTheUserOpensWithTheirSettings() {
        main.newChat(QuickStart.DRAFT, "Write drafts.");
        assertThat(main.quickStartProperty().get()).isEqualTo(QuickStart.DRAFT);
        main.settings().systemPromptProperty().set("Write drafts in a warm, short style.");
        main.settings().temperatureProperty().set(0.4);
        main.saveQuickStart();
        main.newChat();
        assertThat(main.quickStartProperty().get()).isNull();
        main.newChat(QuickStart.DRAFT, "Write drafts.");
        assertThat(main.settings().systemPromptProperty().get()).isEqualTo("Write drafts in a warm, short style.");
        assertThat(main.settings().temperatureProperty().get()).isEqualTo(0.4);
        String id = converse("Dear team");
        assertThat(store.conversation(id).orElseThrow().settings().temperature()).isEqualTo(0.4);
    }

    @Test
    void otherQuickStartsKeepTheirOwnPrompts() {
        main.newChat(QuickStart.DRAFT, "Write drafts.");
        main.settings().systemPromptProperty().set("Mine.");
        main.saveQuickStart();
        main.newChat(QuickStart.SUMMARIZE, "Summarize.");
        assertThat(main.settings().systemPromptProperty().get()).isEqualTo("Summarize.");
    }
}
