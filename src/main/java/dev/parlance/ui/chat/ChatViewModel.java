package dev.parlance.ui.chat;

import dev.parlance.chat.ChatListener;
import dev.parlance.chat.Message;
import dev.parlance.chat.Role;
import dev.parlance.chat.TokenTrace;
import dev.parlance.inference.FinishReason;
import dev.parlance.inference.GenerationStats;
import dev.parlance.inference.TokenLogprob;
import dev.parlance.service.ConversationService;
import dev.parlance.service.Generation;
import dev.parlance.service.InferenceService;
import dev.parlance.service.ModelInfo;
import dev.parlance.store.ConversationStore;
import dev.parlance.store.MessageRecord;
import dev.parlance.ui.FxTextBuffer;
import dev.parlance.ui.chat.tokens.AttentionViewModel;
import dev.parlance.ui.models.ModelsViewModel;
import dev.parlance.ui.settings.SettingsViewModel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import javafx.beans.binding.Bindings;
import javafx.beans.binding.BooleanBinding;
import javafx.beans.binding.ObjectBinding;
import javafx.beans.property.ReadOnlyIntegerProperty;
import javafx.beans.property.ReadOnlyIntegerWrapper;
import javafx.beans.property.ReadOnlyObjectProperty;
import javafx.beans.property.ReadOnlyObjectWrapper;
import javafx.beans.property.ReadOnlyStringProperty;
import javafx.beans.property.ReadOnlyStringWrapper;
import javafx.beans.property.SimpleStringProperty;
import javafx.beans.property.StringProperty;
import javafx.collections.FXCollections;
import javafx.collections.ObservableList;

/**
 * The open conversation: its messages, the composer's draft, and the answer being written. A thin
 * adapter over {@link ConversationService}, which saves and orchestrates; this keeps what the
 * screen shows. Commands run on the FX thread; the service's callbacks come back through
 * {@code fxThread}.
 */
public final class ChatViewModel {
    /** What the chat can do right now. */
    public enum State { NO_MODEL, LOADING, IDLE, GENERATING, ERROR }

    /** Why an answer cannot be continued from one of its tokens now ({@link #NONE}: it can). */
    public enum BranchBlock { NONE, ANSWERING, NO_MODEL, REMOTE_MODEL }

    private final ConversationService conversation;
    private final InferenceService inference;
    private final SettingsViewModel settings;
    private final ModelsViewModel models;
    private final Executor fxThread;
    private final Executor io;
    private final Duration flushInterval;
    private final Runnable conversationsChanged;
    private final ReadOnlyStringWrapper conversationId = new ReadOnlyStringWrapper();
    private final ObservableList<MessageViewModel> messages = FXCollections.observableArrayList();
    private final StringProperty draft = new SimpleStringProperty("");
    private final ReadOnlyObjectWrapper<State> state = new ReadOnlyObjectWrapper<>(State.NO_MODEL);
    private final ReadOnlyStringWrapper error = new ReadOnlyStringWrapper("");
    private final ReadOnlyObjectWrapper<GenerationStats> lastStats = new ReadOnlyObjectWrapper<>();
    private final ReadOnlyIntegerWrapper contextUsed = new ReadOnlyIntegerWrapper(0);
    private final ReadOnlyIntegerWrapper droppedMessages = new ReadOnlyIntegerWrapper(0);
    private final ReadOnlyObjectWrapper<MessageViewModel> finishedAnswer = new ReadOnlyObjectWrapper<>();
    private final BooleanBinding canSend;
    private final BooleanBinding generating;
    private final ObjectBinding<BranchBlock> branchBlock;
    private MessageViewModel currentReply; // FX thread only; the answer being written, or null
    private long currentId;              // FX thread only; guards against stale callbacks
    private long openId;                 // FX thread only; guards against a slow read of an old conversation
    private Map<String, ConversationService.Version> versions = Map.of();   // FX thread only
    private long measureId;              // FX thread only; only the newest measurement of the context counts
    private int usedBeforeAnswer;        // FX thread only; the context used when the current answer began

