package dev.parlance;

import dev.parlance.chat.Message;
import dev.parlance.inference.ModelLoadException;
import dev.parlance.service.ChatListener;
import dev.parlance.service.Generation;
import dev.parlance.service.InferenceService;
import dev.parlance.service.ModelInfo;
import dev.parlance.service.PromptInspection;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/** Stands in for the engine until {@code DjlInferenceService} is merged: every load fails, saying so. */
enum EngineUnavailable implements InferenceService {
    INSTANCE;

    @Override
    public CompletableFuture<ModelInfo> load(Path folder, ProgressListener progress) {
        return CompletableFuture.failedFuture(new ModelLoadException(folder, "the inference engine is not in this build yet"));
    }

    @Override
    public ModelInfo loadedModel() {
        return null;
    }

    @Override
    public Generation chat(List<Message> messages, ChatOptions options, ChatListener listener) {
        listener.onFailed(new IllegalStateException("No model is loaded."));
        return () -> { };
    }

    @Override
    public CompletableFuture<PromptInspection> inspect(List<Message> messages, ChatOptions options) {
        return CompletableFuture.failedFuture(new IllegalStateException("No model is loaded."));
    }

    @Override
    public void close() {
        // nothing loaded, nothing to free
    }
}
