package dev.parlance.cli;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.parlance.chat.ChatReply;
import dev.parlance.chat.ChatSession;
import dev.parlance.chat.ChatListener;
import dev.parlance.chat.ChatTemplate;
import dev.parlance.chat.Message;
import dev.parlance.inference.FinishReason;
import dev.parlance.inference.GenerationStats;
import dev.parlance.inference.LanguageModel;
import dev.parlance.inference.SamplingConfig;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * {@code parlance bench --chat-turns N}: one conversation of N turns, each user message as long as
 * the others and each answer at most the same number of tokens, to show that a turn costs about
 * the same however long the conversation has grown: the session's KV cache keeps the earlier
 * turns, so only the new message (and the template's tokens around it) is computed.
 */
final class ChatTurnsBench {
    /** Template tokens around one turn ({@code <|im_start|>user\n}, ...), with room to spare. */
    private static final int TEMPLATE_TOKENS_PER_TURN = 32;

    private static final ChatListener IGNORE = new ChatListener() {
        @Override
        public void onText(String delta) { }

        @Override
        public void onReasoning(String delta) { }
    };

    /**
     * One turn's figures: those of the first run, and the time to first token of every run (the
     * runs compute the same tokens: greedy answers to the same messages).
     *
     * @param answerChars the answer's length in characters; a synthetic model's random weights
     *     mostly choose ids beyond its byte tokenizer's, which decode to nothing
     */
    record Turn(int number, GenerationStats stats, int answerChars, FinishReason finish, int droppedMessages,
            double[] ttftRuns) {
        /** The median time to first token over the runs. */
        double ttftMillis() {
            return BenchCommand.median(ttftRuns);
        }

        int computedTokens() {
            return stats.promptTokens() - stats.reusedTokens();
        }
    }

    private final int turns;
    private final int messageChars;
    private final int answerTokens;
    private final int repeats;

    /**
     * @param messageChars the length of every user message (one token per character with the
     *     synthetic models' byte tokenizer)
     * @param answerTokens the most tokens of every answer
     * @param repeats how many times the whole conversation is held, each in a fresh session
     */
    ChatTurnsBench(int turns, int messageChars, int answerTokens, int repeats) {
        this.turns = turns;
        this.messageChars = messageChars;
        this.answerTokens = answerTokens;
        this.repeats = repeats;
    }

    /** Room for every turn, so that no message is dropped and the cache is no larger than needed. */
    int contextTokens() {
        return turns * (messageChars + answerTokens + TEMPLATE_TOKENS_PER_TURN) + answerTokens + 64;
    }

    /**
     * Holds the conversation {@code repeats} times after one warm-up turn in a session of its own
     * (JIT and first allocations). On a shared machine one turn's time varies by tens of percent
     * from run to run, so each turn reports the median.
     */
    List<Turn> run(LanguageModel model, ChatTemplate template) {
        SamplingConfig sampling = SamplingConfig.greedy(answerTokens);
        try (ChatSession warmup = new ChatSession(model, template, contextTokens())) {
            warmup.reply(List.of(Message.user(message(0))), sampling, IGNORE, () -> false);
        }
        List<List<ChatReply>> runs = new ArrayList<>();
        for (int run = 0; run < repeats; run++) {
            List<ChatReply> replies = new ArrayList<>();
            List<Message> conversation = new ArrayList<>();
            try (ChatSession session = new ChatSession(model, template, contextTokens())) {
                for (int turn = 1; turn <= turns; turn++) {
                    conversation.add(Message.user(message(turn)));
                    ChatReply reply = session.reply(conversation, sampling, IGNORE, () -> false);
                    conversation.add(Message.assistant(reply.answer()));
                    replies.add(reply);
                }
            }
            runs.add(replies);
        }
        List<Turn> results = new ArrayList<>();
        for (int turn = 0; turn < turns; turn++) {
            int index = turn;
            ChatReply first = runs.get(0).get(turn);
            double[] ttft = runs.stream().mapToDouble(r -> r.get(index).stats().timeToFirstTokenMillis()).toArray();
            results.add(new Turn(turn + 1, first.stats(), first.answer().length(), first.finish(),
                    first.droppedMessages(), ttft));
        }
        return results;
    }

    /** Lower-case words, different for every turn and exactly {@code messageChars} long. */
    private String message(int turn) {
        Random random = new Random(turn);
        StringBuilder text = new StringBuilder();
        while (text.length() < messageChars) {
            int word = 2 + random.nextInt(7);
            for (int i = 0; i < word; i++) {
                text.append((char) ('a' + random.nextInt(26)));
            }
            text.append(' ');
        }
        String cut = text.substring(0, messageChars);
        return cut.endsWith(" ") ? cut.substring(0, messageChars - 1) + "." : cut;
    }

    static double lastToFirstTtft(List<Turn> results) {
        double first = results.get(0).ttftMillis();
        double last = results.get(results.size() - 1).ttftMillis();
        return first > 0 ? last / first : 0;
    }

    JsonObject toJson(List<Turn> results) {
        JsonObject root = new JsonObject();
        root.addProperty("chat_turns", turns);
        root.addProperty("message_chars", messageChars);
        root.addProperty("answer_tokens", answerTokens);
        root.addProperty("repeats", repeats);
        JsonArray array = new JsonArray();
        for (Turn turn : results) {
            JsonObject t = new JsonObject();
            t.addProperty("turn", turn.number());
            t.addProperty("ttft_ms", turn.ttftMillis());
            JsonArray runs = new JsonArray();
            for (double ttft : turn.ttftRuns()) {
                runs.add(ttft);
            }
            t.add("ttft_ms_runs", runs);
            t.addProperty("prefill_ms", turn.stats().prefillMillis());
            t.addProperty("prompt_tokens", turn.stats().promptTokens());
            t.addProperty("computed_tokens", turn.computedTokens());
            t.addProperty("reused_tokens", turn.stats().reusedTokens());
            t.addProperty("answer_tokens", turn.stats().generatedTokens());
            t.addProperty("answer_chars", turn.answerChars());
            t.addProperty("decode_tok_s", turn.stats().decodeTokensPerSecond());
            t.addProperty("finish_reason", turn.finish().name().toLowerCase(Locale.ROOT));
            t.addProperty("dropped_messages", turn.droppedMessages());
            array.add(t);
        }
        root.add("turns", array);
        root.addProperty("ttft_last_vs_first", lastToFirstTtft(results));
        return root;
    }

    void print(List<Turn> results, PrintWriter out) {
        out.printf(Locale.ROOT, "turns           %d: user messages of %d characters, answers of up to %d tokens;"
                + " times to first token are medians of %d runs%n", turns, messageChars, answerTokens, repeats);
        out.printf(Locale.ROOT, "%4s %9s %7s %9s %7s %7s %6s %9s%n",
                "turn", "ttft ms", "prompt", "computed", "reused", "answer", "chars", "decode/s");
        for (Turn turn : results) {
            GenerationStats s = turn.stats();
            out.printf(Locale.ROOT, "%4d %9.1f %7d %9d %7d %7d %6d %9.1f%n", turn.number(),
                    turn.ttftMillis(), s.promptTokens(), turn.computedTokens(), s.reusedTokens(),
                    s.generatedTokens(), turn.answerChars(), s.decodeTokensPerSecond());
        }
        out.printf(Locale.ROOT, "time to first token, turn %d vs turn 1: %.2fx%n", turns, lastToFirstTtft(results));
    }
}
