package dev.parlance.ui.chat;

import dev.parlance.chat.Role;
import dev.parlance.chat.TokenTrace;
import dev.parlance.inference.FinishReason;
import dev.parlance.inference.GenerationStats;
import dev.parlance.store.MessageRecord;
import dev.parlance.store.MessageStats;
import javafx.beans.property.BooleanProperty;
import javafx.beans.property.ReadOnlyBooleanProperty;
import javafx.beans.property.ReadOnlyBooleanWrapper;
import javafx.beans.property.ReadOnlyIntegerProperty;
import javafx.beans.property.ReadOnlyIntegerWrapper;
import javafx.beans.property.ReadOnlyLongProperty;
import javafx.beans.property.ReadOnlyLongWrapper;
import javafx.beans.property.ReadOnlyObjectProperty;
import javafx.beans.property.ReadOnlyObjectWrapper;
import javafx.beans.property.ReadOnlyStringProperty;
import javafx.beans.property.ReadOnlyStringWrapper;
import javafx.beans.property.SimpleBooleanProperty;

/** One card of the transcript: a message, its reasoning, and whether it is still being written. */
public final class MessageViewModel {
    private final Role role;
    private String id;
    private final ReadOnlyStringWrapper text = new ReadOnlyStringWrapper("");
    private final ReadOnlyStringWrapper reasoning = new ReadOnlyStringWrapper("");
    private final ReadOnlyBooleanWrapper streaming = new ReadOnlyBooleanWrapper(false);
    private final ReadOnlyStringWrapper error = new ReadOnlyStringWrapper("");
    private final ReadOnlyObjectWrapper<FinishReason> finish = new ReadOnlyObjectWrapper<>();
    private final ReadOnlyObjectWrapper<GenerationStats> stats = new ReadOnlyObjectWrapper<>();
    private final ReadOnlyBooleanWrapper lastAnswer = new ReadOnlyBooleanWrapper(false);
    private final ReadOnlyIntegerWrapper versionIndex = new ReadOnlyIntegerWrapper(0);
    private final ReadOnlyIntegerWrapper versionCount = new ReadOnlyIntegerWrapper(1);
    private final ReadOnlyLongWrapper seed = new ReadOnlyLongWrapper(MessageStats.NO_SEED);
    private final ReadOnlyObjectWrapper<TokenTrace> tokens = new ReadOnlyObjectWrapper<>();
    private final BooleanProperty showingTokens = new SimpleBooleanProperty(false);

    private MessageViewModel(Role role, String text) {
        this.role = role;
        this.text.set(text);
    }

    /** A message the user has written. */
    public static MessageViewModel user(String text) {
        return new MessageViewModel(Role.USER, text);
    }

    /** An answer about to stream in. */
    public static MessageViewModel pendingAssistant() {
        var m = new MessageViewModel(Role.ASSISTANT, "");
        m.streaming.set(true);
        return m;
    }

    /** A message read from the store. */
    public static MessageViewModel of(MessageRecord record) {
        var m = new MessageViewModel(record.role(), record.content());
        m.id = record.id();
        m.reasoning.set(record.reasoning() == null ? "" : record.reasoning());
        m.finish.set(record.finish());
        m.stats.set(statsOf(record.stats()));
        m.seed.set(record.stats() == null ? MessageStats.NO_SEED : record.stats().seed());
        return m;
    }

    /** A saved answer's figures as the live ones, so its footer reads the same after a restart. */
    private static GenerationStats statsOf(MessageStats saved) {
        if (saved == null || saved.tokens() <= 0) {
            return null;
        }
        double decodeMillis = saved.tokensPerSecond() > 0 ? (saved.tokens() - 1) * 1000.0 / saved.tokensPerSecond() : 0;
        return new GenerationStats(0, 0, saved.tokens(), saved.timeToFirstTokenMillis(), 0, decodeMillis);
    }

    public Role getRole() {
        return role;
    }

