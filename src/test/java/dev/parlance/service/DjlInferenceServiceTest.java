package dev.parlance.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.parlance.chat.ChatListener;
import dev.parlance.chat.Message;
import dev.parlance.chat.TokenTrace;
import dev.parlance.inference.FinishReason;
import dev.parlance.inference.GenerationStats;
import dev.parlance.inference.ModelLoadException;
import dev.parlance.inference.SamplingConfig;
import dev.parlance.inference.SharedData;
import dev.parlance.inference.TokenLogprob;
import dev.parlance.inference.WeightFormat;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DjlInferenceServiceTest {
    @TempDir
    Path dir;

    /** Records what the worker thread reports. */
    static final class Recorder implements ChatListener {
        final List<String> deltas = new CopyOnWriteArrayList<>();
        final List<String> threads = new CopyOnWriteArrayList<>();
        final CompletableFuture<FinishReason> done = new CompletableFuture<>();
        volatile Runnable onFirstText = () -> { };
        volatile TokenTrace trace;

        @Override
        public void onText(String delta) {
            threads.add(Thread.currentThread().getName());
            if (deltas.isEmpty()) {
                onFirstText.run();
            }
            deltas.add(delta);
        }

        @Override
        public void onTokens(TokenTrace tokens) {
            trace = tokens;
        }

        @Override
        public void onFinished(FinishReason reason, GenerationStats stats, int droppedMessages) {
            done.complete(reason);
        }

        @Override
        public void onFailed(Throwable error) {
            done.completeExceptionally(error);
        }
    }

    private static InferenceService.ChatOptions options(int maxTokens) {
        return new InferenceService.ChatOptions(SamplingConfig.greedy(maxTokens), 0, null);
    }

    @Test
    void answersStreamFromTheWorkerThreadAndEndWithAReason() throws Exception {
        Path folder = SharedData.require("models/stories260K");
        try (var service = new DjlInferenceService()) {
            ModelInfo info = service.load(folder, WeightFormat.STORED, f -> { }).get(60, TimeUnit.SECONDS);
            assertThat(info.architecture()).isEqualTo("LlamaForCausalLM");
            assertThat(service.loadedModel()).isEqualTo(info);
            var recorder = new Recorder();
            service.chat(List.of(Message.user("Once upon a time")), options(30), recorder);
            assertThat(recorder.done.get(60, TimeUnit.SECONDS)).isEqualTo(FinishReason.LENGTH);
            assertThat(String.join("", recorder.deltas)).contains("Lily");
            assertThat(recorder.threads).containsOnly("inference");
        }
    }

    @Test
    void anAnswerContinuedFromAnotherTokenStartsWithTheTokensBeforeItAndIt() throws Exception {
        Path folder = SharedData.require("models/stories260K");
        try (var service = new DjlInferenceService()) {
            service.load(folder, WeightFormat.STORED, f -> { }).get(60, TimeUnit.SECONDS);
            List<Message> story = List.of(Message.user("Once upon a time"));
            var original = new Recorder();
            service.chat(story, options(30), original);
            original.done.get(60, TimeUnit.SECONDS);
            TokenLogprob.Alternative other = original.trace.answer().get(4).top().get(2);
            var branch = new Recorder();
            service.chat(story, options(20).continuing(original.trace.branchAt(4, other.id())), branch);

            assertThat(branch.done.get(60, TimeUnit.SECONDS)).isEqualTo(FinishReason.LENGTH);
            List<TokenLogprob> answer = branch.trace.answer();
            assertThat(answer.subList(0, 4)).isEqualTo(original.trace.answer().subList(0, 4));
            assertThat(answer.get(4).id()).isEqualTo(other.id());
            assertThat(answer).as("the answer's length limit counts the prefix").hasSize(20);
            String before = original.trace.answer().subList(0, 4).stream().map(TokenLogprob::token)
                    .reduce("", String::concat);
            assertThat(branch.deltas.getFirst().strip()).isEqualTo((before + other.token()).strip());
            assertThat(branch.threads).containsOnly("inference");
        }
    }

    @Test
    void cancelStopsTheAnswerAndKeepsWhatCameBefore() throws Exception {
        Path folder = SharedData.require("models/stories260K");
        try (var service = new DjlInferenceService()) {
            service.load(folder, WeightFormat.STORED, f -> { }).get(60, TimeUnit.SECONDS);
            var recorder = new Recorder();
            var handle = new CompletableFuture<Generation>();
            recorder.onFirstText = () -> handle.join().cancel(); // from the worker, as a Stop click would
            handle.complete(service.chat(List.of(Message.user("Once upon a time")), options(400), recorder));
            assertThat(recorder.done.get(60, TimeUnit.SECONDS)).isEqualTo(FinishReason.CANCELLED);
            assertThat(recorder.deltas).isNotEmpty().hasSizeLessThan(5);
        }
    }

    @Test
    void aBrokenFolderFailsTheLoadWithAPlainMessage() {
        try (var service = new DjlInferenceService()) {
            assertThatThrownBy(() -> service.load(dir, WeightFormat.STORED, f -> { }).get(60, TimeUnit.SECONDS))
                    .isInstanceOf(ExecutionException.class)
                    .hasCauseInstanceOf(ModelLoadException.class)
                    .cause().hasMessageContaining("config.json");
            assertThat(service.loadedModel()).isNull();
        }
    }

    @Test
    void chattingWithoutAModelFailsWithAPlainMessage() {
        try (var service = new DjlInferenceService()) {
            var recorder = new Recorder();
            service.chat(List.of(Message.user("hi")), options(5), recorder);
            assertThatThrownBy(() -> recorder.done.get(10, TimeUnit.SECONDS))
                    .hasCauseInstanceOf(IllegalStateException.class)
                    .cause().hasMessageContaining("No model is loaded");
        }
    }
}
