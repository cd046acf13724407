package dev.parlance.ui.chat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.parlance.chat.TokenTrace;
import dev.parlance.inference.FinishReason;
import dev.parlance.service.AttentionMap;
import dev.parlance.store.ConversationSettings;
import dev.parlance.store.InMemoryConversationStore;
import dev.parlance.ui.FakeInferenceService;
import dev.parlance.ui.chat.tokens.AttentionViewModel;
import dev.parlance.ui.models.ModelsViewModel;
import dev.parlance.ui.settings.SettingsViewModel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Answers carry their tokens into the view model, and an answer token's attention is asked for on request. */
class ChatViewModelTokensTest {
    private final Executor fxThread = Runnable::run;
    private final FakeInferenceService inference = new FakeInferenceService().holdLoads();
    private final InMemoryConversationStore store = new InMemoryConversationStore();
    private ChatViewModel chat;

    @BeforeEach
    void setUp() {
        var settings = new SettingsViewModel(store, ConversationSettings.DEFAULTS, s -> { });
        var models = new ModelsViewModel(inference, fxThread, fxThread, Path.of("models"));
        chat = new ChatViewModel(inference, store, settings, models, fxThread, fxThread, Duration.ZERO, () -> { });
        models.load(Path.of("models/tiny"));
        inference.completeLoad();
    }

    private FakeInferenceService.Request send(String text) {
        chat.draftProperty().set(text);
        chat.send();
        return inference.lastRequest();
    }

    @Test
    void anAnswerKeepsTheTokensTheEngineReported() {
        var request = send("hi");
        TokenTrace trace = FakeInferenceService.traceOf(List.of("Hel", "lo"));
        request.listener.onText("Hello");
        request.listener.onTokens(trace);
        request.listener.onFinished(FinishReason.STOP, FakeInferenceService.stats(2), 0);
        MessageViewModel answer = chat.getMessages().get(1);
        assertThat(answer.getTokens()).isSameAs(trace);
        assertThat(chat.getMessages().get(0).getTokens()).isNull();
    }

    @Test
    void theTokensOfAnAbandonedAnswerAreIgnored() {
        var request = send("hi");
        MessageViewModel abandoned = chat.getMessages().get(1);
        chat.open(null);
        request.listener.onTokens(FakeInferenceService.traceOf(List.of("late")));
        assertThat(abandoned.getTokens()).isNull();
    }

    @Test
    void theAttentionOfAnAnswerTokenRunsOverEverythingBeforeIt() {
        var request = send("hi");
        request.listener.onTokens(FakeInferenceService.traceOf(List.of("a", "b", "c")));
        request.listener.onFinished(FinishReason.STOP, FakeInferenceService.stats(3), 0);
        AttentionViewModel attention = chat.attention(chat.getMessages().get(1), 2);
        assertThat(attention.getToken()).isEqualTo("c");
        int[] asked = inference.lastAttentionTokens;
        assertThat(asked).hasSize(20 + 2).endsWith(100, 101); // the prompt, then "a" and "b"
        assertThat(inference.lastAttentionPosition).isEqualTo(21);
    }

    @Test
    void theLayerChoiceShowsOneLayerOrTheMeanOfAll() {
        var weights = new float[][] {{0.25f, 0.75f}, {0.75f, 0.25f}};
        var attention = new AttentionViewModel("x",
                CompletableFuture.completedFuture(new AttentionMap(List.of("a", "b"), weights)), fxThread);
        assertThat(attention.busyProperty().get()).isFalse();
        assertThat(attention.rowProperty().get()).containsExactly(0.5f, 0.5f);
        attention.layerProperty().set(1);
        assertThat(attention.rowProperty().get()).containsExactly(0.75f, 0.25f);
        assertThat(attention.peak()).isCloseTo(0.75f, within(1e-6f));
    }

    @Test
    void aModelThatCannotReportAttentionSaysSo() {
        var attention = new AttentionViewModel("x", CompletableFuture.failedFuture(
                new UnsupportedOperationException("this model family does not report its attention weights")), fxThread);
        assertThat(attention.errorProperty().get()).contains("does not report");
        assertThat(attention.mapProperty().get()).isNull();
    }
}
