package dev.parlance.chat;

import ai.djl.huggingface.tokenizers.Encoding;
import dev.parlance.chat.template.RenderCancelledException;
import dev.parlance.inference.ContextOverflowException;
import dev.parlance.inference.FinishReason;
import dev.parlance.inference.GenerationResult;
import dev.parlance.inference.GenerationStats;
import dev.parlance.inference.Generator;
import dev.parlance.inference.LanguageModel;
import dev.parlance.inference.SamplingConfig;
import dev.parlance.inference.TokenLogprob;
import dev.parlance.inference.tokenizer.StreamingDecoder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.BooleanSupplier;

/**
 * A conversation with one model: renders the messages with the model's chat template, fits them
 * into the context window, and asks the engine to continue. The session keeps one KV cache, so a
 * new turn only computes the tokens that differ from what the previous turn left in the cache (the
 * new user message and the template's few tokens around it); an edited or regenerated history
 * reuses the common start and recomputes the rest. Use from one thread.
 */
public final class ChatSession implements AutoCloseable {
    /** Alternatives kept for every answer token (for the token view). */
    static final int ALTERNATIVES = 5;

    private final LanguageModel model;
    private final ChatTemplate template;
    private final Generator generator;

    /**
     * @param contextLimit the most tokens of context to use; 0 means the model's own as far as memory
     *     allows ({@link LanguageModel#defaultContextLength()}); never more than the model's
     */
    public ChatSession(LanguageModel model, ChatTemplate template, int contextLimit) {
        this.model = model;
        this.template = template;
        this.generator = new Generator(model, model.contextLengthFor(contextLimit));
    }

    public ChatTemplate template() {
        return template;
    }

    /** Tokens the context window holds. */
    public int contextLength() {
        return generator.contextLength();
    }

    /**
     * Answers the conversation.
     *
     * @param conversation messages, oldest first, normally ending with a user message; not mutated
     * @param sampling how to choose tokens; the template's end-of-turn markers are added as stops
     * @param listener receives answer and reasoning deltas
     * @param cancelled polled before every token and at every step of rendering the template; a
     *     reply cancelled while rendering is {@link FinishReason#CANCELLED} with nothing written
     * @throws ContextOverflowException when the system prompt and the last message alone do not fit
     * @throws dev.parlance.chat.template.TemplateException when the template rejects the conversation
     */
    public ChatReply reply(List<Message> conversation, SamplingConfig sampling, ChatListener listener,
            BooleanSupplier cancelled) {
        return reply(conversation, sampling, 0, List.of(), listener, cancelled);
    }

    /**
     * Answers the conversation, or continues an answer from its first tokens, reporting each new
     * token's log-probability to {@link ChatListener#onLogprob} when {@code logprobs} is positive.
     *
     * <p>A continued answer (a branch of one, as the token view makes) reads {@code answerPrefix}
     * after the generation prompt, as the exact token ids the model chose (and the one forced
     * instead), not as a text tokenized again, which could split differently. The listener gets
     * the prefix's text first, at once (its reasoning, then its answer, decoded as the model's own
     * text would be), then the new text; {@link ChatReply#answer()} and the {@link TokenTrace}
     * cover the whole answer, the prefix's tokens with the probabilities they came with. The
     * sampling's {@code maxNewTokens} limits the whole answer, prefix included (one new token at
     * least); the stats count the prefix as prompt tokens.
     *
     * @param logprobs how many alternatives to report per token; 0 for no log-probabilities
     * @param answerPrefix the answer's first tokens (a reasoning model's reasoning included), oldest
     *     first; empty for a new answer; not mutated
     * @see #reply(List, SamplingConfig, ChatListener, BooleanSupplier)
     */
    public ChatReply reply(List<Message> conversation, SamplingConfig sampling, int logprobs,
            List<TokenLogprob> answerPrefix, ChatListener listener, BooleanSupplier cancelled) {
        try {
            return replyRendered(conversation, sampling, logprobs, List.copyOf(answerPrefix), listener, cancelled);
        } catch (RenderCancelledException e) {
            return new ChatReply("", "", FinishReason.CANCELLED, new GenerationStats(0, 0, 0, 0, 0, 0), 0);
        }
    }