    /**
     * @param inference writes the answers
     * @param store where messages are saved as they are written (through a {@link ConversationService})
     * @param settings the open conversation's system prompt and sampling
     * @param models whether a model is loaded
     * @param fxThread runs callbacks on the FX thread ({@code Platform::runLater} in the app)
     * @param io reads conversations off the FX thread
     * @param flushInterval the shortest time between two transcript updates while streaming
     * @param conversationsChanged told when a conversation is created, renamed or updated
     */
    public ChatViewModel(InferenceService inference, ConversationStore store, SettingsViewModel settings,
            ModelsViewModel models, Executor fxThread, Executor io, Duration flushInterval,
            Runnable conversationsChanged) {
        this.settings = settings;
        this.inference = inference;
        this.conversation = new ConversationService(store, new ConversationService.Answerer() {
            @Override
            public Generation answer(List<Message> prompt, BooleanSupplier stopRequested, ChatListener listener) {
                return inference.chat(prompt, optionsForAnswer(), listener);
            }

            @Override
            public Generation continueAnswer(List<Message> prompt, List<TokenLogprob> answerPrefix,
                    BooleanSupplier stopRequested, ChatListener listener) {
                return inference.chat(prompt, optionsForAnswer().continuing(answerPrefix), listener);
            }
        }, this::modelName, settings::current);
        this.models = models;
        this.fxThread = fxThread;
        this.io = io;
        this.flushInterval = flushInterval;
        this.conversationsChanged = conversationsChanged;
        BooleanBinding ready = Bindings.createBooleanBinding(
                () -> state.get() == State.IDLE || state.get() == State.ERROR, state);
        canSend = ready.and(Bindings.createBooleanBinding(() -> !draft.get().isBlank(), draft));
        generating = state.isEqualTo(State.GENERATING);
        branchBlock = Bindings.createObjectBinding(() -> state.get() == State.GENERATING ? BranchBlock.ANSWERING
                : models.loadedRemoteProperty().get() != null ? BranchBlock.REMOTE_MODEL
                : state.get() == State.NO_MODEL || state.get() == State.LOADING ? BranchBlock.NO_MODEL
                : BranchBlock.NONE, state, models.loadedRemoteProperty());
        models.statusProperty().addListener((obs, was, now) -> followModel());
        models.loadedProperty().addListener((obs, was, now) -> {
            followContext();
            resetMeter();
            measureContext();
        });
        followModel();
        followContext();
    }

    public ObservableList<MessageViewModel> getMessages() {
        return messages;
    }

    /** What the user is typing. */
    public StringProperty draftProperty() {
        return draft;
    }

    public ReadOnlyObjectProperty<State> stateProperty() {
        return state.getReadOnlyProperty();
    }

    public State getState() {
        return state.get();
    }

    public BooleanBinding canSendProperty() {
        return canSend;
    }

    /** True while an answer is being written: Send becomes Stop. */
    public BooleanBinding canStopProperty() {
        return generating;
    }

    /** The open conversation's id, or null before the first message of a new chat. */
    public ReadOnlyStringProperty conversationIdProperty() {
        return conversationId.getReadOnlyProperty();
    }

    public String getConversationId() {
        return conversationId.get();
    }

    /** Why the last answer failed; empty otherwise. */
    public ReadOnlyStringProperty errorProperty() {
        return error.getReadOnlyProperty();
    }

    /** Figures of the last finished answer, or null. */
    public ReadOnlyObjectProperty<GenerationStats> lastStatsProperty() {
        return lastStats.getReadOnlyProperty();
    }

    /**
     * Tokens of context in use: the open conversation's prompt as the model sees it (measured when
     * it is opened or the model changes), growing with the answer while it streams, then the last
     * answer's exact prompt plus answer. The status bar's one source.
     */
    public ReadOnlyIntegerProperty contextUsedProperty() {
        return contextUsed.getReadOnlyProperty();
    }

    /** How many old messages the last answer had to leave out to fit the context. */
    public ReadOnlyIntegerProperty droppedMessagesProperty() {
        return droppedMessages.getReadOnlyProperty();
    }

    /** The answer that just finished, for screen readers to announce. */
    public ReadOnlyObjectProperty<MessageViewModel> finishedAnswerProperty() {
        return finishedAnswer.getReadOnlyProperty();
    }

    /** The tokens the model may use: the conversation's limit, else the model's window; 0 if unknown. */
    public int contextAvailable() {
        return settings.contextWindow();
    }

    /** Shows a conversation (null: an empty new chat); a running answer is stopped and kept. */
    public void open(String id) {
        abandonCurrent();
        long ticket = ++openId;
        conversation.open(id);
        conversationId.set(id);
        messages.clear();
        error.set("");
        resetMeter();
        if (id == null) {
            return;
        }
        CompletableFuture.supplyAsync(this::transcript, io)
                .thenAcceptAsync(transcript -> {
                    if (ticket == openId) {
                        show(transcript);
                    }
                }, fxThread);
    }

