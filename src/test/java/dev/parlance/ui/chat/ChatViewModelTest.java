package dev.parlance.ui.chat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import dev.parlance.chat.Message;
import dev.parlance.chat.Role;
import dev.parlance.inference.FinishReason;
import dev.parlance.inference.ModelLoadException;
import dev.parlance.store.ConversationSettings;
import dev.parlance.store.ConversationStore;
import dev.parlance.store.InMemoryConversationStore;
import dev.parlance.store.MessageRecord;
import dev.parlance.ui.FakeInferenceService;
import dev.parlance.ui.FakeInferenceService.Request;
import dev.parlance.ui.chat.ChatViewModel.State;
import dev.parlance.ui.models.ModelsViewModel;
import dev.parlance.ui.settings.SettingsViewModel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ChatViewModelTest {
    private final Executor fxThread = Runnable::run;
    private final FakeInferenceService inference = new FakeInferenceService().holdLoads();
    private final ConversationStore store = new InMemoryConversationStore();
    private SettingsViewModel settings;
    private ModelsViewModel models;
    private ChatViewModel chat;
    private int conversationChanges;

    @BeforeEach
    void setUp() {
        settings = new SettingsViewModel(store, ConversationSettings.DEFAULTS, s -> { });
        models = new ModelsViewModel(inference, fxThread, fxThread, Path.of("models"));
        chat = new ChatViewModel(inference, store, settings, models, fxThread, fxThread, Duration.ZERO,
                () -> conversationChanges++);
    }

    private void loadModel() {
        models.load(Path.of("models/tiny"));
        inference.completeLoad();
    }

    private Request send(String text) {
        chat.draftProperty().set(text);
        chat.send();
        return inference.lastRequest();
    }

    private List<State> recordStates() {
        List<State> states = new ArrayList<>();
        chat.stateProperty().addListener((obs, was, now) -> states.add(now));
        return states;
    }

    @Test
    void startsWithoutAModelAndCannotSend() {
        chat.draftProperty().set("hello");
        assertThat(chat.getState()).isEqualTo(State.NO_MODEL);
        assertThat(chat.canSendProperty().get()).isFalse();
    }

    @Test
    void followsTheModelFromLoadingToIdle() {
        List<State> states = recordStates();
        loadModel();
        assertThat(states).containsExactly(State.LOADING, State.IDLE);
    }

    @Test
    void aFailedModelLoadGoesBackToNoModel() {
        inference.failLoads(new ModelLoadException(Path.of("broken"), "config.json is not valid JSON"));
        List<State> states = recordStates();
        models.load(Path.of("broken"));
        assertThat(states).containsExactly(State.LOADING, State.NO_MODEL);
    }

    @Test
    void cannotSendABlankDraft() {
        loadModel();
        chat.draftProperty().set("   ");
        assertThat(chat.canSendProperty().get()).isFalse();
    }

    @Test
    void sendingAddsTheQuestionAndAPendingAnswerAndStartsGenerating() {
        loadModel();
        List<State> states = recordStates();
        send("Hello?");
        assertThat(states).containsExactly(State.GENERATING);
        assertThat(chat.getMessages()).extracting(MessageViewModel::getRole).containsExactly(Role.USER, Role.ASSISTANT);
        assertThat(chat.getMessages().get(1).isStreaming()).isTrue();
        assertThat(chat.draftProperty().get()).isEmpty();
        assertThat(chat.canStopProperty().get()).isTrue();
        assertThat(inference.lastRequest().messages).containsExactly(Message.user("Hello?"));
    }

    @Test
    void cannotSendAgainWhileAnswering() {
        loadModel();
        send("one");
        chat.draftProperty().set("two");
        chat.send();
        assertThat(inference.requests()).hasSize(1);
    }

    @Test
    void streamedTextGrowsTheAnswer() {
        loadModel();
        Request r = send("Hi");
        r.listener.onText("Hel");
        r.listener.onText("lo");
        assertThat(chat.getMessages().get(1).getText()).isEqualTo("Hello");
    }

    @Test
    void reasoningIsKeptApartFromTheAnswer() {
        loadModel();
        Request r = send("Hi");
        r.listener.onReasoning("thinking");
        r.listener.onText("Answer");
        assertThat(chat.getMessages().get(1).getReasoning()).isEqualTo("thinking");
        assertThat(chat.getMessages().get(1).getText()).isEqualTo("Answer");
    }

    @Test
    void finishingReturnsToIdleAndSavesTheAnswer() {
        loadModel();
        Request r = send("Hi");
        r.listener.onText("Hello there");
        r.listener.onFinished(FinishReason.STOP, FakeInferenceService.stats(2), 0);
        assertThat(chat.getState()).isEqualTo(State.IDLE);
        MessageViewModel answer = chat.getMessages().get(1);
        assertThat(answer.isStreaming()).isFalse();
        assertThat(chat.finishedAnswerProperty().get()).isSameAs(answer);
        assertThat(chat.lastStatsProperty().get().generatedTokens()).isEqualTo(2);
        assertThat(chat.contextUsedProperty().get()).isEqualTo(22);
        MessageRecord saved = store.messages(chat.getConversationId(), 0, 10).get(1);
        assertThat(saved.content()).isEqualTo("Hello there");
        assertThat(saved.finish()).isEqualTo(FinishReason.STOP);
    }

    @Test
    void cancellingKeepsThePartialText() {
        loadModel();
        Request r = send("Tell me a story");
        r.listener.onText("Once upon");
        chat.stop();
        assertThat(chat.getState()).isEqualTo(State.IDLE);
        MessageViewModel answer = chat.getMessages().get(1);
        assertThat(answer.getText()).isEqualTo("Once upon");
        assertThat(answer.getFinish()).isEqualTo(FinishReason.CANCELLED);
        assertThat(store.messages(chat.getConversationId(), 0, 10).get(1).content()).isEqualTo("Once upon");
    }

    @Test
    void aFailureMarksTheAnswerAndAllowsSendingAgain() {
        loadModel();
        Request r = send("Hi");
        r.listener.onText("Par");
        r.listener.onFailed(new IllegalStateException("The model ran out of memory."));
        assertThat(chat.getState()).isEqualTo(State.ERROR);
        assertThat(chat.errorProperty().get()).isEqualTo("The model ran out of memory.");
        assertThat(chat.getMessages().get(1).getError()).isEqualTo("The model ran out of memory.");
        assertThat(chat.getMessages().get(1).getText()).isEqualTo("Par");
        chat.draftProperty().set("again");
        assertThat(chat.canSendProperty().get()).isTrue();
    }

    @Test
    void aFailedTurnIsLeftOutOfTheNextPromptSoTurnsStillAlternate() {
        loadModel();
        send("Hi").listener.onFailed(new IllegalStateException("boom"));
        send("Again");
        assertThat(inference.lastRequest().messages).containsExactly(Message.user("Again"));
    }

    @Test
    void callbacksOfAnAbandonedAnswerAreIgnored() {
        loadModel();
        Request old = send("first conversation");
        String firstId = chat.getConversationId();
        chat.open(null);
        old.listener.onText(" late text");
        old.listener.onFinished(FinishReason.STOP, FakeInferenceService.stats(5), 0);
        assertThat(chat.getMessages()).isEmpty();
        assertThat(chat.lastStatsProperty().get()).isNull();
        assertThat(chat.getState()).isEqualTo(State.IDLE);
        assertThat(store.messages(firstId, 0, 10).get(1).finish()).isEqualTo(FinishReason.CANCELLED);
    }

    @Test
    void aLateFinishOfAnOldAnswerDoesNotEndTheNewOne() {
        loadModel();
        Request first = send("one");
        chat.stop();
        Request second = send("two");
        first.listener.onFinished(FinishReason.STOP, FakeInferenceService.stats(1), 0);
        assertThat(chat.getState()).isEqualTo(State.GENERATING);
        second.listener.onText("still going");
        assertThat(chat.getMessages().get(3).getText()).isEqualTo("still going");
    }

    @Test
    void theFirstMessageNamesANewConversation() {
        loadModel();
        send("What is the capital of France?");
        assertThat(store.conversation(chat.getConversationId()).orElseThrow().title())
                .isEqualTo("What is the capital of France?");
        assertThat(conversationChanges).isPositive();
    }

    @Test
    void theSystemPromptComesFirst() {
        loadModel();
        settings.systemPromptProperty().set("Be brief.");
        send("Hi");
        assertThat(inference.lastRequest().messages)
                .containsExactly(Message.system("Be brief."), Message.user("Hi"));
    }

    @Test
    void regeneratingReplacesTheLastAnswer() {
        loadModel();
        Request r = send("Hi");
        r.listener.onText("first answer");
        r.listener.onFinished(FinishReason.STOP, FakeInferenceService.stats(2), 0);
        assertThat(chat.canRegenerate()).isTrue();
        chat.regenerate();
        assertThat(chat.getMessages()).hasSize(2);
        assertThat(chat.getMessages().get(1).getText()).isEmpty();
        assertThat(inference.lastRequest().messages).containsExactly(Message.user("Hi"));
        assertThat(store.messageCount(chat.getConversationId())).isEqualTo(2);
    }

    @Test
    void onlyTheLastAnswerIsMarkedForRegenerating() {
        loadModel();
        Request r = send("one");
        r.listener.onFinished(FinishReason.STOP, FakeInferenceService.stats(1), 0);
        Request s = send("two");
        s.listener.onFinished(FinishReason.STOP, FakeInferenceService.stats(1), 0);
        assertThat(chat.getMessages()).extracting(MessageViewModel::isLastAnswer)
                .containsExactly(false, false, false, true);
    }

    @Test
    void editingAndResendingDropsEverythingAfterTheMessage() {
        loadModel();
        Request r = send("Hi");
        r.listener.onFinished(FinishReason.STOP, FakeInferenceService.stats(1), 0);
        Request s = send("Second");
        s.listener.onFinished(FinishReason.STOP, FakeInferenceService.stats(1), 0);
        MessageViewModel first = chat.getMessages().get(0);
        chat.editAndResend(first, "Hello instead");
        assertThat(chat.getMessages()).hasSize(2);
        assertThat(first.getText()).isEqualTo("Hello instead");
        assertThat(inference.lastRequest().messages).containsExactly(Message.user("Hello instead"));
        assertThat(store.messages(chat.getConversationId(), 0, 10)).extracting(MessageRecord::content)
                .containsExactly("Hello instead", "");
    }

    @Test
    void deletingRemovesTheMessageFromTranscriptAndStore() {
        loadModel();
        Request r = send("Hi");
        r.listener.onFinished(FinishReason.STOP, FakeInferenceService.stats(1), 0);
        chat.delete(chat.getMessages().get(1));
        assertThat(chat.getMessages()).hasSize(1);
        chat.commitDelete();
        assertThat(store.messageCount(chat.getConversationId())).isEqualTo(1);
    }

    @Test
    void theAnswerBeingWrittenCannotBeDeleted() {
        loadModel();
        send("Hi");
        chat.delete(chat.getMessages().get(1));
        assertThat(chat.getMessages()).hasSize(2);
    }

    @Test
    void openingAConversationShowsItsMessages() {
        loadModel();
        send("Hi").listener.onFinished(FinishReason.STOP, FakeInferenceService.stats(1), 0);
        String id = chat.getConversationId();
        chat.open(null);
        chat.open(id);
        assertThat(chat.getMessages()).extracting(MessageViewModel::getText).containsExactly("Hi", "");
        assertThat(chat.getMessages().get(1).isLastAnswer()).isTrue();
    }

    @Test
    void promptMessagesIncludeTheDraft() {
        loadModel();
        settings.systemPromptProperty().set("sys");
        chat.draftProperty().set("draft");
        assertThat(chat.promptMessages()).containsExactly(Message.system("sys"), Message.user("draft"));
    }

    @Test
    void unloadingWhileIdleDisablesSending() {
        loadModel();
        models.load(Path.of("models/other"));
        assertThat(chat.getState()).isEqualTo(State.LOADING);
        inference.completeLoad();
        assertThat(chat.getState()).isEqualTo(State.IDLE);
    }

    @Test
    void aTurnThatFailedInAnEarlierSessionIsLeftOutOfThePrompt() {
        loadModel();
        send("Hi").listener.onFailed(new IllegalStateException("boom"));
        String id = chat.getConversationId();
        chat.open(null);
        chat.open(id);
        assertThat(chat.getMessages().get(1).isFailed()).isTrue();
        send("Again");
        assertThat(inference.lastRequest().messages).containsExactly(Message.user("Again"));
    }

    @Test
    void theGrowingAnswerIsSavedBeforeItFinishes() {
        loadModel();
        Request r = send("Hi");
        r.listener.onText("Par");
        MessageRecord saved = store.messages(chat.getConversationId(), 0, 10).get(1);
        assertThat(saved.content()).isEqualTo("Par");
        assertThat(saved.finish()).isNull();
    }

    @Test
    void messagesLeftOutOfTheContextAreCounted() {
        loadModel();
        send("Hi").listener.onFinished(FinishReason.STOP, FakeInferenceService.stats(3), 2);
        assertThat(chat.droppedMessagesProperty().get()).isEqualTo(2);
    }

    @Test
    void theUsersMessageIsSavedBeforeTheModelIsAsked() {
        loadModel();
        send("Keep this");
        // the fake has not answered: only the message and the empty answer exist
        assertThat(store.messages(chat.getConversationId(), 0, 10))
                .extracting(MessageRecord::role, MessageRecord::content)
                .containsExactly(tuple(Role.USER, "Keep this"),
                        tuple(Role.ASSISTANT, ""));
    }

    @Test
    void aLongFirstMessageNamesTheConversationByItsFirstLineCutAtAWord() {
        loadModel();
        send("Plan a three day trip to Lisbon with a budget of five hundred euros and no museums please\nThanks");
        assertThat(store.conversation(chat.getConversationId()).orElseThrow().title())
                .isEqualTo("Plan a three day trip to Lisbon with a budget of five…");
    }
}
