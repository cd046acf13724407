package dev.parlance.cli;

import dev.parlance.chat.ChatReply;
import dev.parlance.chat.ChatSession;
import dev.parlance.chat.ChatListener;
import dev.parlance.chat.Message;
import dev.parlance.chat.PromptInspection;
import dev.parlance.chat.Role;
import dev.parlance.chat.template.BudgetExceededException;
import dev.parlance.chat.template.TemplateException;
import dev.parlance.inference.ContextOverflowException;
import dev.parlance.inference.FinishReason;
import dev.parlance.inference.GenerationStats;
import dev.parlance.inference.SamplingConfig;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The read-answer loop behind {@code parlance chat}. Answers and reasoning go to {@code out};
 * notes (what a command did, why an answer stopped, errors) go to {@code err}, so a script that
 * reads stdout sees only the conversation. Everything but {@link #stopAnswer} runs on one thread.
 */
final class ChatRepl {
    static final String REASONING_START = "[reasoning]";
    static final String REASONING_END = "[/reasoning]";
    static final String PROMPT_HEADER = "----- prompt -----";
    static final String TOKENS_HEADER = "----- tokens -----";

    private static final String HELP = String.join("\n",
            "/reset          start a new conversation (the system prompt stays)",
            "/system TEXT    set the system prompt (/system alone removes it)",
            "/regenerate     write the last answer again",
            "/inspect        show the exact prompt of the last answer and its tokens per message",
            "/exit, /quit    leave (so does end of input)",
            "Ctrl+C stops an answer while it is written; at the prompt it quits.");
    private static final int PREVIEW_LENGTH = 48;

    private final ChatSession session;
    private final SamplingConfig sampling;
    private final ChatRecorder recorder;
    private final PrintWriter out;
    private final PrintWriter err;
    private final boolean console;
    private final List<Message> turns = new ArrayList<>();
    private final AtomicBoolean stopRequested = new AtomicBoolean();
    private volatile boolean answering;
    private String systemPrompt;
    /** Oldest messages that the last answer's prompt left out; /inspect shows that prompt. */
    private int droppedForLastAnswer;

    /**
     * @param recorder saves the conversation, or null not to
     * @param console whether a person types at a terminal (then a prompt, a banner and timings are shown)
     */
    ChatRepl(ChatSession session, SamplingConfig sampling, ChatRecorder recorder, PrintWriter out, PrintWriter err,
            boolean console) {
        this.session = session;
        this.sampling = sampling;
        this.recorder = recorder;
        this.out = out;
        this.err = err;
        this.console = console;
    }

    /** Sets the system prompt without a note; null or blank means none. */
    void setSystemPrompt(String prompt) {
        systemPrompt = prompt == null || prompt.isBlank() ? null : prompt;
    }

    /** Reads lines until end of input or /exit. */
    void run(BufferedReader in) throws IOException {
        if (console) {
            note("Chatting in the model's template with a context of " + session.contextLength()
                    + " tokens. /help lists the commands.");
        }
        while (true) {
            if (console) {
                out.print("> ");
                out.flush();
            }
            String line = in.readLine();
            if (line == null) {
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
        if (!answering) {
            return false;
        }
        stopRequested.set(true);
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
                turns.clear();
                droppedForLastAnswer = 0;
                if (recorder != null) {
                    recorder.reset();
                }
                note("Started a new conversation.");
                break;
            case "/system":
                setSystemPrompt(argument);
                if (recorder != null) {
                    recorder.systemPrompt(systemPrompt);
                }
                note(systemPrompt == null ? "Removed the system prompt." : "Set the system prompt.");
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
        turns.add(Message.user(text));
        if (!answer(text)) {
            turns.remove(turns.size() - 1);
        }
    }

    private void regenerate() {
        if (turns.isEmpty() || turns.get(turns.size() - 1).role() != Role.ASSISTANT) {
            note("There is no answer to regenerate yet.");
            return;
        }
        turns.remove(turns.size() - 1);
        if (recorder != null) {
            recorder.dropLastAnswer();
        }
        answer(null);
    }

    /**
     * Answers the conversation, streaming the text, and adds the answer to it.
     *
     * @param newUserText the user message this answers, to be saved with it, or null when it was saved before
     * @return false when no answer could be started (the template rejected the conversation, or
     *     it does not fit the context)
     */
    private boolean answer(String newUserText) {
        Stream stream = new Stream(newUserText);
        stopRequested.set(false);
        answering = true;
        ChatReply reply;
        try {
            reply = session.reply(messages(), sampling, stream, stopRequested::get);
        } catch (BudgetExceededException e) {
            note(e.getMessage());
            return false;
        } catch (TemplateException e) {
            note("The chat template rejects this conversation: " + e.getMessage());
            return false;
        } catch (ContextOverflowException e) {
            note("That message is too long for the context: " + e.getMessage()
                    + ". Start a new conversation (/reset) or shorten the message.");
            return false;
        } catch (RuntimeException e) {
            if (!stream.started) {
                note("The answer failed: " + e);
                return false;
            }
            stream.end();
            note("The answer failed: " + e);
            if (recorder != null) {
                recorder.answerFinished(stream.answer.toString(), stream.reasoning.toString(), null,
                        FinishReason.ERROR);
            }
            // the partial answer stays, as the desktop app keeps it, so user and assistant turns still alternate
            turns.add(Message.assistant(stream.answer.toString()));
            return true;
        } finally {
            answering = false;
        }
        stream.end();
        if (!stream.started) {
            stream.save();
        }
        if (recorder != null) {
            recorder.answerFinished(reply.answer(), reply.reasoning(), reply.stats(), reply.finish());
        }
        turns.add(Message.assistant(reply.answer()));
        droppedForLastAnswer = reply.droppedMessages();
        report(reply);
        return true;
    }

    private void report(ChatReply reply) {
        if (reply.droppedMessages() > 0) {
            int n = reply.droppedMessages();
            note("(" + n + (n == 1 ? " older message was" : " older messages were")
                    + " left out to fit the context of " + session.contextLength() + " tokens)");
        }
        switch (reply.finish()) {
            case CANCELLED:
                note("(stopped)");
                break;
            case LENGTH:
                note("(the answer reached its limit of " + sampling.maxNewTokens()
                        + " tokens; --max-tokens raises it)");
                break;
            case CONTEXT_FULL:
                note("(the context of " + session.contextLength() + " tokens is full; /reset starts afresh)");
                break;
            default:
                break;
        }
        if (console) {
            GenerationStats stats = reply.stats();
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
        List<Message> shown = messages();
        if (!shown.isEmpty() && shown.get(shown.size() - 1).role() == Role.ASSISTANT) {
            shown.remove(shown.size() - 1);
        }
        shown = withoutOldest(shown, droppedForLastAnswer);
        PromptInspection breakdown;
        try {
            breakdown = session.inspect(shown);
        } catch (TemplateException e) {
            note("The chat template rejects this conversation: " + e.getMessage());
            return;
        }
        out.println(PROMPT_HEADER);
        out.println(breakdown.prompt());
        out.println(TOKENS_HEADER);
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

    /** The conversation as the template sees it: the system prompt, then the turns. */
    private List<Message> messages() {
        List<Message> messages = new ArrayList<>();
        if (systemPrompt != null) {
            messages.add(Message.system(systemPrompt));
        }
        messages.addAll(turns);
        return messages;
    }

    private void note(String text) {
        out.flush();
        err.println(text);
        err.flush();
    }

    /**
     * Prints one answer as it streams, reasoning fenced off from the answer, and saves it as it
     * grows. Nothing is saved before the first token, so a conversation the template rejects
     * leaves no trace in the store.
     */
    private final class Stream implements ChatListener {
        private final String newUserText;
        private final StringBuilder answer = new StringBuilder();
        private final StringBuilder reasoning = new StringBuilder();
        private boolean started;
        private boolean inReasoning;

        Stream(String newUserText) {
            this.newUserText = newUserText;
        }

        @Override
        public void onReasoning(String delta) {
            save();
            if (!inReasoning) {
                out.println(REASONING_START);
                inReasoning = true;
            }
            reasoning.append(delta);
            print(delta);
        }

        @Override
        public void onText(String delta) {
            save();
            closeReasoning();
            answer.append(delta);
            print(delta);
        }

        private void print(String delta) {
            out.print(delta);
            out.flush();
            if (recorder != null) {
                recorder.answerProgress(answer.toString(), reasoning.toString());
            }
        }

        /** Saves the user message and an empty answer, once. */
        void save() {
            if (started) {
                return;
            }
            started = true;
            if (recorder != null) {
                if (newUserText != null) {
                    recorder.userMessage(newUserText);
                }
                recorder.answerStarted();
            }
        }

        void end() {
            closeReasoning();
            out.println();
            out.flush();
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
