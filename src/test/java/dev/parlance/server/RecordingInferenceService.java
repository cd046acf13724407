package dev.parlance.server;

import dev.parlance.chat.ChatListener;
import dev.parlance.chat.Message;
import dev.parlance.chat.PromptInspection;
import dev.parlance.inference.SamplingConfig;
import dev.parlance.inference.WeightFormat;
import dev.parlance.service.Generation;
import dev.parlance.service.InferenceService;
import dev.parlance.service.ModelInfo;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/** Passes every call to another service and lets a test wait for requests and cancels. */
final class RecordingInferenceService implements InferenceService {
    private final InferenceService delegate;
    private final Semaphore started = new Semaphore(0);
    private final Semaphore cancelled = new Semaphore(0);

    RecordingInferenceService(InferenceService delegate) {
        this.delegate = delegate;
    }

    /** Waits until {@code count} more generations were asked for. */
    boolean awaitStarted(int count) throws InterruptedException {
        return started.tryAcquire(count, 30, TimeUnit.SECONDS);
    }

    /** Waits until one more generation was cancelled. */
    boolean awaitCancelled() throws InterruptedException {
        return cancelled.tryAcquire(30, TimeUnit.SECONDS);
    }

    @Override
    public CompletableFuture<ModelInfo> load(Path model, WeightFormat weights, ProgressListener progress) {
        return delegate.load(model, weights, progress);
    }

    @Override
    public ModelInfo loadedModel() {
        return delegate.loadedModel();
    }

    @Override
    public Generation chat(List<Message> messages, ChatOptions options, ChatListener listener) {
        return recorded(delegate.chat(messages, options, listener));
    }

    @Override
    public Generation complete(String prompt, SamplingConfig sampling, int logprobs, ChatListener listener) {
        return recorded(delegate.complete(prompt, sampling, logprobs, listener));
    }

    private Generation recorded(Generation generation) {
        started.release();
        return () -> {
            generation.cancel();
            cancelled.release();
        };
    }

    @Override
    public CompletableFuture<PromptInspection> inspect(List<Message> messages, ChatOptions options) {
        return delegate.inspect(messages, options);
    }

    @Override
    public void close() {
        delegate.close();
    }
}
