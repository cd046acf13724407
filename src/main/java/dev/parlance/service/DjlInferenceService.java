package dev.parlance.service;

import dev.parlance.chat.ChatReply;
import dev.parlance.chat.ChatSession;
import dev.parlance.chat.ChatListener;
import dev.parlance.chat.ChatTemplate;
import dev.parlance.chat.Message;
import dev.parlance.chat.PromptInspection;
import dev.parlance.chat.template.TemplateException;
import dev.parlance.inference.GenerationResult;
import dev.parlance.inference.Generator;
import dev.parlance.inference.LanguageModel;
import dev.parlance.inference.ModelLoadException;
import dev.parlance.inference.SamplingConfig;
import dev.parlance.inference.WeightFormat;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Logger;

/**
 * The inference service on DJL: one named daemon thread owns the model, so loading, prefill and
 * decode never run on the caller's thread (DJL's scopes are thread-local, and one thread
 * serialises access to the model). Requests queue in order. Cancellation is a flag the engine
 * polls before every token.
 */
public final class DjlInferenceService implements InferenceService {
    private final ExecutorService worker = Executors.newSingleThreadExecutor(runnable -> {
        Thread thread = new Thread(runnable, "inference");
        thread.setDaemon(true);
        return thread;
    });

    // worker thread only
    private LanguageModel model;
    private ChatTemplate modelTemplate;
    private ChatSession session;
    private String sessionTemplateOverride;
    private Boolean sessionThinking;

    private volatile ModelInfo loaded;
    /** Cancel flags of generations queued or running, so that close() stops them all. */
    private final Set<AtomicBoolean> active = ConcurrentHashMap.newKeySet();

    private static final Logger LOG = Logger.getLogger(DjlInferenceService.class.getName());

    /**
     * A loaded model computes on all cores but one, which stays free for the window: on this kind
     * of machine a decode that shares its cores with a busy UI slows down several times.
     */
    private static final int THREADS = Math.max(1, Runtime.getRuntime().availableProcessors() - 1);

    @Override
    public CompletableFuture<ModelInfo> load(Path folder, WeightFormat weights, ProgressListener progress) {
        return CompletableFuture.supplyAsync(() -> {
            unload();
            long start = System.nanoTime();
            try {
                LanguageModel next = LanguageModel.load(folder, weights, progress::onProgress);
                next.useThreads(THREADS);
                try {
                    modelTemplate = ChatTemplate.fromModel(folder);
                } catch (IOException | TemplateException e) {
                    next.close();
                    throw new ModelLoadException(Files.isDirectory(folder) ? folder.resolve("tokenizer_config.json") : folder,
                            "the chat template cannot be used: " + e.getMessage(), e);
                }
                model = next;
                double millis = (System.nanoTime() - start) / 1e6;
                LOG.info(() -> String.format("loaded %s (%s) in %.0f ms", folder, next.config().architecture(), millis));
                loaded = new ModelInfo(folder, folder.getFileName().toString(), model.config().architecture(),
                        model.config().parameterCount(), model.defaultContextLength(),
                        model.defaults().sampling(), millis, modelTemplate.supportsThinking());
                return loaded;
            } catch (ModelLoadException e) {
                LOG.warning(() -> "cannot load " + folder + ": " + e.getMessage());
                throw new CompletionException(e);
            }
        }, worker);
    }

    @Override
    public ModelInfo loadedModel() {
        return loaded;
    }

    @Override
    public Generation chat(List<Message> messages, ChatOptions options, ChatListener listener) {
        List<Message> conversation = List.copyOf(messages);
        AtomicBoolean cancelled = new AtomicBoolean();
        active.add(cancelled);
        worker.execute(() -> {
            try {
                ChatReply reply = sessionFor(options).reply(conversation, options.sampling(), options.logprobs(),
                        options.answerPrefix(), listener, cancelled::get);
                listener.onFinished(reply.finish(), reply.stats(), reply.droppedMessages());
            } catch (RuntimeException | OutOfMemoryError e) {
                listener.onFailed(e);
            } finally {
                active.remove(cancelled);
            }
        });
        return () -> cancelled.set(true);
    }

