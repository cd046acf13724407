package dev.parlance.inference;

import dev.parlance.inference.model.KvCache;
import dev.parlance.inference.sampling.Sampler;
import dev.parlance.inference.tokenizer.StreamingDecoder;
import dev.parlance.inference.tokenizer.TextTokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.BooleanSupplier;

/**
 * Generates text for one session: prefill the prompt, then decode one token at a time. Holds a
 * KV cache allocated once; when a new prompt starts with tokens already in the cache (the
 * previous turn of a conversation), only the rest is computed. Use from one thread.
 */
public final class Generator implements AutoCloseable {
    /** Prompt tokens per forward pass while prefilling: big enough for fast matrix products. */
    static final int PREFILL_CHUNK = 512;

    private final LanguageModel model;
    private final KvCache cache;
    private int[] cached = new int[0];

    /** A session whose context holds {@code contextTokens} (capped at the model's). */
    public Generator(LanguageModel model, int contextTokens) {
        this.model = model;
        this.cache = model.network().newCache(contextTokens);
    }

    /** Tokens the context window holds. */
    public int contextLength() {
        return cache.capacity();
    }

    /** Tokens whose keys and values are in the cache now. */
    public int cachedTokens() {
        return cache.length();
    }

    /**
     * A generation request.
     *
     * @param prompt token ids, not mutated
     * @param extraStopIds ids that end generation besides the model's EOS ids (end-of-turn markers)
     * @param logprobs how many alternatives to report per token; 0 for no log-probabilities
     * @param cancelled polled after prefill and before each token
     * @param ignoreEos keep going past EOS ids (benchmarks that need an exact token count)
     * @param answerPrefix how many of the prompt's last tokens are the start of the answer, chosen
     *     before (a branch of an answer continues from its tokens): they are read as prompt tokens,
     *     and the text streamed is what follows theirs
     */
    public record Request(int[] prompt, SamplingConfig sampling, Set<Integer> extraStopIds, int logprobs,
            BooleanSupplier cancelled, boolean ignoreEos, int answerPrefix) {
        public Request {
            if (answerPrefix < 0 || answerPrefix > prompt.length) {
                throw new IllegalArgumentException("answerPrefix " + answerPrefix + " is outside 0.." + prompt.length);
            }
        }

        public Request(int[] prompt, SamplingConfig sampling, Set<Integer> extraStopIds, int logprobs,
                BooleanSupplier cancelled, boolean ignoreEos) {
            this(prompt, sampling, extraStopIds, logprobs, cancelled, ignoreEos, 0);
        }

        public Request(int[] prompt, SamplingConfig sampling, Set<Integer> extraStopIds, int logprobs,
                BooleanSupplier cancelled) {
            this(prompt, sampling, extraStopIds, logprobs, cancelled, false, 0);
        }

        public static Request of(int[] prompt, SamplingConfig sampling) {
            return new Request(prompt, sampling, Set.of(), 0, () -> false);
        }
    }

    /**
     * Runs a request to its end.
     *
     * @throws ContextOverflowException when the prompt leaves no room for one new token
     */
    public GenerationResult generate(Request request, TokenListener listener) {
        long start = System.nanoTime();
        int[] prompt = request.prompt();
        if (prompt.length == 0 || prompt.length >= cache.capacity()) {
            throw new ContextOverflowException(prompt.length, cache.capacity());
        }
        int vocabulary = model.config().vocabSize();
        for (int id : prompt) {
            if (id < 0 || id >= vocabulary) {
                throw new IllegalArgumentException("token id " + id + " is not in the model's vocabulary (0 to "
                        + (vocabulary - 1) + ")");
            }
        }
        Set<Integer> stopIds = new HashSet<>(request.ignoreEos() ? Set.of() : model.defaults().eosIds());
        stopIds.addAll(request.extraStopIds());
        int reused = reusablePrefix(prompt);
        cache.truncate(reused);
        int[] history = Arrays.copyOf(prompt, cache.capacity());
        float[] logits = prefill(prompt, reused, request.cancelled());
        double prefillMillis = (System.nanoTime() - start) / 1e6;
        cached = Arrays.copyOf(prompt, prompt.length);

        var sampler = new Sampler(request.sampling());
        var decoder = answerDecoder(prompt, request.answerPrefix());
        var stops = new StopStrings(request.sampling().stopStrings());
        var text = new StringBuilder();
        List<TokenLogprob> logprobs = new ArrayList<>();
        int length = prompt.length;
        int generated = 0;
        double firstTokenMillis = 0;
        long decodeStart = 0;
        FinishReason finish;
        while (true) {
            if (logits == null || request.cancelled().getAsBoolean()) {
                finish = FinishReason.CANCELLED;
                break;
            }
            if (request.sampling().maxNewTokens() == 0) {
                finish = FinishReason.LENGTH;
                break;
            }
            float[] raw = request.logprobs() > 0 ? logits.clone() : null;
            int id = sampler.sample(logits, history, length);
            if (generated == 0) {
                firstTokenMillis = (System.nanoTime() - start) / 1e6;
                decodeStart = System.nanoTime();
            }
            if (stopIds.contains(id)) {
                finish = FinishReason.STOP;
                break;
            }
            history[length++] = id;
            generated++;
            String safe = stops.accept(decoder.next(id));
            text.append(safe);
            TokenLogprob logprob = raw == null ? null : logprobOf(raw, history[length - 2], id, request.logprobs());
            if (logprob != null) {
                logprobs.add(logprob);
            }
            listener.onToken(id, safe, logprob);
            if (stops.stopped()) {
                finish = FinishReason.STOP;
                break;
            }
            if (generated >= request.sampling().maxNewTokens()) {
                finish = FinishReason.LENGTH;
                break;
            }
            if (length >= cache.capacity()) {
                finish = FinishReason.CONTEXT_FULL;
                break;
            }
            logits = step(id);
            cached = Arrays.copyOf(history, length);
        }
        if (!stops.stopped()) {
            String rest = stops.accept(decoder.finish()) + stops.flush();
            if (!rest.isEmpty()) {
                text.append(rest);
                listener.onToken(-1, rest, null);
            }
        }
        double decodeMillis = generated > 1 ? (System.nanoTime() - decodeStart) / 1e6 : 0;
        var stats = new GenerationStats(prompt.length, reused, generated, firstTokenMillis, prefillMillis, decodeMillis);
        return new GenerationResult(Arrays.copyOfRange(history, prompt.length, length), text.toString(), finish,
                stats, logprobs);
    }

