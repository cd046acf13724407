package dev.parlance.service;

import dev.parlance.chat.ChatListener;
import dev.parlance.chat.Message;
import dev.parlance.chat.Role;
import dev.parlance.chat.TokenTrace;
import dev.parlance.inference.FinishReason;
import dev.parlance.inference.GenerationStats;
import dev.parlance.inference.TokenLogprob;
import dev.parlance.store.ConversationRecord;
import dev.parlance.store.ConversationSettings;
import dev.parlance.store.ConversationStore;
import dev.parlance.store.MessageRecord;
import dev.parlance.store.MessageStats;
import dev.parlance.store.StoreException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * One conversation's life, the same for every front end (the desktop app's chat view model and
 * {@code parlance chat}): it creates and names the conversation, saves the user's message and waits
 * until the store has committed it before anything else happens, streams the answer into the store
 * (the store's writer decides how often text reaches the disk; nothing here throttles), and stops,
 * regenerates, edits and deletes. FX-free and thread-safe; the listener of an answer is called on
 * whichever thread writes it.
 *
 * <p>A conversation is a tree (see {@link ConversationStore}). Regenerating keeps the earlier
 * answers as versions of the turn, continuing an answer from another of its tokens
 * ({@link #continueWith}) adds a version too, and editing a user message starts a new branch beside
 * it; all stay, and {@link #select} shows another. {@link #messages()} is the selected path, and the
 * prompt is made of it.
 *
 * <p>A new conversation is named by its first message ({@link ConversationRecord#titleFrom}, the
 * rule imports use too); an untitled one by its next message.
 *
 * <p>The prompt (the context policy, {@link #prompt()}): the system prompt of the settings, then
 * every message but the answer being written and any turn whose answer failed (its question
 * too, so user and assistant still alternate, which some templates insist on). Fitting the prompt
 * into the context window, by leaving out the oldest turns, is the engine's ({@code ChatSession}).
 *
 * <p>Methods that save a user's message ({@link #send}, {@link #editAndResend}) wait for one
 * commit of the store, and an answer's listener hears of its end once the final text is committed;
 * a store that cannot save (a full disk) is reported by the store's own error listeners, and the
 * conversation goes on with its writes held and retried.
 */
public final class ConversationService {
    /** Answers whose tokens are kept for the token view: a long answer's trace takes a few hundred kilobytes. */
    static final int TRACES_KEPT = 100;

    /** Writes an answer: the app's {@link InferenceService}, or the terminal's session on the calling thread. */
    @FunctionalInterface
    public interface Answerer {
        /**
         * Starts an answer to {@code conversation}. The listener gets the text, then exactly one of
         * {@code onFinished} and {@code onFailed}, on any thread, perhaps before this returns.
         *
         * @param conversation the prompt's messages, oldest first; not mutated
         * @param stopRequested true once {@link #stop()} was called, for answerers that run on the
         *     calling thread and so cannot return a handle in time
         * @return a handle that cancels the answer
         */
        Generation answer(List<Message> conversation, BooleanSupplier stopRequested, ChatListener listener);

        /**
         * Starts an answer to {@code conversation} that continues from its first tokens (see
         * {@link InferenceService.ChatOptions#answerPrefix()}): the listener gets their text first.
         * An answerer without the token view's engine (the terminal's) cannot.
         *
         * @param answerPrefix the answer's first tokens, oldest first; not mutated
         * @throws UnsupportedOperationException when it cannot continue from tokens
         */
        default Generation continueAnswer(List<Message> conversation, List<TokenLogprob> answerPrefix,
                BooleanSupplier stopRequested, ChatListener listener) {
            throw new UnsupportedOperationException("This front end cannot continue an answer from a token.");
        }
    }

    /**
     * What one {@link #send} saved.
     *
     * @param created the conversation the message started, or null when it went into an existing one
     * @param userMessageId the saved user message
     * @param answerId the answer being written
     */
    public record Exchange(ConversationRecord created, String userMessageId, String answerId) {}

    private final ConversationStore store;
    private final Answerer answerer;
    private final Supplier<String> model;
    private final Supplier<ConversationSettings> settings;

    // guarded by this
    private String conversationId;
    private List<MessageRecord> messages = new ArrayList<>();
    private boolean loaded = true;
    private boolean untitled;
    private volatile Answer current;
    /** The tokens of the last answers written in this session, by id (the newest {@value #TRACES_KEPT}). */
    private final Map<String, KeptTokens> traces = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, KeptTokens> eldest) {
            return size() > TRACES_KEPT;
        }
    };

    /**
     * @param store where the conversation is kept
     * @param answerer writes answers
     * @param model the name of the model in use, saved with a new conversation
     * @param settings the settings in use (system prompt, sampling), saved with a new conversation
     */
    public ConversationService(ConversationStore store, Answerer answerer, Supplier<String> model,
            Supplier<ConversationSettings> settings) {
        this.store = store;
        this.answerer = answerer;
        this.model = model;
        this.settings = settings;
    }

    /** The title a conversation gets from its first message ("Chat" when it has no text to name it by). */
    public static String title(String text) {
        return ConversationRecord.titleFrom(text, "Chat");
    }

    /** The open conversation's id, or null before the first message of a new one. */
    public synchronized String conversationId() {
        return conversationId;
    }

    /**
     * Opens a conversation (null: a new, empty one). An answer being written is stopped and kept as
     * cancelled. Reads nothing: {@link #messages()} reads the conversation when first asked.
     */
    public synchronized void open(String id) {
        abandon();
        conversationId = id;
        messages = new ArrayList<>();
        loaded = id == null;
        untitled = false;
    }

    /**
     * The open conversation's selected path, oldest first, the answer being written with its text
     * so far.
     */
    public synchronized List<MessageRecord> messages() {
        load();
        return List.copyOf(messages);
    }

    /** Whether an answer is being written. */
    public boolean answering() {
        return current != null;
    }

    /** Whether the last message is an answer that may be written again now. */
    public synchronized boolean canRegenerate() {
        load();
        return current == null && !messages.isEmpty() && messages.getLast().role() == Role.ASSISTANT;
    }

    /** The messages the next answer is written from: see the class comment. */
    public synchronized List<Message> prompt() {
        load();
        List<Message> prompt = new ArrayList<>();
        String system = settings.get().systemPrompt();
        if (system != null && !system.isBlank()) {
            prompt.add(Message.system(system));
        }
        List<MessageRecord> kept = new ArrayList<>();
        Answer writing = current;
        for (MessageRecord m : messages) {
            if (m.role() == Role.SYSTEM || writing != null && m.id().equals(writing.id)) {
                continue;
            }
            if (m.role() == Role.ASSISTANT && m.finish() == FinishReason.ERROR) {
                if (!kept.isEmpty() && kept.getLast().role() == Role.USER) {
                    kept.removeLast();
                }
                continue;
            }
            kept.add(m);
        }
        kept.forEach(m -> prompt.add(new Message(m.role(), m.content())));
        return prompt;
    }

    /**
     * Saves the user's message (waiting for the store to commit it), then starts the answer.
     * A new conversation is created and named by the message; an untitled one is named by it.
     *
     * @param text the message; must not be blank
     * @param listener told of the answer
     * @throws IllegalStateException while an answer is being written
     * @throws StoreException if the store cannot take the message at all (it is closed, or the
     *     conversation was deleted)
     */
    public Exchange send(String text, ChatListener listener) {
        String content = text.strip();
        if (content.isEmpty()) {
            throw new IllegalArgumentException("A message needs some text.");
        }
        ConversationRecord created = null;
        MessageRecord user;
        synchronized (this) {
            requireIdle();
            load();
            if (conversationId == null) {
                created = store.create(title(content), model.get(), settings.get());
                conversationId = created.id();
            } else if (untitled) {
                store.rename(conversationId, title(content));
            }
            untitled = false;
            String parentId = messages.isEmpty() ? null : messages.getLast().id();
            user = store.append(conversationId, parentId, Role.USER, content);
            messages.add(user);
        }
        awaitCommitted();
        return new Exchange(created, user.id(), startAnswer(listener));
    }

    /**
     * Writes the last answer again as a new version of its turn; the earlier ones stay.
     *
     * @return the new answer's id
     */
    public String regenerate(ChatListener listener) {
        synchronized (this) {
            if (!canRegenerate()) {
                throw new IllegalStateException("There is no answer to write again.");
            }
            messages.removeLast();
        }
        return startAnswer(listener);
    }

    /**
     * Sends a changed copy of a user message as a new branch from the same point, and asks again.
     * The message and what followed it stay, as the other branch.
     *
     * @return the new user message's and answer's ids ({@code created} is null)
     */
    public Exchange editAndResend(String messageId, String text, ChatListener listener) {
        String content = text.strip();
        if (content.isEmpty()) {
            throw new IllegalArgumentException("A message needs some text.");
        }
        MessageRecord user;
        synchronized (this) {
            requireIdle();
            int index = indexOf(messageId);
            MessageRecord edited = messages.get(index);
            if (edited.role() != Role.USER) {
                throw new IllegalArgumentException("Only a user message can be edited.");
            }
            user = store.append(conversationId, edited.parentId(), Role.USER, content);
            messages.subList(index, messages.size()).clear();
            messages.add(user);
        }
        awaitCommitted();
        return new Exchange(null, user.id(), startAnswer(listener));
    }

    /**
     * An answer's tokens as the model chose them, with their alternatives, or null: only answers
     * written since the app started have them (they are not saved).
     */
    public synchronized TokenTrace tokens(String answerId) {
        KeptTokens kept = traces.get(answerId);
        return kept == null ? null : kept.trace();
    }

    /** An answer's tokens and the model whose tokens they are. */
    private record KeptTokens(TokenTrace trace, String model) {}

    /**
     * Writes a new version of an answer's turn (a branch, selected) that starts with the answer's
     * tokens up to {@code tokenIndex}, takes another token there, and goes on from it: the token
     * view's "continue with this token". The new version's text starts with the prefix's text and
     * the alternative's, then streams like any answer; the earlier versions stay, and what followed
     * the answer stays on the other branch.
     *
     * @param answerId an answer of the open conversation's selected path, with its {@link #tokens}
     * @param tokenIndex which of the answer's tokens to replace (0-based, reasoning not counted)
     * @param alternativeId the token to take there: one of that token's alternatives
     * @return the new version's id
     * @throws IllegalStateException while an answer is being written, when the answer's tokens are
     *     not known, or when another model is in use than the one that wrote them
     * @throws IllegalArgumentException when the message is not an answer or the token is not one of
     *     the alternatives
     */
    public String continueWith(String answerId, int tokenIndex, int alternativeId, ChatListener listener) {
        List<TokenLogprob> prefix;
        synchronized (this) {
            requireIdle();
            int index = indexOf(answerId);
            if (messages.get(index).role() != Role.ASSISTANT) {
                throw new IllegalArgumentException("Only an answer can be continued from one of its tokens.");
            }
            KeptTokens kept = traces.get(answerId);
            if (kept == null) {
                throw new IllegalStateException("The tokens of this answer are not known: it was written before the "
                        + "app last started. Regenerate it to see its tokens.");
            }
            if (!kept.model().equals(model.get())) {
                throw new IllegalStateException("This answer was written by " + kept.model() + ": load that model "
                        + "to continue it from one of its tokens.");
            }
            prefix = kept.trace().branchAt(tokenIndex, alternativeId);
            messages.subList(index, messages.size()).clear();
        }
        return startAnswer(listener, prefix);
    }

    /**
     * The versions of a message's turn, oldest first, the message among them: the answers it was
     * regenerated into, or the edits of a question.
     */
    public List<MessageRecord> versions(String messageId) {
        return store.versions(messageId);
    }

    /**
     * Where a message of the selected path stands among the versions of its turn.
     *
     * @param index 0-based, in the order the versions were made
     * @param count how many versions the turn has (1: no others)
     * @param previousId the version before, or null
     * @param nextId the version after, or null
     */
    public record Version(int index, int count, String previousId, String nextId) {}

    /** For each message of the selected path (by id), where it stands among its versions; one read. */
    public synchronized Map<String, Version> versionsOfPath() {
        load();
        Map<String, Version> versions = new HashMap<>();
        if (conversationId == null) {
            return versions;
        }
        Map<String, List<String>> siblings = new HashMap<>();
        for (MessageRecord m : store.tree(conversationId)) {
            siblings.computeIfAbsent(String.valueOf(m.parentId()), parent -> new ArrayList<>()).add(m.id());
        }
        for (MessageRecord m : messages) {
            List<String> ids = siblings.getOrDefault(String.valueOf(m.parentId()), List.of(m.id()));
            int index = Math.max(0, ids.indexOf(m.id()));
            versions.put(m.id(), new Version(index, Math.max(1, ids.size()),
                    index > 0 ? ids.get(index - 1) : null, index + 1 < ids.size() ? ids.get(index + 1) : null));
        }
        return versions;
    }

    /**
     * Shows the path through a message (another version of a turn, or a search hit on another
     * branch): from it on, the newest version of each later turn.
     *
     * @throws IllegalStateException while an answer is being written
     */
    public synchronized void select(String messageId) {
        requireIdle();
        store.select(messageId);
        loaded = false;
        load();
    }

    /**
     * Deletes a message and everything after it on its branches; not while an answer is being
     * written. Another version of the message, if any, is shown in its place.
     */
    public synchronized void delete(String messageId) {
        indexOf(messageId);
        requireIdle();
        store.deleteMessage(messageId);
        loaded = false;
    }

    /** Saves new settings with the open conversation, if it has been saved yet. */
    public synchronized void updateSettings(ConversationSettings changed) {
        if (conversationId != null) {
            store.updateSettings(conversationId, model.get(), changed);
        }
    }

    /**
     * Records the random seed of the answer being started, saved with it when it ends. An
     * {@link Answerer} calls this before it starts generating; any thread.
     */
    public void recordSeed(long seed) {
        Answer writing = current;
        if (writing != null) {
            writing.seed = seed;
        }
    }

    /** Asks the answer being written to stop before its next token; its text so far stays. Any thread. */
    public void stop() {
        Answer writing = current;
        if (writing != null) {
            writing.stop();
        }
    }

    private String startAnswer(ChatListener listener) {
        return startAnswer(listener, List.of());
    }

    /** Starts an answer after the selected path; a non-empty prefix continues it from those tokens. */
    private String startAnswer(ChatListener listener, List<TokenLogprob> answerPrefix) {
        Answer answer;
        List<Message> prompt;
        synchronized (this) {
            requireIdle();
            prompt = prompt();
            String parentId = messages.isEmpty() ? null : messages.getLast().id();
            MessageRecord record = store.append(conversationId, parentId, Role.ASSISTANT, "");
            messages.add(record);
            answer = new Answer(record.id(), listener);
            current = answer;
        }
        Generation generation;
        try {
            generation = answerPrefix.isEmpty() ? answerer.answer(prompt, answer.stopRequested::get, answer)
                    : answerer.continueAnswer(prompt, answerPrefix, answer.stopRequested::get, answer);
        } catch (RuntimeException e) {
            answer.onFailed(e);
            return answer.id;
        }
        answer.started(generation);
        return answer.id;
    }

    /** Waits for the store to commit what is queued; a problem that may pass is the store's to report. */
    private void awaitCommitted() {
        try {
            store.committed().join();
        } catch (CompletionException e) {
            if (!(e.getCause() instanceof StoreException problem) || !problem.isTemporary()) {
                throw e.getCause() instanceof RuntimeException cause ? cause : e;
            }
        }
    }

    /** Stops the answer being written without telling its listener, and saves it as cancelled. */
    private void abandon() {
        Answer writing = current;
        if (writing != null && writing.end(FinishReason.CANCELLED, null)) {
            writing.stop();
        }
    }

    private void load() {
        if (!loaded) {
            messages = new ArrayList<>(store.messages(conversationId, 0, Integer.MAX_VALUE));
            untitled = store.conversation(conversationId).map(c -> c.title().isBlank()).orElse(false);
            loaded = true;
        }
    }

    private void requireIdle() {
        if (current != null) {
            throw new IllegalStateException("An answer is being written; stop it first.");
        }
    }

    private int indexOf(String messageId) {
        load();
        for (int i = 0; i < messages.size(); i++) {
            if (messages.get(i).id().equals(messageId)) {
                return i;
            }
        }
        throw new IllegalArgumentException("No message " + messageId + " in this conversation.");
    }

    private static MessageRecord with(MessageRecord m, String content, String reasoning, MessageStats stats,
            FinishReason finish) {
        return new MessageRecord(m.id(), m.conversationId(), m.position(), m.role(), content, reasoning,
                m.created(), m.model(), stats == null ? m.stats() : stats, finish, m.parentId());
    }

    private static MessageStats statsOf(GenerationStats stats, long seed) {
        return stats == null ? new MessageStats(0, 0, 0, seed)
                : new MessageStats(stats.generatedTokens(), stats.timeToFirstTokenMillis(),
                        stats.decodeTokensPerSecond(), seed);
    }

    /** The answer being written: saves each change, then passes it on unless the answer was abandoned. */
    private final class Answer implements ChatListener {
        private final String id;
        private final ChatListener listener;
        private final AtomicBoolean stopRequested = new AtomicBoolean();
        private final StringBuilder text = new StringBuilder();
        private final StringBuilder reasoning = new StringBuilder();
        private volatile Generation generation;
        private volatile long seed = MessageStats.NO_SEED;
        private boolean ended;   // guarded by the service
        private CompletableFuture<Void> endSaved;   // the end's commit; guarded by the service

        Answer(String id, ChatListener listener) {
            this.id = id;
            this.listener = Objects.requireNonNull(listener, "listener");
        }

        void started(Generation handle) {
            generation = handle;
            if (stopRequested.get()) {
                handle.cancel();
            }
        }

        void stop() {
            stopRequested.set(true);
            Generation handle = generation;
            if (handle != null) {
                handle.cancel();
            }
        }

        @Override
        public void onText(String delta) {
            if (grow(text, delta)) {
                listener.onText(delta);
            }
        }

        @Override
        public void onReasoning(String delta) {
            if (grow(reasoning, delta)) {
                listener.onReasoning(delta);
            }
        }

        @Override
        public void onTokens(TokenTrace trace) {
            synchronized (ConversationService.this) {
                if (ended) {
                    return;
                }
                traces.put(id, new KeptTokens(trace, model.get()));
            }
            listener.onTokens(trace);
        }

        @Override
        public void onFinished(FinishReason reason, GenerationStats stats, int droppedMessages) {
            if (end(reason, stats)) {
                awaitSaved();
                listener.onFinished(reason, stats, droppedMessages);
            }
        }

        @Override
        public void onFailed(Throwable error) {
            if (end(FinishReason.ERROR, null)) {
                awaitSaved();
                listener.onFailed(error);
            }
        }

        private boolean grow(StringBuilder part, String delta) {
            synchronized (ConversationService.this) {
                if (ended) {
                    return false;
                }
                part.append(delta);
                store.updateMessage(id, text.toString(), reasoning.toString(), MessageStats.NONE, null);
                return true;
            }
        }

        /**
         * Waits until the end is committed, so that the listener hears of it only then; a failure
         * is the store's to report (its error listeners), and the answer ends all the same.
         */
        private void awaitSaved() {
            CompletableFuture<Void> end;
            synchronized (ConversationService.this) {
                end = endSaved;
            }
            end.exceptionally(problem -> null).join();
        }

        /** Saves the end once; false if it had already ended. */
        boolean end(FinishReason reason, GenerationStats stats) {
            synchronized (ConversationService.this) {
                if (ended) {
                    return false;
                }
                ended = true;
                MessageStats saved = statsOf(stats, seed);
                endSaved = store.updateMessage(id, text.toString(), reasoning.toString(), saved, reason);
                for (int i = messages.size() - 1; i >= 0; i--) {
                    if (messages.get(i).id().equals(id)) {
                        messages.set(i, with(messages.get(i), text.toString(), reasoning.toString(), saved, reason));
                        break;
                    }
                }
                if (current == this) {
                    current = null;
                }
                return true;
            }
        }
    }
}