    /** A conversation's selected path with where each message stands among its versions. */
    private record Transcript(List<MessageRecord> messages, Map<String, ConversationService.Version> versions) {}

    private Transcript transcript() {
        return new Transcript(conversation.messages(), conversation.versionsOfPath());
    }

    private void show(Transcript transcript) {
        messages.setAll(transcript.messages().stream().map(MessageViewModel::of).collect(Collectors.toList()));
        for (MessageViewModel m : messages) {
            if (m.getRole() == Role.ASSISTANT) {
                m.setTokens(conversation.tokens(m.getId()));
            }
        }
        versions = transcript.versions();
        showVersions();
        markLastAnswer();
        measureContext();
    }

    private void showVersions() {
        for (MessageViewModel m : messages) {
            ConversationService.Version version = m.getId() == null ? null : versions.get(m.getId());
            if (version != null) {
                m.setVersion(version.index(), version.count());
            }
        }
    }

    /** Whether a message's versions can be browsed now: it has others, and no answer is being written. */
    public boolean canShowVersions(MessageViewModel message) {
        return message.getVersionCount() > 1 && (state.get() == State.IDLE || state.get() == State.ERROR
                || state.get() == State.NO_MODEL) && messages.contains(message);
    }

    /**
     * Shows the version of a message's turn {@code step} places away (-1 the one before, 1 the one
     * after), with the newest version of each later turn.
     */
    public void showVersion(MessageViewModel message, int step) {
        ConversationService.Version version = message.getId() == null ? null : versions.get(message.getId());
        if (version == null || !canShowVersions(message)) {
            return;
        }
        int target = version.index() + step;
        String id = target == version.index() - 1 ? version.previousId()
                : target == version.index() + 1 ? version.nextId() : null;
        if (id != null) {
            ++openId;
            conversation.select(id);
            show(transcript());
        }
    }

    /** Sends the draft and starts the answer; the conversation service saves the message first. */
    public void send() {
        if (!canSend.get()) {
            return;
        }
        String text = draft.get().strip();
        MessageViewModel user = MessageViewModel.user(text);
        messages.add(user);
        draft.set("");
        MessageViewModel reply = beginAnswer();
        try {
            ConversationService.Exchange exchange = conversation.send(text, listenerFor(reply));
            user.setId(exchange.userMessageId());
            reply.setId(exchange.answerId());
            if (exchange.created() != null) {
                ++openId;
                conversationId.set(exchange.created().id());
                settings.load(exchange.created());
            }
        } catch (RuntimeException e) {
            fail(e);
        }
        conversationsChanged.run();
    }

    /** Stops the answer before its next token; the text so far stays. */
    public void stop() {
        conversation.stop();
    }

    /** Whether the last answer can be written again now. */
    public boolean canRegenerate() {
        return (state.get() == State.IDLE || state.get() == State.ERROR) && lastAnswer() != null;
    }

    /** Writes the last answer again as a new version of its turn; the earlier ones stay. */
    public void regenerate() {
        if (!canRegenerate()) {
            return;
        }
        messages.remove(messages.indexOf(lastAnswer()), messages.size());
        MessageViewModel reply = beginAnswer();
        try {
            reply.setId(conversation.regenerate(listenerFor(reply)));
            refreshVersions();
        } catch (RuntimeException e) {
            fail(e);
        }
    }

    /**
     * Why answers cannot be continued from one of their tokens now: while an answer is being
     * written, without a model, or with a remote server's (which reads text, not token ids).
     */
    public ObjectBinding<BranchBlock> branchBlockProperty() {
        return branchBlock;
    }

    /**
     * Writes a new version of an answer (a branch, shown at once) that keeps its tokens before
     * {@code tokenIndex}, takes {@code alternativeId} there and goes on from it; the answer stays as
     * the version before. The new version shows its tokens when it ends if the answer showed them.
     *
     * @param answer an answer of the transcript with its tokens ({@link MessageViewModel#getTokens()})
     * @param tokenIndex which of its tokens to replace
     * @param alternativeId one of that token's alternatives
     */
    public void continueWith(MessageViewModel answer, int tokenIndex, int alternativeId) {
        if (branchBlock.get() != BranchBlock.NONE || answer.getTokens() == null || !messages.contains(answer)) {
            return;
        }
        int index = messages.indexOf(answer);
        List<MessageViewModel> removed = List.copyOf(messages.subList(index, messages.size()));
        messages.remove(index, messages.size());
        MessageViewModel reply = beginAnswer();
        reply.showingTokensProperty().set(answer.showingTokensProperty().get());
        try {
            reply.setId(conversation.continueWith(answer.getId(), tokenIndex, alternativeId, listenerFor(reply)));
            refreshVersions();
        } catch (RuntimeException e) {
            // nothing was saved: the transcript stays as it was, with the reason
            messages.remove(reply);
            messages.addAll(removed);
            markLastAnswer();
            fail(e);
        }
    }