    /**
     * A decoder that has read the answer's prefix, so that the first new token's text follows the
     * prefix's exactly (completing a character the prefix's last token began).
     */
    private StreamingDecoder answerDecoder(int[] prompt, int answerPrefix) {
        int answerStart = prompt.length - answerPrefix;
        var decoder = new StreamingDecoder(model.tokenizer(), Arrays.copyOf(prompt, answerStart));
        for (int i = answerStart; i < prompt.length; i++) {
            decoder.next(prompt[i]); // the prefix's text is the caller's
        }
        return decoder;
    }

    /** Tokens at the start of {@code prompt} already in the cache; at least one token is always recomputed. */
    private int reusablePrefix(int[] prompt) {
        int limit = Math.min(Math.min(cached.length, cache.length()), prompt.length - 1);
        int n = 0;
        while (n < limit && cached[n] == prompt[n]) {
            n++;
        }
        return n;
    }

    /** Computes prompt[from..] in chunks; returns the last position's logits, or null if cancelled. */
    private float[] prefill(int[] prompt, int from, BooleanSupplier cancelled) {
        float[] logits = null;
        for (int at = from; at < prompt.length; at += PREFILL_CHUNK) {
            if (cancelled.getAsBoolean()) {
                cached = Arrays.copyOf(prompt, cache.length());
                return null;
            }
            int[] chunk = Arrays.copyOfRange(prompt, at, Math.min(prompt.length, at + PREFILL_CHUNK));
            logits = model.network().forward(chunk, cache, false);
        }
        return logits;
    }

    private float[] step(int id) {
        return model.network().forward(new int[] {id}, cache, false);
    }

    /**
     * Log-probability of {@code chosen} and the {@code top} best tokens under the raw logits: one
     * pass for the normalizer and one for the best tokens, so a vocabulary of 150,000 costs a
     * decode step well under a millisecond.
     */
    private TokenLogprob logprobOf(float[] raw, int previous, int chosen, int top) {
        double max = raw[Sampler.argmax(raw)];
        double sum = 0;
        for (float l : raw) {
            sum += Math.exp(l - max);
        }
        double logZ = max + Math.log(sum);
        TextTokenizer tokenizer = model.tokenizer();
        String before = tokenizer.decode(new int[] {previous}, false);
        List<TokenLogprob.Alternative> alternatives = new ArrayList<>();
        for (int id : bestIds(raw, top)) {
            alternatives.add(new TokenLogprob.Alternative(id, textAfter(tokenizer, previous, before, id), raw[id] - logZ));
        }
        return new TokenLogprob(chosen, textAfter(tokenizer, previous, before, chosen), raw[chosen] - logZ,
                alternatives);
    }

    /**
     * The text token {@code id} adds after token {@code previous}: a SentencePiece token's leading
     * space shows only after another token, so decoding it alone would lose it.
     */
    public static String textAfter(TextTokenizer tokenizer, int previous, int id) {
        return textAfter(tokenizer, previous, tokenizer.decode(new int[] {previous}, false), id);
    }

    private static String textAfter(TextTokenizer tokenizer, int previous, String before, int id) {
        String both = tokenizer.decode(new int[] {previous, id}, false);
        return both.startsWith(before) ? both.substring(before.length()) : tokenizer.decode(new int[] {id}, false);
    }

    /** The ids of the {@code k} highest logits, best first; of equal logits the lower id comes first. */
    static int[] bestIds(float[] logits, int k) {
        int[] ids = new int[Math.max(0, Math.min(k, logits.length))];
        if (ids.length == 0) {
            return ids;
        }
        int count = 0;
        for (int i = 0; i < logits.length; i++) {
            if (count == ids.length && !(logits[i] > logits[ids[count - 1]])) {
                continue;
            }
            int at = count < ids.length ? count++ : count - 1; // the last place, or the worst one's
            while (at > 0 && logits[i] > logits[ids[at - 1]]) {
                ids[at] = ids[at - 1];
                at--;
            }
            ids[at] = i;
        }
        return ids;
    }

    @Override
    public void close() {
        cache.close();
    }
}
