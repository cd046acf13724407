package dev.parlance.service.remote;

import dev.parlance.chat.ChatListener;
import dev.parlance.inference.FinishReason;
import dev.parlance.inference.GenerationStats;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/** Collects one answer from a service and lets a test wait for its end. */
public final class Answers implements ChatListener {
    private final StringBuffer text = new StringBuffer();
    private final StringBuffer reasoning = new StringBuffer();
    private final CountDownLatch firstText = new CountDownLatch(1);
    private final CountDownLatch ended = new CountDownLatch(1);
    private volatile FinishReason finish;
    private volatile GenerationStats stats;
    private volatile Throwable failure;
    private volatile int ends;

    @Override
    public void onText(String delta) {
        text.append(delta);
        firstText.countDown();
    }

    @Override
    public void onReasoning(String delta) {
        reasoning.append(delta);
    }

    @Override
    public void onFinished(FinishReason reason, GenerationStats figures, int droppedMessages) {
        finish = reason;
        stats = figures;
        ends++;
        ended.countDown();
    }

    @Override
    public void onFailed(Throwable error) {
        failure = error;
        ends++;
        ended.countDown();
    }

    /** Waits for the first text. */
    public boolean awaitText() throws InterruptedException {
        return firstText.await(60, TimeUnit.SECONDS);
    }

    /** Waits for the end; false if it did not come within a minute. */
    public boolean awaitEnd() throws InterruptedException {
        return ended.await(60, TimeUnit.SECONDS);
    }

    public String text() {
        return text.toString();
    }

    public String reasoning() {
        return reasoning.toString();
    }

    public FinishReason finish() {
        return finish;
    }

    public GenerationStats stats() {
        return stats;
    }

    public Throwable failure() {
        return failure;
    }

    /** How many times the answer ended (onFinished or onFailed); must be one. */
    public int ends() {
        return ends;
    }
}