    /** The store's id of this message, or null before it is saved. */
    public String getId() {
        return id;
    }

    void setId(String id) {
        this.id = id;
    }

    public ReadOnlyStringProperty textProperty() {
        return text.getReadOnlyProperty();
    }

    public String getText() {
        return text.get();
    }

    /** What a reasoning model thought before answering; empty for most models. */
    public ReadOnlyStringProperty reasoningProperty() {
        return reasoning.getReadOnlyProperty();
    }

    public String getReasoning() {
        return reasoning.get();
    }

    public ReadOnlyBooleanProperty streamingProperty() {
        return streaming.getReadOnlyProperty();
    }

    public boolean isStreaming() {
        return streaming.get();
    }

    /** Whether writing this answer failed, now or in an earlier session. */
    public boolean isFailed() {
        return !error.get().isEmpty() || finish.get() == FinishReason.ERROR;
    }

    /** Why writing this answer failed just now, in plain words; empty otherwise (and for stored answers). */
    public ReadOnlyStringProperty errorProperty() {
        return error.getReadOnlyProperty();
    }

    public String getError() {
        return error.get();
    }

    /** Why the answer ended, or null while streaming and for user messages. */
    public ReadOnlyObjectProperty<FinishReason> finishProperty() {
        return finish.getReadOnlyProperty();
    }

    public FinishReason getFinish() {
        return finish.get();
    }

    public ReadOnlyObjectProperty<GenerationStats> statsProperty() {
        return stats.getReadOnlyProperty();
    }

    /** The random seed the answer was sampled with, {@link MessageStats#NO_SEED} when not known. */
    public ReadOnlyLongProperty seedProperty() {
        return seed.getReadOnlyProperty();
    }

    void setSeed(long answerSeed) {
        seed.set(answerSeed);
    }

    /** True for the last answer of the conversation, the one that can be regenerated. */
    public ReadOnlyBooleanProperty lastAnswerProperty() {
        return lastAnswer.getReadOnlyProperty();
    }

    public boolean isLastAnswer() {
        return lastAnswer.get();
    }

    void setLastAnswer(boolean last) {
        lastAnswer.set(last);
    }

    /** Which version of its turn this message is, 0-based (regenerated answers, edited questions). */
    public ReadOnlyIntegerProperty versionIndexProperty() {
        return versionIndex.getReadOnlyProperty();
    }

    public int getVersionIndex() {
        return versionIndex.get();
    }

    /** How many versions its turn has; 1 when it was never regenerated or edited. */
    public ReadOnlyIntegerProperty versionCountProperty() {
        return versionCount.getReadOnlyProperty();
    }

    public int getVersionCount() {
        return versionCount.get();
    }

    void setVersion(int index, int count) {
        versionIndex.set(index);
        versionCount.set(count);
    }

    /**
     * The answer's tokens with their probabilities, once it has ended; null for user messages and
     * for answers of an earlier session (they are kept in memory only).
     */
    public ReadOnlyObjectProperty<TokenTrace> tokensProperty() {
        return tokens.getReadOnlyProperty();
    }

    public TokenTrace getTokens() {
        return tokens.get();
    }

    void setTokens(TokenTrace trace) {
        tokens.set(trace);
    }

    /** Whether the card shows the answer token by token instead of as text (the user's toggle). */
    public BooleanProperty showingTokensProperty() {
        return showingTokens;
    }

    void appendText(String delta) {
        text.set(text.get() + delta);
    }

    void appendReasoning(String delta) {
        reasoning.set(reasoning.get() + delta);
    }

    void setText(String newText) {
        text.set(newText);
    }

    void complete(FinishReason reason, GenerationStats generationStats) {
        finish.set(reason);
        stats.set(generationStats);
        streaming.set(false);
    }

    void fail(String message) {
        error.set(message);
        finish.set(FinishReason.ERROR);
        streaming.set(false);
    }
}
