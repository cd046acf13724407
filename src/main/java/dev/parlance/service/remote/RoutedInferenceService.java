package dev.parlance.service.remote;

import dev.parlance.chat.ChatListener;
import dev.parlance.chat.Message;
import dev.parlance.chat.PromptInspection;
import dev.parlance.inference.SamplingConfig;
import dev.parlance.inference.WeightFormat;
import dev.parlance.service.AttentionMap;
import dev.parlance.service.Generation;
import dev.parlance.service.InferenceService;
import dev.parlance.service.ModelInfo;
import dev.parlance.service.RemoteInferenceService;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The app's one inference service: the local engine, or a model of a server the user added,
 * whichever was picked last. Loading a local model stops using the server; picking a remote model
 * leaves the local model loaded (so going back is quick) but unused. Each side keeps its own worker
 * thread, so listeners are called on the side's thread, as {@link InferenceService} says.
 */
public final class RoutedInferenceService implements InferenceService {
    private final InferenceService local;
    private final Object lock = new Object();
    private RemoteInferenceService remote; // guarded by lock; null while the local model is in use
    private long pick;                     // guarded by lock; a newer pick makes an older one's end stale

    /** @param local the engine in this process; closed with this service */
    public RoutedInferenceService(InferenceService local) {
        this.local = local;
    }

    /** Loads a local model and, once it is loaded, uses it instead of any server. */
    @Override
    public CompletableFuture<ModelInfo> load(Path model, WeightFormat weights, ProgressListener progress) {
        long id;
        synchronized (lock) {
            id = ++pick;
        }
        return local.load(model, weights, progress).thenApply(info -> {
            RemoteInferenceService previous = null;
            synchronized (lock) {
                if (id == pick) {
                    previous = remote;
                    remote = null;
                }
            }
            if (previous != null) {
                previous.close();
            }
            return info;
        });
    }

    /**
     * Picks a model of an added server: its list of models is asked first, and the answers go to
     * it from then on. The previous server, if any, is let go.
     */
    public CompletableFuture<ModelInfo> loadRemote(RemoteModel model) {
        long id;
        synchronized (lock) {
            id = ++pick;
        }
        RemoteInferenceService candidate = new RemoteInferenceService(model.server());
        return candidate.load(model.id()).whenComplete((info, failure) -> {
            RemoteInferenceService unused = candidate;
            synchronized (lock) {
                if (failure == null && id == pick) {
                    unused = remote;
                    remote = candidate;
                }
            }
            if (unused != null) {
                unused.close();
            }
        });
    }

    /** The server in use, or null while the local model is. */
    public RemoteServer remoteServer() {
        RemoteInferenceService service = remoteService();
        return service == null ? null : service.server();
    }

    private RemoteInferenceService remoteService() {
        synchronized (lock) {
            return remote;
        }
    }

    private InferenceService active() {
        RemoteInferenceService service = remoteService();
        return service != null ? service : local;
    }

    /**
     * The local engine alone, for the app's own OpenAI server: it answers with the local model and
     * never forwards to a server. While a server's model is in use, no model counts as loaded (the
     * app serves only what it runs itself); loading through it loads a local model as {@link #load}
     * does. Closing it does nothing: this service owns the engine.
     */
    public InferenceService localOnly() {
        return new LocalOnly();
    }

    @Override
    public ModelInfo loadedModel() {
        return active().loadedModel();
    }

    @Override
    public Generation chat(List<Message> messages, ChatOptions options, ChatListener listener) {
        return active().chat(messages, options, listener);
    }

    @Override
    public Generation complete(String prompt, SamplingConfig sampling, int logprobs, ChatListener listener) {
        return active().complete(prompt, sampling, logprobs, listener);
    }

    @Override
    public CompletableFuture<PromptInspection> inspect(List<Message> messages, ChatOptions options) {
        return active().inspect(messages, options);
    }

    /** The local model's attention; a server reports none (the future fails as the interface says). */
    @Override
    public CompletableFuture<AttentionMap> attention(int[] tokens, int position) {
        return active().attention(tokens, position);
    }

    /** The view {@link #localOnly()} returns. */
    private final class LocalOnly implements InferenceService {
        @Override
        public CompletableFuture<ModelInfo> load(Path model, WeightFormat weights, ProgressListener progress) {
            return RoutedInferenceService.this.load(model, weights, progress);
        }

        @Override
        public ModelInfo loadedModel() {
            return remoteService() != null ? null : local.loadedModel();
        }

        @Override
        public Generation chat(List<Message> messages, ChatOptions options, ChatListener listener) {
            return local.chat(messages, options, listener);
        }

        @Override
        public Generation complete(String prompt, SamplingConfig sampling, int logprobs, ChatListener listener) {
            return local.complete(prompt, sampling, logprobs, listener);
        }

        @Override
        public CompletableFuture<PromptInspection> inspect(List<Message> messages, ChatOptions options) {
            return local.inspect(messages, options);
        }

        @Override
        public CompletableFuture<AttentionMap> attention(int[] tokens, int position) {
            return local.attention(tokens, position);
        }

        @Override
        public void close() {
            // a view: the engine is closed with the routed service
        }
    }

    @Override
    public void close() {
        RemoteInferenceService service;
        synchronized (lock) {
            service = remote;
            remote = null;
        }
        if (service != null) {
            service.close();
        }
        local.close();
    }
}
