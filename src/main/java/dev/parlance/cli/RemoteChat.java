package dev.parlance.cli;

import dev.parlance.chat.ChatListener;
import dev.parlance.chat.ChatReply;
import dev.parlance.chat.Message;
import dev.parlance.chat.PromptInspection;
import dev.parlance.inference.FinishReason;
import dev.parlance.inference.GenerationStats;
import dev.parlance.service.Generation;
import dev.parlance.service.InferenceService.ChatOptions;
import dev.parlance.service.RemoteInferenceService;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * {@code parlance chat --server}: answers from a remote server, written on the REPL's thread as a
 * local model's are. The stream arrives on the service's worker; this thread waits for its end and
 * passes Ctrl+C on as a cancel, which closes the stream.
 */
final class RemoteChat implements ChatRepl.Engine {
    /** How often the waiting thread looks for a stop request. */
    private static final long POLL_MILLIS = 50;

    private final RemoteInferenceService service;
    private final ChatOptions options;

    /**
     * @param service a service whose model is picked
     * @param options the sampling and thinking switch sent with every request
     */
    RemoteChat(RemoteInferenceService service, ChatOptions options) {
        this.service = service;
        this.options = options;
    }

    @Override
    public String banner() {
        return "Chatting with " + service.loadedModel().name() + " on the server '" + service.server().name()
                + "' (" + service.server().baseUrl() + ").";
    }

    @Override
    public int contextLength() {
        return 0;
    }

    @Override
    public ChatReply reply(List<Message> prompt, ChatListener listener, BooleanSupplier stopRequested) {
        Outcome outcome = new Outcome(listener);
        Generation generation = service.chat(prompt, options, outcome);
        boolean stopped = false;
        try {
            while (!outcome.done.await(POLL_MILLIS, TimeUnit.MILLISECONDS)) {
                if (!stopped && stopRequested.getAsBoolean()) {
                    generation.cancel();
                    stopped = true;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            generation.cancel();
            return new ChatReply(outcome.answer.toString(), outcome.reasoning.toString(), FinishReason.CANCELLED,
                    new GenerationStats(0, 0, 0, 0, 0, 0), 0);
        }
        if (outcome.failure != null) {
            throw outcome.failure instanceof RuntimeException e ? e : new IllegalStateException(outcome.failure);
        }
        return new ChatReply(outcome.answer.toString(), outcome.reasoning.toString(), outcome.finish, outcome.stats, 0);
    }

    @Override
    public PromptInspection inspect(List<Message> messages) {
        return service.inspect(messages, options).join();
    }

    /** Passes the text on as it comes and keeps the end; {@link #done} publishes the fields. */
    private static final class Outcome implements ChatListener {
        final CountDownLatch done = new CountDownLatch(1);
        final StringBuilder answer = new StringBuilder();
        final StringBuilder reasoning = new StringBuilder();
        private final ChatListener listener;
        FinishReason finish;
        GenerationStats stats;
        Throwable failure;

        Outcome(ChatListener listener) {
            this.listener = listener;
        }

        @Override
        public void onText(String delta) {
            answer.append(delta);
            listener.onText(delta);
        }

        @Override
        public void onReasoning(String delta) {
            reasoning.append(delta);
            listener.onReasoning(delta);
        }

        @Override
        public void onFinished(FinishReason reason, GenerationStats figures, int droppedMessages) {
            finish = reason;
            stats = figures;
            done.countDown();
        }

        @Override
        public void onFailed(Throwable error) {
            failure = error;
            done.countDown();
        }
    }
}
