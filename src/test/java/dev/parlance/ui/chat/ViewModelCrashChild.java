package dev.parlance.ui.chat;

import dev.parlance.chat.ChatListener;
import dev.parlance.chat.Message;
import dev.parlance.chat.PromptInspection;
import dev.parlance.inference.SamplingConfig;
import dev.parlance.inference.WeightFormat;
import dev.parlance.service.Generation;
import dev.parlance.service.InferenceService;
import dev.parlance.service.ModelInfo;
import dev.parlance.store.ConversationSettings;
import dev.parlance.store.SqliteConversationStore;
import dev.parlance.ui.FakeInferenceService;
import dev.parlance.ui.models.ModelsViewModel;
import dev.parlance.ui.settings.SettingsViewModel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * The process that {@link ViewModelCrashTest} kills: the app's chat view model over the SQLite
 * store in {@code args[0]}, sending {@code args[1]} to a model that is still reading the prompt
 * (it never answers). It prints "asked" the moment the model is asked, then waits.
 */
public final class ViewModelCrashChild {
    private ViewModelCrashChild() {}

    public static void main(String[] args) throws InterruptedException {
        FakeInferenceService fake = new FakeInferenceService().holdLoads();
        InferenceService announcing = new InferenceService() {
            @Override
            public CompletableFuture<ModelInfo> load(Path model, WeightFormat weights, ProgressListener progress) {
                return fake.load(model, weights, progress);
            }

            @Override
            public ModelInfo loadedModel() {
                return fake.loadedModel();
            }

            @Override
            public Generation chat(List<Message> messages, ChatOptions options, ChatListener listener) {
                Generation generation = fake.chat(messages, options, listener);
                System.out.println("asked");
                System.out.flush();
                return generation;
            }

            @Override
            public Generation complete(String prompt, SamplingConfig sampling, int logprobs, ChatListener listener) {
                return fake.complete(prompt, sampling, logprobs, listener);
            }

            @Override
            public CompletableFuture<PromptInspection> inspect(List<Message> messages, ChatOptions options) {
                return fake.inspect(messages, options);
            }

            @Override
            public void close() {
                fake.close();
            }
        };
        Executor direct = Runnable::run;
        SqliteConversationStore store = SqliteConversationStore.open(Path.of(args[0]));
        var settings = new SettingsViewModel(store, ConversationSettings.DEFAULTS, s -> { });
        var models = new ModelsViewModel(announcing, direct, direct, Path.of("models"));
        var chat = new ChatViewModel(announcing, store, settings, models, direct, direct, Duration.ZERO, () -> { });
        models.load(Path.of("models/tiny"));
        fake.completeLoad();
        chat.draftProperty().set(args[1]);
        chat.send();
        Thread.sleep(Long.MAX_VALUE);
    }
}
