package dev.parlance.ui.chat;

import static org.assertj.core.api.Assertions.assertThat;

import dev.parlance.inference.FinishReason;
import dev.parlance.store.ConversationSettings;
import dev.parlance.store.MessageRecord;
import dev.parlance.store.SqliteConversationStore;
import dev.parlance.ui.FakeInferenceService;
import dev.parlance.ui.FakeInferenceService.Request;
import dev.parlance.ui.models.ModelsViewModel;
import dev.parlance.ui.settings.SettingsViewModel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Executor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each answer's seed is the one it was sampled with, shown on it and saved with it in the database. */
class AnswerSeedTest {
    private final Executor fxThread = Runnable::run;
    private final FakeInferenceService inference = new FakeInferenceService().holdLoads();
    @TempDir Path dir;
    private SqliteConversationStore store;
    private SettingsViewModel settings;
    private ChatViewModel chat;

    @BeforeEach
    void setUp() {
        store = SqliteConversationStore.open(dir);
        settings = new SettingsViewModel(store, ConversationSettings.DEFAULTS, s -> { });
        var models = new ModelsViewModel(inference, fxThread, fxThread, Path.of("models"));
        chat = new ChatViewModel(inference, store, settings, models, fxThread, fxThread, Duration.ZERO, () -> { });
        models.load(Path.of("models/tiny"));
        inference.completeLoad();
    }

    @AfterEach
    void close() {
        store.close();
        inference.close();
    }

    private Request ask(String text) {
        chat.draftProperty().set(text);
        chat.send();
        Request request = inference.lastRequest();
        request.listener.onText("An answer.");
        request.listener.onFinished(FinishReason.STOP, FakeInferenceService.stats(3), 0);
        return request;
    }

    private MessageRecord savedAnswer() {
        store.committed().join();
        var saved = store.messages(chat.getConversationId(), 0, 10);
        return saved.get(saved.size() - 1);
    }

    @Test
    void theSeedAnAnswerWasSampledWithIsShownOnItAndSavedWithIt() {
        long used = ask("Hello").options.sampling().seed();
        MessageViewModel answer = chat.getMessages().get(1);
        assertThat(answer.seedProperty().get()).isEqualTo(used);
        assertThat(savedAnswer().stats().seed()).isEqualTo(used);
    }

    @Test
    void regeneratingSamplesWithANewSeedAndReopeningShowsIt() {
        long first = ask("Hello").options.sampling().seed();
        chat.regenerate();
        Request again = inference.lastRequest();
        again.listener.onFinished(FinishReason.STOP, FakeInferenceService.stats(2), 0);
        long second = again.options.sampling().seed();
        assertThat(second).isNotEqualTo(first);
        String id = chat.getConversationId();
        chat.open(null);
        chat.open(id);
        assertThat(chat.getMessages().get(1).seedProperty().get()).isEqualTo(second);
    }

    @Test
    void aFixedSeedIsUsedForEveryAnswer() {
        settings.fixedSeedProperty().set(true);
        settings.seedProperty().set(4242);
        assertThat(ask("Hello").options.sampling().seed()).isEqualTo(4242);
        chat.regenerate();
        assertThat(inference.lastRequest().options.sampling().seed()).isEqualTo(4242);
    }
}
