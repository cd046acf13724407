package dev.parlance.cli;

import dev.parlance.chat.ChatListener;
import dev.parlance.chat.ChatReply;
import dev.parlance.chat.ChatSession;
import dev.parlance.chat.Message;
import dev.parlance.chat.PromptInspection;
import dev.parlance.chat.Role;
import dev.parlance.chat.template.BudgetExceededException;
import dev.parlance.chat.template.TemplateException;
import dev.parlance.inference.ContextOverflowException;
import dev.parlance.inference.FinishReason;
import dev.parlance.inference.GenerationStats;
import dev.parlance.inference.SamplingConfig;
import dev.parlance.service.ConversationService;
import dev.parlance.service.Generation;
import dev.parlance.service.remote.RemoteException;
import dev.parlance.store.ConversationSettings;
import dev.parlance.store.ConversationStore;
import dev.parlance.store.StoreException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.BooleanSupplier;

/**
 * The read-answer loop behind {@code parlance chat}. Answers and reasoning go to {@code out};
 * notes (what a command did, why an answer stopped, errors) go to {@code err}, so a script that
 * reads stdout sees only the conversation. A thin adapter over {@link ConversationService}, which
 * saves the conversation; answers are written on the reading thread, and everything but
 * {@link #stopAnswer} runs on it.
 */
final class ChatRepl {
    static final String REASONING_START = "[reasoning]";
    static final String REASONING_END = "[/reasoning]";
    static final String PROMPT_HEADER = "----- prompt -----";
    static final String TOKENS_HEADER = "----- tokens -----";

    private static final String HELP = String.join("\n",
            "/reset          start a new conversation (the system prompt stays)",
            "/system TEXT    set the system prompt (/system alone removes it)",
            "/regenerate     write the last answer again (the earlier one stays as a version)",
            "/inspect        show the exact prompt of the last answer and its tokens per message",
            "/exit, /quit    leave (so does end of input)",
            "Ctrl+C stops an answer while it is written; at the prompt it quits.");
    private static final int PREVIEW_LENGTH = 48;

    private final Engine engine;
    private final SamplingConfig sampling;
    private final ConversationService conversation;
    private final PrintWriter out;
    private final PrintWriter err;
    private final boolean console;
    /** The system prompt and sampling, saved with the conversation; changed by /system. */
    private volatile ConversationSettings settings;
    /** Oldest messages that the last answer's prompt left out; /inspect shows that prompt. */
    private int droppedForLastAnswer;

    /**
     * Where answers come from: a model in this process ({@link #local}) or a remote server. Both
     * write an answer on the calling thread.
     */
    interface Engine {
        /** What a person at a terminal is told when the chat starts. */
        String banner();

        /** The tokens the context holds, or 0 when the engine does not know (a remote server). */
        int contextLength();

        /**
         * Writes an answer on the calling thread.
         *
         * @param prompt the messages, oldest first; not mutated
         * @param stopRequested polled while the answer is written; true stops it, keeping its text
         * @throws RuntimeException whose message says why the answer failed
         */
        ChatReply reply(List<Message> prompt, ChatListener listener, BooleanSupplier stopRequested);

        /** The prompt these messages make, with token counts where they are known. */
        PromptInspection inspect(List<Message> messages);

        /** A model in this process, in its chat template. */
        static Engine local(ChatSession session, SamplingConfig sampling) {
            return new Engine() {
                @Override
                public String banner() {
                    return "Chatting in the model's template with a context of " + session.contextLength() + " tokens.";
                }

                @Override
                public int contextLength() {
                    return session.contextLength();
                }

                @Override
                public ChatReply reply(List<Message> prompt, ChatListener listener, BooleanSupplier stopRequested) {
                    return session.reply(prompt, sampling, listener, stopRequested);
                }

                @Override
                public PromptInspection inspect(List<Message> messages) {
                    return session.inspect(messages);
                }
            };
        }
    }

    /** A chat with a model in this process, in its chat template; the parameters are as below. */
    ChatRepl(ChatSession session, SamplingConfig sampling, ConversationStore store, String model,
            ConversationSettings settings, PrintWriter out, PrintWriter err, boolean console) {
        this(Engine.local(session, sampling), sampling, store, model, settings, out, err, console);
    }

    /**
     * @param engine writes the answers
     * @param sampling the answers' sampling (its limit of new tokens is named when an answer reaches it)
     * @param store where the conversation is saved ({@code --save}), or an in-memory store
     * @param model the model's name, saved with the conversation
     * @param settings the system prompt (null for none) and sampling, saved with the conversation
     * @param console whether a person types at a terminal (then a prompt, a banner and timings are shown)
     */
    ChatRepl(Engine engine, SamplingConfig sampling, ConversationStore store, String model,
            ConversationSettings settings, PrintWriter out, PrintWriter err, boolean console) {
        this.engine = engine;
        this.sampling = sampling;
        this.settings = settings;
        this.conversation = new ConversationService(store, this::answer, () -> model, () -> this.settings);
        this.out = out;
        this.err = err;
        this.console = console;
    }

