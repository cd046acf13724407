package dev.parlance.ui.chat;

import static org.assertj.core.api.Assertions.assertThat;

import dev.parlance.chat.Message;
import dev.parlance.chat.Role;
import dev.parlance.inference.FinishReason;
import dev.parlance.store.ConversationRecord;
import dev.parlance.store.ConversationSettings;
import dev.parlance.store.InMemoryConversationStore;
import dev.parlance.ui.FakeInferenceService;
import dev.parlance.ui.FakeInferenceService.Request;
import dev.parlance.ui.models.ModelsViewModel;
import dev.parlance.ui.settings.SettingsViewModel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executor;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The context meter has one source: the open conversation's prompt as the engine tokenizes it,
 * growing while an answer streams, then the answer's exact figures; it never shows another
 * conversation's or model's numbers. The fake's prompt takes one token per word plus one per message.
 */
class ContextMeterTest {
    private final Executor fxThread = Runnable::run;
    private final FakeInferenceService inference = new FakeInferenceService().holdLoads();
    private final InMemoryConversationStore store = new InMemoryConversationStore();
    private SettingsViewModel settings;
    private ModelsViewModel models;
    private ChatViewModel chat;

    @BeforeEach
    void setUp() {
        settings = new SettingsViewModel(store, ConversationSettings.DEFAULTS, s -> { });
        models = new ModelsViewModel(inference, fxThread, fxThread, Path.of("models"));
        chat = new ChatViewModel(inference, store, settings, models, fxThread, fxThread, Duration.ZERO, () -> { });
    }

    private void loadModel(String name) {
        models.load(Path.of("models", name));
        inference.completeLoad();
    }

    private String savedConversation() {
        ConversationRecord c = store.create("Long chat", "tiny", ConversationSettings.DEFAULTS);
        store.append(c.id(), Role.USER, "How tall is the tower");
        store.append(c.id(), Role.ASSISTANT, "About three hundred metres");
        return c.id();
    }

    @Test
    void aConversationOpenedAfterARestartShowsItsPromptSize() {
        loadModel("tiny");
        chat.open(savedConversation());
        assertThat(chat.contextUsedProperty().get()).as("user 5 + 1, answer 4 + 1").isEqualTo(11);
    }

    @Test
    void aConversationOpenedBeforeTheModelIsMeasuredWhenTheModelLoads() {
        chat.open(savedConversation());
        assertThat(chat.contextUsedProperty().get()).isZero();
        loadModel("tiny");
        assertThat(chat.contextUsedProperty().get()).isEqualTo(11);
    }

    @Test
    void theMeterGrowsWhileTheAnswerStreamsThenTakesTheExactFigures() {
        loadModel("tiny");
        chat.draftProperty().set("Hi");
        chat.send();
        Request r = inference.lastRequest();
        r.listener.onText("Once");
        r.listener.onText(" upon");
        assertThat(chat.contextUsedProperty().get()).isEqualTo(2);
        r.listener.onText(" a");
        assertThat(chat.contextUsedProperty().get()).isEqualTo(3);
        r.listener.onFinished(FinishReason.STOP, FakeInferenceService.stats(3), 0);
        assertThat(chat.contextUsedProperty().get()).as("20 prompt + 3 answer tokens").isEqualTo(23);
    }

    @Test
    void switchingConversationOrModelForgetsTheLastAnswersFigures() {
        loadModel("tiny");
        chat.draftProperty().set("Hi");
        chat.send();
        inference.lastRequest().listener.onFinished(FinishReason.STOP, FakeInferenceService.stats(3), 2);
        assertThat(chat.droppedMessagesProperty().get()).isEqualTo(2);
        String first = chat.getConversationId();
        chat.open(null);
        assertThat(chat.contextUsedProperty().get()).isZero();
        assertThat(chat.lastStatsProperty().get()).isNull();
        assertThat(chat.droppedMessagesProperty().get()).isZero();
        chat.open(first);
        assertThat(chat.contextUsedProperty().get()).as("measured again: Hi 1 + 1, the empty answer 1 + 1").isEqualTo(4);
        loadModel("other");
        assertThat(chat.lastStatsProperty().get()).isNull();
        assertThat(chat.contextUsedProperty().get()).isEqualTo(4);
    }

    @Test
    void theInspectorAsksForThePromptActuallySentAndKeepsTheLeftOutMessagesToShow() {
        loadModel("tiny");
        var inspector = new PromptInspectorViewModel(inference, fxThread);
        List<Message> messages = List.of(Message.system("Be brief."), Message.user("one"), Message.assistant("two"),
                Message.user("three"));
        inspector.inspect(messages, settings.options(), 2);
        assertThat(inspector.getInspectedMessages()).isEqualTo(messages);
        assertThat(inspector.getLeftOut()).isEqualTo(2);
        assertThat(inspector.inspectionProperty().get().prompt()).isEqualTo("<|system|>Be brief. <|user|>three ");
        assertThat(inspector.inspectionProperty().get().tokensPerMessage()).containsExactly(3, 2);
    }
}