    /** Whether a user message can be edited and sent again now. */
    public boolean canEdit(MessageViewModel message) {
        return message.getRole() == Role.USER && (state.get() == State.IDLE || state.get() == State.ERROR)
                && messages.contains(message);
    }

    /**
     * Sends a changed copy of a user message and asks again: a new branch from there. The message
     * and what followed it stay, as the other branch.
     */
    public void editAndResend(MessageViewModel message, String newText) {
        if (!canEdit(message) || newText == null || newText.isBlank()) {
            return;
        }
        int index = messages.indexOf(message);
        messages.remove(index, messages.size());
        MessageViewModel edited = MessageViewModel.user(newText.strip());
        messages.add(edited);
        MessageViewModel reply = beginAnswer();
        try {
            ConversationService.Exchange exchange =
                    conversation.editAndResend(message.getId(), newText, listenerFor(reply));
            edited.setId(exchange.userMessageId());
            reply.setId(exchange.answerId());
            refreshVersions();
        } catch (RuntimeException e) {
            fail(e);
        }
    }

    /** Whether a message can be deleted now: not while an answer is being written. */
    public boolean canDelete(MessageViewModel message) {
        return state.get() != State.GENERATING && messages.contains(message);
    }

    /**
     * Deletes a message and everything after it, on every branch; another version of it, if any,
     * is shown in its place.
     */
    public void delete(MessageViewModel message) {
        if (!canDelete(message)) {
            return;
        }
        if (message.getId() == null) {
            messages.remove(message);
            markLastAnswer();
            return;
        }
        ++openId;
        conversation.delete(message.getId());
        show(transcript());
    }

    /** Reads again where each message stands among its versions, after a new version was started. */
    private void refreshVersions() {
        versions = conversation.versionsOfPath();
        showVersions();
    }

    /** The text of the last answer, or empty. */
    public String lastAnswerText() {
        MessageViewModel last = lastAnswer();
        return last == null ? "" : last.getText();
    }

    /**
     * Starts computing what the model attended to when it chose token {@code index} of an answer
     * that has its tokens ({@link MessageViewModel#getTokens()}).
     */
    public AttentionViewModel attention(MessageViewModel answer, int index) {
        TokenTrace trace = answer.getTokens();
        int[] context = trace.contextOf(index);
        return new AttentionViewModel(trace.answer().get(index).token(),
                inference.attention(context, context.length - 1), fxThread);
    }

    /** The messages the model would see now: system prompt, history, and the draft if any. */
    public List<Message> promptMessages() {
        List<Message> list = new ArrayList<>(conversation.prompt());
        if (!draft.get().isBlank()) {
            list.add(Message.user(draft.get().strip()));
        }
        return list;
    }

    /** The options of the answer being started; its seed is shown on it and saved with it. */
    private InferenceService.ChatOptions optionsForAnswer() {
        InferenceService.ChatOptions options = settings.options();
        long seed = options.sampling().seed();
        conversation.recordSeed(seed);
        if (currentReply != null) {
            currentReply.setSeed(seed);
        }
        return options;
    }

    private void resetMeter() {
        ++measureId;
        lastStats.set(null);
        contextUsed.set(0);
        droppedMessages.set(0);
    }

    /**
     * Measures the open conversation's prompt with the model's own template and tokenizer, off the
     * FX thread, so that the meter is right before any answer (after a restart, say).
     */
    private void measureContext() {
        if (models.getLoaded() == null || messages.isEmpty() || currentReply != null) {
            return;
        }
        long ticket = ++measureId;
        inference.inspect(conversation.prompt(), settings.options()).whenComplete((inspection, failure) ->
                fxThread.execute(() -> {
                    if (ticket == measureId && inspection != null) {
                        contextUsed.set(inspection.tokenIds().size());
                    }
                }));
    }