    /**
     * Says, as it happens, that the conversation cannot be saved; called on the store's writer
     * thread. A problem that may pass (a full disk) keeps the changes, which the store retries.
     */
    void storeProblem(StoreException problem) {
        note("parlance: " + problem.getMessage()
                + (problem.isTemporary() ? " The chat goes on; saving resumes when it can." : ""));
    }

    /** Reads lines until end of input, /exit, or output that can no longer be written. */
    void run(BufferedReader in) throws IOException {
        if (console) {
            note(engine.banner() + " /help lists the commands.");
        }
        while (true) {
            if (console) {
                out.print("> ");
                out.flush();
            }
            String line = in.readLine();
            if (line == null || out.checkError()) {
                return;
            }
            if (line.isBlank()) {
                continue;
            }
            if (line.startsWith("/")) {
                if (!command(line.strip())) {
                    return;
                }
            } else {
                ask(line);
            }
        }
    }

    /**
     * Asks the answer being written to stop; called from the signal thread.
     *
     * @return false when no answer is being written
     */
    boolean stopAnswer() {
        if (!conversation.answering()) {
            return false;
        }
        conversation.stop();
        return true;
    }

    /** Runs a slash command; false means leave. */
    private boolean command(String line) {
        int space = line.indexOf(' ');
        String name = (space < 0 ? line : line.substring(0, space)).toLowerCase(Locale.ROOT);
        String argument = space < 0 ? "" : line.substring(space + 1).strip();
        switch (name) {
            case "/exit":
            case "/quit":
                return false;
            case "/reset":
                conversation.open(null);
                droppedForLastAnswer = 0;
                note("Started a new conversation.");
                break;
            case "/system":
                String prompt = argument.isBlank() ? null : argument;
                settings = new ConversationSettings(prompt, settings.temperature(), settings.topP(), settings.topK(),
                        settings.minP(), settings.repeatPenalty(), settings.maxTokens(), settings.contextLength(),
                        settings.seed(), settings.thinking());
                conversation.updateSettings(settings);
                note(prompt == null ? "Removed the system prompt." : "Set the system prompt.");
                break;
            case "/regenerate":
                regenerate();
                break;
            case "/inspect":
                inspect();
                break;
            case "/help":
                note(HELP);
                break;
            default:
                note("Unknown command " + name + ". /help lists the commands.");
        }
        return true;
    }

    private void ask(String text) {
        Printer printer = new Printer();
        try {
            conversation.send(text, printer);
        } catch (StoreException e) {
            note("parlance: " + e.getMessage());
            return;
        }
        printer.report();
    }

    private void regenerate() {
        if (!conversation.canRegenerate()) {
            note("There is no answer to regenerate yet.");
            return;
        }
        Printer printer = new Printer();
        conversation.regenerate(printer);
        printer.report();
    }

    /**
     * Writes an answer on this thread, for the conversation service: Ctrl+C reaches it through
     * {@code stopRequested}, polled before every token.
     */
    private Generation answer(List<Message> prompt, BooleanSupplier stopRequested, ChatListener listener) {
        try {
            ChatReply reply = engine.reply(prompt, listener, stopRequested);
            listener.onFinished(reply.finish(), reply.stats(), reply.droppedMessages());
        } catch (RuntimeException e) {
            listener.onFailed(e);
        }
        return () -> { };
    }

    /** Says why an answer could not be written, by what went wrong. */
    private void explain(Throwable failure) {
        switch (failure) {
            case BudgetExceededException e -> note(e.getMessage());
            case TemplateException e -> note("The chat template rejects this conversation: " + e.getMessage());
            case ContextOverflowException e -> note("That message is too long for the context: " + e.getMessage()
                    + ". Start a new conversation (/reset) or shorten the message.");
            case RemoteException e -> note(e.getMessage());
            default -> note("The answer failed: " + failure);
        }
    }

