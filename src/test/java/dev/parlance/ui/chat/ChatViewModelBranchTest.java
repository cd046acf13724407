package dev.parlance.ui.chat;

import static org.assertj.core.api.Assertions.assertThat;

import dev.parlance.inference.FinishReason;
import dev.parlance.store.ConversationSettings;
import dev.parlance.store.InMemoryConversationStore;
import dev.parlance.ui.FakeInferenceService;
import dev.parlance.ui.models.ModelsViewModel;
import dev.parlance.ui.settings.SettingsViewModel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executor;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The token view's "continue with this token": a new version of the answer, asked for by exact tokens. */
class ChatViewModelBranchTest {
    private final Executor fxThread = Runnable::run;
    private final FakeInferenceService inference = new FakeInferenceService().holdLoads();
    private final InMemoryConversationStore store = new InMemoryConversationStore();
    private ModelsViewModel models;
    private ChatViewModel chat;

    @BeforeEach
    void setUp() {
        var settings = new SettingsViewModel(store, ConversationSettings.DEFAULTS, s -> { });
        models = new ModelsViewModel(inference, fxThread, fxThread, Path.of("models"));
        chat = new ChatViewModel(inference, store, settings, models, fxThread, fxThread, Duration.ZERO, () -> { });
        models.load(Path.of("models/tiny"));
        inference.completeLoad();
    }

    /** Sends a question and answers it "Hello world" in three tokens, with their trace. */
    private MessageViewModel answered() {
        chat.draftProperty().set("hi");
        chat.send();
        var request = inference.lastRequest();
        request.listener.onText("Hello world");
        request.listener.onTokens(FakeInferenceService.traceOf(List.of("Hel", "lo", " world")));
        request.listener.onFinished(FinishReason.STOP, FakeInferenceService.stats(3), 0);
        return chat.getMessages().get(1);
    }

    @Test
    void anAlternativeAsksTheEngineToContinueFromTheTokensBeforeItAndTheSwitcherShowsTwoVersions() {
        MessageViewModel original = answered();
        original.showingTokensProperty().set(true);

        chat.continueWith(original, 1, 2);

        var request = inference.lastRequest();
        assertThat(request.options.answerPrefix()).extracting(t -> t.id()).containsExactly(100, 2);
        assertThat(request.messages).extracting(m -> m.content()).containsExactly("hi");
        assertThat(chat.getState()).isEqualTo(ChatViewModel.State.GENERATING);
        assertThat(chat.branchBlockProperty().get()).isEqualTo(ChatViewModel.BranchBlock.ANSWERING);
        MessageViewModel branch = chat.getMessages().get(1);
        assertThat(branch).isNotSameAs(original);
        assertThat(branch.showingTokensProperty().get()).isTrue();
        request.listener.onText("Hel else");
        request.listener.onText(" there");
        request.listener.onFinished(FinishReason.STOP, FakeInferenceService.stats(2), 0);

        assertThat(chat.getMessages()).extracting(MessageViewModel::getText).containsExactly("hi", "Hel else there");
        assertThat(branch.getVersionIndex()).isEqualTo(1);
        assertThat(branch.getVersionCount()).isEqualTo(2);
        assertThat(branch.seedProperty().get()).isEqualTo(request.options.sampling().seed());
    }

    @Test
    void flippingBackShowsTheOriginalWithItsTokens() {
        MessageViewModel original = answered();
        chat.continueWith(original, 0, 1);
        inference.lastRequest().listener.onText(" other");
        inference.lastRequest().listener.onFinished(FinishReason.STOP, FakeInferenceService.stats(1), 0);

        chat.showVersion(chat.getMessages().get(1), -1);

        MessageViewModel shown = chat.getMessages().get(1);
        assertThat(shown.getText()).isEqualTo("Hello world");
        assertThat(shown.getTokens()).isEqualTo(original.getTokens());
        assertThat(shown.getVersionIndex()).isZero();
    }

    @Test
    void noAlternativeIsTakenWhileAnAnswerIsBeingWritten() {
        MessageViewModel original = answered();
        chat.draftProperty().set("more");
        chat.send();
        int asked = inference.requests().size();

        chat.continueWith(original, 0, 1);

        assertThat(inference.requests()).hasSize(asked);
        assertThat(chat.getMessages()).hasSize(4);
    }

    @Test
    void anotherModelsTokensAreRefusedAndTheTranscriptStaysWithTheReason() {
        MessageViewModel original = answered();
        models.load(Path.of("models/other"));
        inference.completeLoad();
        int asked = inference.requests().size();

        chat.continueWith(original, 0, 1);

        assertThat(inference.requests()).hasSize(asked);
        assertThat(chat.getMessages()).extracting(MessageViewModel::getText).containsExactly("hi", "Hello world");
        assertThat(chat.getMessages().get(1)).isSameAs(original);
        assertThat(chat.errorProperty().get()).contains("written by tiny");
        assertThat(chat.getState()).isEqualTo(ChatViewModel.State.ERROR);
    }
}