    private void followContext() {
        ModelInfo model = models.getLoaded();
        settings.modelContextProperty().set(model == null ? 0 : model.contextLength());
    }

    /** Shows a pending answer and enters GENERATING; its callbacks are current until the next answer. */
    private MessageViewModel beginAnswer() {
        MessageViewModel reply = MessageViewModel.pendingAssistant();
        messages.add(reply);
        markLastAnswer();
        error.set("");
        state.set(State.GENERATING);
        ++currentId;
        currentReply = reply;
        usedBeforeAnswer = contextUsed.get();
        ++measureId;   // a measurement still on its way is older than this answer
        return reply;
    }

    /** Passes the service's callbacks to the FX thread, where a stale answer's are ignored. */
    private ChatListener listenerFor(MessageViewModel reply) {
        long id = currentId;
        AtomicInteger streamed = new AtomicInteger();   // text pieces so far: about one per token
        Runnable showStreamed = () -> {
            if (id == currentId) {
                contextUsed.set(usedBeforeAnswer + streamed.get());
            }
        };
        var text = new FxTextBuffer(fxThread, delta -> {
            reply.appendText(delta);
            showStreamed.run();
        }, flushInterval);
        var reasoning = new FxTextBuffer(fxThread, delta -> {
            reply.appendReasoning(delta);
            showStreamed.run();
        }, flushInterval);
        return new ChatListener() {
            @Override
            public void onText(String delta) {
                streamed.incrementAndGet();
                text.append(delta);
            }

            @Override
            public void onReasoning(String delta) {
                streamed.incrementAndGet();
                reasoning.append(delta);
            }

            @Override
            public void onTokens(TokenTrace trace) {
                fxThread.execute(() -> {
                    if (id == currentId) {
                        reply.setTokens(trace);
                    }
                });
            }

            @Override
            public void onFinished(FinishReason reason, GenerationStats stats, int dropped) {
                fxThread.execute(() -> {
                    if (id == currentId) {
                        reasoning.flush();
                        text.flush();
                        finish(reason, stats, dropped);
                    }
                });
            }

            @Override
            public void onFailed(Throwable failure) {
                fxThread.execute(() -> {
                    if (id == currentId) {
                        reasoning.flush();
                        text.flush();
                        fail(failure);
                    }
                });
            }
        };
    }

    private void finish(FinishReason reason, GenerationStats stats, int dropped) {
        MessageViewModel reply = currentReply;
        endCurrent();
        reply.complete(reason, stats);
        lastStats.set(stats);
        if (stats != null) {
            contextUsed.set(stats.promptTokens() + stats.generatedTokens());
        }
        droppedMessages.set(dropped);
        followModel();
        finishedAnswer.set(reply);
        conversationsChanged.run();
    }

    private void fail(Throwable failure) {
        MessageViewModel reply = currentReply;
        endCurrent();
        String message = failure.getMessage() == null || failure.getMessage().isBlank()
                ? failure.getClass().getSimpleName() : failure.getMessage();
        if (reply != null) {
            reply.fail(message);
        }
        error.set(message);
        state.set(State.ERROR);
    }

    /** Shows a running answer as cancelled when the user leaves its conversation (the service saves it so). */
    private void abandonCurrent() {
        if (currentReply == null) {
            return;
        }
        MessageViewModel reply = currentReply;
        endCurrent();   // first, so that the cancelled generation's own callbacks are stale
        reply.complete(FinishReason.CANCELLED, null);
        followModel();
    }

    private void endCurrent() {
        currentReply = null;
        ++currentId;
    }

    private void followModel() {
        if (currentReply != null) {
            return;
        }
        switch (models.getStatus()) {
            case READY:
                state.set(State.IDLE);
                break;
            case LOADING:
                state.set(State.LOADING);
                break;
            default:
                state.set(State.NO_MODEL);
                break;
        }
    }

    private MessageViewModel lastAnswer() {
        for (int i = messages.size() - 1; i >= 0; i--) {
            if (messages.get(i).getRole() == Role.ASSISTANT) {
                return i == messages.size() - 1 ? messages.get(i) : null;
            }
        }
        return null;
    }

    private void markLastAnswer() {
        MessageViewModel last = lastAnswer();
        for (MessageViewModel m : messages) {
            m.setLastAnswer(m == last);
        }
    }

    private String modelName() {
        ModelInfo model = models.getLoaded();
        return model == null ? "" : model.name();
    }
}
