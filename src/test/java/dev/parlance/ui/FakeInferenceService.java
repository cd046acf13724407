package dev.parlance.ui;

import dev.parlance.chat.Message;
import dev.parlance.inference.WeightFormat;
import dev.parlance.inference.FinishReason;
import dev.parlance.inference.GenerationStats;
import dev.parlance.inference.ModelLoadException;
import dev.parlance.inference.SamplingConfig;
import dev.parlance.chat.ChatListener;
import dev.parlance.chat.TokenTrace;
import dev.parlance.inference.TokenLogprob;
import dev.parlance.service.AttentionMap;
import dev.parlance.service.Generation;
import dev.parlance.service.InferenceService;
import dev.parlance.service.ModelInfo;
import dev.parlance.chat.PromptInspection;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A scripted {@link InferenceService}. By default every request waits for the test to drive its
 * listener ({@link #lastRequest()}); with {@link #streamScript} each answer streams the script's
 * tokens from a worker thread, as the real service does, until cancelled.
 */
public final class FakeInferenceService implements InferenceService {
    /** One call of {@link #chat}. */
    public static final class Request {
        public final List<Message> messages;
        public final ChatOptions options;
        public final ChatListener listener;
        public final AtomicBoolean cancelled = new AtomicBoolean();

        Request(List<Message> messages, ChatOptions options, ChatListener listener) {
            this.messages = List.copyOf(messages);
            this.options = options;
            this.listener = listener;
        }
    }

    private final List<Request> requests = new CopyOnWriteArrayList<>();
    private final ExecutorService worker = Executors.newSingleThreadExecutor(r -> {
        var t = new Thread(r, "fake-inference");
        t.setDaemon(true);
        return t;
    });
    private volatile List<String> script;
    private volatile List<String> reasoningScript = List.of();
    private volatile long tokenDelayNanos;
    private volatile ModelInfo loaded;
    private volatile CompletableFuture<ModelInfo> heldLoad;
    private volatile boolean holdLoads;
    private volatile Exception loadFailure;
    private volatile boolean unloadFirst;
    /** How many oldest messages every streamed answer reports it left out to fit the context. */
    public volatile int dropped;
    /** The tokens and position of the last {@link #attention} request. */
    public volatile int[] lastAttentionTokens;
    public volatile int lastAttentionPosition;
    /** The weight format the last load asked for. */
    public volatile WeightFormat lastWeights;
    /** Every folder or file a load was asked for, in order. */
    public final List<Path> loads = new CopyOnWriteArrayList<>();

    /** The model info the fake reports for a folder. */
    public static ModelInfo infoFor(Path folder) {
        return new ModelInfo(folder, folder.getFileName().toString(), "LlamaForCausalLM", 260_000, 512,
                new SamplingConfig(0.6, 20, 0.8, 0.0, 1.0, 7, 256, List.of()), 12);
    }

    /** Makes every answer stream these tokens, one per {@code delayNanos}, on a worker thread. */
    public FakeInferenceService streamScript(List<String> tokens, long delayNanos) {
        this.script = List.copyOf(tokens);
        this.tokenDelayNanos = delayNanos;
        return this;
    }

    /** {@code text} in pieces of three characters, the size of a small model's tokens, to stream. */
    public static List<String> piecesOf(String text) {
        List<String> pieces = new ArrayList<>();
        for (int i = 0; i < text.length(); i += 3) {
            pieces.add(text.substring(i, Math.min(text.length(), i + 3)));
        }
        return pieces;
    }

    /** Makes every streamed answer think these tokens first (what a reasoning model writes in {@code <think>}). */
    public FakeInferenceService streamReasoning(List<String> tokens) {
        this.reasoningScript = List.copyOf(tokens);
        return this;
    }

    /** Makes loads wait until {@link #completeLoad()}. */
    public FakeInferenceService holdLoads() {
        holdLoads = true;
        return this;
    }

    /** Makes every load let the loaded model go before it starts, as the real service does to free memory. */
    public FakeInferenceService unloadFirst() {
        unloadFirst = true;
        return this;
    }

    /** Makes every load fail at once with this error. */
    public FakeInferenceService failLoads(Exception failure) {
        loadFailure = failure;
        return this;
    }

    /** Finishes a held load successfully. */
    public void completeLoad() {
        CompletableFuture<ModelInfo> held = heldLoad;
        if (held != null) {
            held.complete(loaded);
        }
    }

    /** The load waiting for {@link #completeLoad()}, or null. */
    public CompletableFuture<ModelInfo> heldLoad() {
        return heldLoad;
    }

    public List<Request> requests() {
        return requests;
    }

    public Request lastRequest() {
        return requests.get(requests.size() - 1);
    }

    /** Loads succeed for a folder with config.json and tokenizer.json and fail in words otherwise. */
    @Override
    public CompletableFuture<ModelInfo> load(Path folder, WeightFormat weights, ProgressListener progress) {
        lastWeights = weights;
        loads.add(folder);
        if (unloadFirst) {
            loaded = null;
        }
        if (loadFailure != null) {
            return CompletableFuture.failedFuture(loadFailure);
        }
        if (holdLoads) {
            loaded = infoFor(folder);
            heldLoad = new CompletableFuture<>();
            progress.onProgress(0.5);
            return heldLoad;
        }
        return CompletableFuture.supplyAsync(() -> {
            progress.onProgress(0.25);
            if (!Files.isRegularFile(folder.resolve("config.json"))) {
                throw new CompletionException(new ModelLoadException(folder,
                        "there is no config.json in this folder, so it is not a model folder"));
            }
            if (!Files.isRegularFile(folder.resolve("tokenizer.json"))) {
                throw new CompletionException(new ModelLoadException(
                        folder.resolve("tokenizer.json"), "the tokenizer file is missing"));
            }
            progress.onProgress(1);
            loaded = infoFor(folder);
            return loaded;
        }, worker);
    }

    @Override
    public ModelInfo loadedModel() {
        return loaded;
    }

    @Override
    public Generation chat(List<Message> messages, ChatOptions options, ChatListener listener) {
        var request = new Request(messages, options, listener);
        requests.add(request);
        List<String> tokens = script;
        if (tokens == null) {
            return () -> {
                if (!request.cancelled.getAndSet(true)) {
                    listener.onFinished(FinishReason.CANCELLED, stats(0), 0);
                }
            };
        }
        worker.execute(() -> stream(request, tokens));
        return () -> request.cancelled.set(true);
    }

    /** A completion plays the same script as a chat whose one message is the prompt. */
    @Override
    public Generation complete(String prompt, SamplingConfig sampling, int logprobs, ChatListener listener) {
        return chat(List.of(Message.user(prompt)), new ChatOptions(sampling, 0, null), listener);
    }

    private void stream(Request request, List<String> tokens) {
        for (String thought : reasoningScript) {
            request.listener.onReasoning(thought);
        }
        long start = System.nanoTime();
        int sent = 0;
        for (String token : tokens) {
            if (request.cancelled.get()) {
                request.listener.onFinished(FinishReason.CANCELLED, stats(sent), 0);
                return;
            }
            long until = start + (sent + 1) * tokenDelayNanos;
            while (System.nanoTime() < until) {
                try {
                    TimeUnit.NANOSECONDS.sleep(Math.max(0, Math.min(until - System.nanoTime(), 1_000_000)));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
            request.listener.onText(token);
            sent++;
        }
        request.listener.onTokens(traceOf(tokens));
        request.listener.onFinished(FinishReason.STOP, stats(sent), dropped);
    }

    /**
     * The trace a streamed script reports: a 20-token prompt, then each script token (id 100 + i)
     * with probability 0.95, 0.7, 0.45, 0.2 or 0.05 in turn, and itself among three alternatives.
     */
    public static TokenTrace traceOf(List<String> tokens) {
        double[] probabilities = {0.95, 0.7, 0.45, 0.2, 0.05};
        List<TokenLogprob> generated = new ArrayList<>();
        for (int i = 0; i < tokens.size(); i++) {
            double chosen = Math.log(probabilities[i % probabilities.length]);
            double other = Math.log((1 - Math.exp(chosen)) / 2);
            var alternatives = new ArrayList<>(List.of(new TokenLogprob.Alternative(100 + i, tokens.get(i), chosen),
                    new TokenLogprob.Alternative(1, " other", other), new TokenLogprob.Alternative(2, " else", other)));
            alternatives.sort((a, b) -> Double.compare(b.logprob(), a.logprob()));
            generated.add(new TokenLogprob(100 + i, tokens.get(i), chosen, alternatives));
        }
        int[] prompt = new int[20];
        for (int i = 0; i < prompt.length; i++) {
            prompt[i] = i;
        }
        return new TokenTrace(prompt, generated, 0);
    }

    /** Two layers: the first attends to every position alike, the second mostly to the first position. */
    @Override
    public CompletableFuture<AttentionMap> attention(int[] tokens, int position) {
        lastAttentionTokens = tokens.clone();
        lastAttentionPosition = position;
        List<String> pieces = new ArrayList<>();
        float[][] weights = new float[2][position + 1];
        for (int p = 0; p <= position; p++) {
            pieces.add(p < 20 ? " prompt" + p : " t" + p);
            weights[0][p] = 1f / (position + 1);
            weights[1][p] = p == 0 ? 0.5f + 0.5f / (position + 1) : 0.5f / (position + 1);
        }
        return CompletableFuture.supplyAsync(() -> new AttentionMap(pieces, weights), worker);
    }

    /** Stats as if each token took 10 ms after a 50 ms first token. */
    public static GenerationStats stats(int tokens) {
        return new GenerationStats(20, 0, tokens, 50, 40, Math.max(0, tokens - 1) * 10.0);
    }

    @Override
    public CompletableFuture<PromptInspection> inspect(List<Message> messages, ChatOptions options) {
        List<String> pieces = new ArrayList<>();
        List<Boolean> special = new ArrayList<>();
        List<Integer> perMessage = new ArrayList<>();
        List<Integer> ids = new ArrayList<>();
        StringBuilder prompt = new StringBuilder();
        for (Message m : messages) {
            String[] words = m.content().split(" ");
            pieces.add("<|" + m.role().wireName() + "|>");
            special.add(true);
            for (String w : words) {
                pieces.add(w + " ");
                special.add(false);
            }
            perMessage.add(words.length + 1);
            prompt.append("<|").append(m.role().wireName()).append("|>").append(m.content()).append(' ');
        }
        for (int i = 0; i < pieces.size(); i++) {
            ids.add(i);
        }
        return CompletableFuture.completedFuture(
                new PromptInspection(prompt.toString(), ids, pieces, special, perMessage, 512));
    }

    @Override
    public void close() {
        worker.shutdownNow();
    }
}