    private ChatReply replyRendered(List<Message> conversation, SamplingConfig sampling, int logprobs,
            List<TokenLogprob> answerPrefix, ChatListener listener, BooleanSupplier cancelled) {
        // the answer's length limit holds for the whole answer, its prefix included (at least one new token)
        SamplingConfig rest = answerPrefix.isEmpty() || sampling.maxNewTokens() == 0 ? sampling
                : sampling.withMaxNewTokens(Math.max(1, sampling.maxNewTokens() - answerPrefix.size()));
        int budget = answerBudget(rest) + answerPrefix.size();
        List<Message> fitted = new ArrayList<>(conversation);
        String prompt = template.render(fitted, true, cancelled);
        int[] ids = model.tokenizer().encode(prompt);
        int dropped = 0;
        while (ids.length + budget > contextLength()) {
            int oldest = firstDroppable(fitted);
            if (oldest < 0) {
                throw new ContextOverflowException(ids.length, contextLength() - budget);
            }
            dropped += dropTurn(fitted, oldest);
            prompt = template.render(fitted, true, cancelled);
            ids = model.tokenizer().encode(prompt);
        }
        var splitter = ReasoningSplitter.forPrompt(prompt);
        int[] reasoningTokens = {0}; // tokens up to the last one that wrote reasoning
        int[] tokens = {0};
        // the prefix's text splits into reasoning and answer as if the model had just written it
        var prefixText = new StreamingDecoder(model.tokenizer(), ids);
        int[] read = Arrays.copyOf(ids, ids.length + answerPrefix.size());
        for (TokenLogprob token : answerPrefix) {
            read[ids.length + tokens[0]++] = token.id();
            if (!splitter.accept(prefixText.next(token.id())).reasoning().isEmpty()) {
                reasoningTokens[0] = tokens[0];
            }
        }
        emit(new ReasoningSplitter.Delta(splitter.reasoning(), splitter.answer()), listener);
        // the token view keeps ALTERNATIVES per token; a caller that asked for logprobs gets its own count
        var request = new Generator.Request(read, withTurnStops(rest), stopIds(), Math.max(logprobs, ALTERNATIVES),
                cancelled, false, answerPrefix.size());
        GenerationResult result = generator.generate(request, (id, text, logprob) -> {
            ReasoningSplitter.Delta delta = splitter.accept(text);
            if (logprob != null) {
                tokens[0]++;
                if (!delta.reasoning().isEmpty()) {
                    reasoningTokens[0] = tokens[0];
                }
                if (logprobs > 0) {
                    listener.onLogprob(logprob.top().size() <= logprobs ? logprob : new TokenLogprob(logprob.id(),
                            logprob.token(), logprob.logprob(), logprob.top().subList(0, logprobs)));
                }
            }
            emit(delta, listener);
        });
        emit(splitter.finish(), listener);
        List<TokenLogprob> generated = new ArrayList<>(answerPrefix);
        generated.addAll(result.logprobs());
        listener.onTokens(new TokenTrace(ids, generated, reasoningTokens[0]));
        return new ChatReply(splitter.answer(), splitter.reasoning(), result.finish(), result.stats(), dropped);
    }

    /** Tokens kept free for the answer: its maximum, but never more than half the window. */
    private int answerBudget(SamplingConfig sampling) {
        return Math.max(1, Math.min(sampling.maxNewTokens(), contextLength() / 2));
    }

    /** The oldest message that may go: never a system message, never the last message. */
    private static int firstDroppable(List<Message> messages) {
        for (int i = 0; i < messages.size() - 1; i++) {
            if (messages.get(i).role() != Role.SYSTEM) {
                return i;
            }
        }
        return -1;
    }

    /** Removes the message at {@code index} and the answer that followed it, so turns stay paired. */
    private static int dropTurn(List<Message> messages, int index) {
        Message removed = messages.remove(index);
        if (removed.role() == Role.USER && index < messages.size() - 1
                && messages.get(index).role() == Role.ASSISTANT) {
            messages.remove(index);
            return 2;
        }
        return 1;
    }

    private static void emit(ReasoningSplitter.Delta delta, ChatListener listener) {
        if (!delta.reasoning().isEmpty()) {
            listener.onReasoning(delta.reasoning());
        }
        if (!delta.answer().isEmpty()) {
            listener.onText(delta.answer());
        }
    }

    private SamplingConfig withTurnStops(SamplingConfig sampling) {
        Set<String> stops = new LinkedHashSet<>(sampling.stopStrings());
        stops.addAll(template.endOfTurnMarkers());
        return sampling.withStopStrings(List.copyOf(stops));
    }

    /** End-of-turn markers that are single special tokens stop generation as ids, before any text. */
    private Set<Integer> stopIds() {
        Set<Integer> ids = new HashSet<>();
        for (String marker : template.endOfTurnMarkers()) {
            int[] tokens = model.tokenizer().encodeRaw(marker);
            if (tokens.length == 1 && model.tokenizer().isSpecial(tokens[0])) {
                ids.add(tokens[0]);
            }
        }
        return ids;
    }

    /** The exact prompt for {@code conversation} (with the generation prompt), token by token. */
    public PromptInspection inspect(List<Message> conversation) {
        String prompt = template.render(conversation, true);
        int[] ids = model.tokenizer().encode(prompt);
        Encoding encoding = model.tokenizer().encoding(prompt);
        List<Integer> idList = new ArrayList<>();
        for (int id : ids) {
            idList.add(id);
        }
        List<String> pieces = new ArrayList<>();
        List<Boolean> special = new ArrayList<>();
        String[] tokens = encoding.getTokens();
        int skip = tokens.length - ids.length; // a double BOS that encode() dropped
        for (int i = 0; i < ids.length; i++) {
            pieces.add(i + skip >= 0 && i + skip < tokens.length ? tokens[i + skip] : "");
            special.add(model.tokenizer().isSpecial(ids[i]));
        }
        return new PromptInspection(prompt, idList, pieces, special, tokensPerMessage(conversation, ids.length),
                contextLength());
    }

    /** Each message's share of the prompt, from the lengths of the prompts of ever longer prefixes. */
    private List<Integer> tokensPerMessage(List<Message> conversation, int total) {
        List<Integer> counts = new ArrayList<>();
        int previous = 0;
        for (int i = 1; i <= conversation.size(); i++) {
            int length;
            if (i == conversation.size()) {
                length = total;
            } else {
                try {
                    length = model.tokenizer().encode(template.render(conversation.subList(0, i), false)).length;
                } catch (RuntimeException templateRejectsPrefix) {
                    length = previous;
                }
            }
            counts.add(Math.max(0, length - previous));
            previous = Math.max(previous, length);
        }
        return counts;
    }

    @Override
    public void close() {
        generator.close();
    }
}
