package dev.parlance.server;

import dev.parlance.chat.ChatListener;
import dev.parlance.inference.FinishReason;
import dev.parlance.inference.GenerationStats;
import dev.parlance.inference.TokenLogprob;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * One answer as the HTTP thread sees it: the inference worker's callbacks become events in a
 * queue, so the worker never waits for the network and the HTTP thread writes at its client's
 * pace. Log-probabilities ride on the next text event.
 */
final class Answer implements ChatListener {
    /** What the worker reported. */
    sealed interface Event {}

    /** New reasoning and answer text, with the log-probabilities of the tokens that made it. */
    record Delta(String reasoning, String text, List<TokenLogprob> logprobs) implements Event {}

    record Finished(FinishReason reason, GenerationStats stats) implements Event {}

    record Failed(Throwable error) implements Event {}

    private final BlockingQueue<Event> events = new LinkedBlockingQueue<>();
    private final Runnable onEnd;
    /** Worker thread only: log-probabilities of tokens whose text has not come yet. */
    private List<TokenLogprob> pending = new ArrayList<>();

    /** @param onEnd run once on the worker thread when the answer ends, either way */
    Answer(Runnable onEnd) {
        this.onEnd = onEnd;
    }

    /** The next event, waiting as long as it takes. */
    Event take() throws InterruptedException {
        return events.take();
    }

    /** The next event, or null if none came within the timeout. */
    Event next(long timeout, TimeUnit unit) throws InterruptedException {
        return events.poll(timeout, unit);
    }

    @Override
    public void onLogprob(TokenLogprob logprob) {
        pending.add(logprob);
    }

    @Override
    public void onText(String delta) {
        events.add(new Delta("", delta, takePending()));
    }

    @Override
    public void onReasoning(String delta) {
        events.add(new Delta(delta, "", takePending()));
    }

    @Override
    public void onFinished(FinishReason reason, GenerationStats stats, int droppedMessages) {
        if (!pending.isEmpty()) {
            events.add(new Delta("", "", takePending()));
        }
        events.add(new Finished(reason, stats));
        onEnd.run();
    }

    @Override
    public void onFailed(Throwable error) {
        events.add(new Failed(error));
        onEnd.run();
    }

    private List<TokenLogprob> takePending() {
        if (pending.isEmpty()) {
            return List.of();
        }
        List<TokenLogprob> taken = pending;
        pending = new ArrayList<>();
        return taken;
    }
}
