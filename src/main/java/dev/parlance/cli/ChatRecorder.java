package dev.parlance.cli;

import dev.parlance.chat.Role;
import dev.parlance.inference.FinishReason;
import dev.parlance.inference.GenerationStats;
import dev.parlance.store.ConversationSettings;
import dev.parlance.store.ConversationStore;
import dev.parlance.store.MessageStats;

/**
 * Saves a terminal chat as it happens ({@code parlance chat --save}): the conversation is created
 * with its first message, and each answer is written while it streams (at most every
 * {@link #PROGRESS_INTERVAL_NANOS}), so a crash leaves the partial answer marked interrupted.
 */
final class ChatRecorder {
    /** Streaming writes are coalesced: the store's writer need not see every token. */
    private static final long PROGRESS_INTERVAL_NANOS = 200_000_000L;
    private static final int TITLE_LENGTH = 60;

    private final ConversationStore store;
    private final String model;
    private ConversationSettings settings;
    private String conversationId;
    private String answerId;
    private long lastProgress;

    /**
     * @param model the model's name, saved with the conversation
     * @param settings sampling settings and the system prompt, saved with the conversation
     */
    ChatRecorder(ConversationStore store, String model, ConversationSettings settings) {
        this.store = store;
        this.model = model;
        this.settings = settings;
    }

    /** Saves a user message, starting a new saved conversation if there is none yet. */
    void userMessage(String text) {
        if (conversationId == null) {
            conversationId = store.create(title(text), model, settings).id();
        }
        store.append(conversationId, Role.USER, text);
    }

    /** Adds an empty answer that {@link #answerProgress} and {@link #answerFinished} fill. */
    void answerStarted() {
        answerId = store.append(conversationId, Role.ASSISTANT, "").id();
        lastProgress = System.nanoTime();
    }

    void answerProgress(String content, String reasoning) {
        long now = System.nanoTime();
        if (now - lastProgress >= PROGRESS_INTERVAL_NANOS) {
            store.updateMessage(answerId, content, reasoning, MessageStats.NONE, null);
            lastProgress = now;
        }
    }

    /** @param stats null when the answer failed before the engine reported any */
    void answerFinished(String content, String reasoning, GenerationStats stats, FinishReason finish) {
        MessageStats saved = stats == null ? MessageStats.NONE
                : new MessageStats(stats.generatedTokens(), stats.timeToFirstTokenMillis(),
                        stats.decodeTokensPerSecond());
        store.updateMessage(answerId, content, reasoning, saved, finish);
    }

    /** Deletes the last answer, which is about to be written again. */
    void dropLastAnswer() {
        if (answerId != null) {
            store.truncateFrom(answerId);
            answerId = null;
        }
    }

    /** The next message starts a new saved conversation. */
    void reset() {
        conversationId = null;
        answerId = null;
    }

    /** A new system prompt (null for none), saved with the conversation's settings. */
    void systemPrompt(String prompt) {
        settings = new ConversationSettings(prompt, settings.temperature(), settings.topP(), settings.topK(),
                settings.minP(), settings.repeatPenalty(), settings.maxTokens(), settings.contextLength(),
                settings.seed());
        if (conversationId != null) {
            store.updateSettings(conversationId, model, settings);
        }
    }

    /** The first line of the first message, cut at a word near {@value #TITLE_LENGTH} characters. */
    static String title(String text) {
        String line = text.strip().lines().findFirst().orElse("").strip();
        if (line.length() <= TITLE_LENGTH) {
            return line.isEmpty() ? "Chat" : line;
        }
        int cut = line.lastIndexOf(' ', TITLE_LENGTH);
        return line.substring(0, cut > TITLE_LENGTH / 3 ? cut : TITLE_LENGTH) + "…";
    }
}