    private void report(FinishReason finish, GenerationStats stats, int dropped) {
        droppedForLastAnswer = dropped;
        if (dropped > 0) {
            int n = dropped;
            note("(" + n + (n == 1 ? " older message was" : " older messages were")
                    + " left out to fit the context of " + engine.contextLength() + " tokens)");
        }
        switch (finish) {
            case CANCELLED:
                note("(stopped)");
                break;
            case LENGTH:
                note("(the answer reached its limit of " + sampling.maxNewTokens()
                        + " tokens; --max-tokens raises it)");
                break;
            case CONTEXT_FULL:
                note("(the context of " + engine.contextLength() + " tokens is full; /reset starts afresh)");
                break;
            default:
                break;
        }
        if (console) {
            note(String.format(Locale.ROOT,
                    "(%d tokens, %.0f ms to the first, %.1f tokens/s; %d of %d prompt tokens reused)",
                    stats.generatedTokens(), stats.timeToFirstTokenMillis(), stats.decodeTokensPerSecond(),
                    stats.reusedTokens(), stats.promptTokens()));
        }
    }

    /**
     * Prints the exact prompt the last answer was written from (or, before any answer, the prompt
     * the next message will extend), then what each message takes of it.
     */
    private void inspect() {
        List<Message> shown = conversation.prompt();
        if (!shown.isEmpty() && shown.get(shown.size() - 1).role() == Role.ASSISTANT) {
            shown.remove(shown.size() - 1);
        }
        shown = withoutOldest(shown, droppedForLastAnswer);
        PromptInspection breakdown;
        try {
            breakdown = engine.inspect(shown);
        } catch (TemplateException e) {
            note("The chat template rejects this conversation: " + e.getMessage());
            return;
        }
        out.println(PROMPT_HEADER);
        out.println(breakdown.prompt());
        out.println(TOKENS_HEADER);
        if (breakdown.tokenIds().isEmpty() && !shown.isEmpty()) {
            out.println("(not known here: the server applies its chat template and tokenizer; its usage figures "
                    + "after each answer count the tokens)");
            out.flush();
            return;
        }
        if (droppedForLastAnswer > 0) {
            out.println("(" + droppedForLastAnswer + " older messages left out to fit the context)");
        }
        List<Integer> counts = breakdown.tokensPerMessage();
        for (int i = 0; i < shown.size(); i++) {
            Message message = shown.get(i);
            String preview = preview(message.content()) + (i == shown.size() - 1 ? " + generation prompt" : "");
            out.printf(Locale.ROOT, "%-10s %6d  %s%n", message.role().wireName(), counts.get(i), preview);
        }
        if (shown.isEmpty()) {
            out.printf(Locale.ROOT, "%-10s %6d%n", "generation", breakdown.tokenIds().size());
        }
        out.printf(Locale.ROOT, "%-10s %6d  of %d in the context%n", "total", breakdown.tokenIds().size(),
                breakdown.contextLength());
        out.flush();
    }

    /** The messages minus the first {@code n} that are not system messages (as the session drops them). */
    private static List<Message> withoutOldest(List<Message> messages, int n) {
        List<Message> kept = new ArrayList<>();
        int skipped = 0;
        for (Message message : messages) {
            if (message.role() != Role.SYSTEM && skipped < n) {
                skipped++;
            } else {
                kept.add(message);
            }
        }
        return kept;
    }

    private static String preview(String text) {
        String line = text.replace("\n", "⏎");
        return line.length() <= PREVIEW_LENGTH ? line : line.substring(0, PREVIEW_LENGTH) + "…";
    }

    private void note(String text) {
        out.flush();
        err.println(text);
        err.flush();
    }

    /** Prints one answer as it streams, reasoning fenced off from the answer, then how it ended. */
    private final class Printer implements ChatListener {
        private boolean started;
        private boolean inReasoning;
        private FinishReason finish;
        private GenerationStats stats;
        private int dropped;
        private Throwable failure;

        @Override
        public void onReasoning(String delta) {
            started = true;
            if (!inReasoning) {
                out.println(REASONING_START);
                inReasoning = true;
            }
            print(delta);
        }

        @Override
        public void onText(String delta) {
            started = true;
            closeReasoning();
            print(delta);
        }

        @Override
        public void onFinished(FinishReason reason, GenerationStats figures, int droppedMessages) {
            finish = reason;
            stats = figures;
            dropped = droppedMessages;
        }

        @Override
        public void onFailed(Throwable error) {
            failure = error;
        }

        private void print(String delta) {
            out.print(delta);
            if (out.checkError()) {
                // nobody can read the answer (the pipe closed, the disk is full): stop computing it
                conversation.stop();
            }
        }

        /** Ends the answer's text and says how it ended. */
        void report() {
            if (started || failure == null) {
                closeReasoning();
                out.println();
                out.flush();
            }
            if (failure != null) {
                explain(failure);
            } else {
                ChatRepl.this.report(finish, stats, dropped);
            }
        }

        private void closeReasoning() {
            if (inReasoning) {
                out.println();
                out.println(REASONING_END);
                inReasoning = false;
            }
        }
    }
}