    @Override
    public Generation complete(String prompt, SamplingConfig sampling, int logprobs, ChatListener listener) {
        AtomicBoolean cancelled = new AtomicBoolean();
        active.add(cancelled);
        worker.execute(() -> {
            try {
                if (model == null) {
                    throw new IllegalStateException("No model is loaded. Choose a model folder first.");
                }
                int[] ids = model.tokenizer().encode(prompt);
                int context = Math.min(model.contextLengthFor(0), ids.length + Math.max(1, sampling.maxNewTokens()));
                try (Generator generator = new Generator(model, context)) {
                    var request = new Generator.Request(ids, sampling, Set.of(), logprobs, cancelled::get);
                    GenerationResult result = generator.generate(request, (id, text, logprob) -> {
                        if (logprob != null) {
                            listener.onLogprob(logprob);
                        }
                        if (!text.isEmpty()) {
                            listener.onText(text);
                        }
                    });
                    listener.onFinished(result.finish(), result.stats(), 0);
                }
            } catch (RuntimeException | OutOfMemoryError e) {
                listener.onFailed(e);
            } finally {
                active.remove(cancelled);
            }
        });
        return () -> cancelled.set(true);
    }

    @Override
    public CompletableFuture<PromptInspection> inspect(List<Message> messages, ChatOptions options) {
        List<Message> conversation = List.copyOf(messages);
        return CompletableFuture.supplyAsync(() -> {
            return sessionFor(options).inspect(conversation);
        }, worker);
    }

    @Override
    public CompletableFuture<AttentionMap> attention(int[] tokens, int position) {
        int[] ids = tokens.clone();
        return CompletableFuture.supplyAsync(() -> {
            if (model == null) {
                throw new IllegalStateException("No model is loaded. Choose a model folder first.");
            }
            int vocabulary = model.config().vocabSize();
            if (position < 0 || position >= ids.length) {
                throw new IllegalArgumentException("position " + position + " is outside the " + ids.length + " tokens");
            }
            List<String> pieces = new ArrayList<>();
            for (int i = 0; i <= position; i++) {
                if (ids[i] < 0 || ids[i] >= vocabulary) {
                    throw new IllegalArgumentException("these tokens are not the loaded model's: load the model "
                            + "that wrote the answer to see its attention");
                }
                pieces.add(i == 0 ? model.tokenizer().decode(new int[] {ids[0]}, false)
                        : Generator.textAfter(model.tokenizer(), ids[i - 1], ids[i]));
            }
            int context = session != null ? session.contextLength() : model.contextLengthFor(0);
            return new AttentionMap(pieces, model.network().attentionAt(ids, position, context));
        }, worker);
    }

    /**
     * The session for these options, rebuilt (losing the KV cache) only when they change it: the
     * context, the template or its thinking switch.
     */
    private ChatSession sessionFor(ChatOptions options) {
        if (model == null) {
            throw new IllegalStateException("No model is loaded. Choose a model folder first.");
        }
        if (session == null || session.contextLength() != model.contextLengthFor(options.contextLimit())
                || !Objects.equals(sessionTemplateOverride, options.templateOverride())
                || !Objects.equals(sessionThinking, options.thinking())) {
            if (session != null) {
                session.close();
            }
            ChatTemplate template = options.templateOverride() == null ? modelTemplate
                    : modelTemplate.withSource(options.templateOverride());
            session = new ChatSession(model, template.withThinking(options.thinking()), options.contextLimit());
            sessionTemplateOverride = options.templateOverride();
            sessionThinking = options.thinking();
        }
        return session;
    }

    private void unload() {
        if (session != null) {
            session.close();
            session = null;
        }
        if (model != null) {
            model.close();
            model = null;
        }
        loaded = null;
    }

    @Override
    public void close() {
        active.forEach(cancel -> cancel.set(true));
        worker.execute(this::unload);
        worker.shutdown();
        try {
            worker.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
