package dev.parlance.ui;

import java.time.Duration;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Carries streamed text from a worker thread to the FX thread, coalesced like OpenJFX's {@code
 * Task.updateValue}: the worker appends under a lock, and only the first append after a flush
 * schedules one {@code fxThread.execute(flush)}. However fast tokens come, at most one flush is
 * pending, and flushes are at least {@code minInterval} apart (one frame in the app), so the FX
 * thread gets no more updates than it can draw.
 */
public final class FxTextBuffer {
    /** Delays a flush that would come sooner than {@code minInterval} after the previous one. */
    private static final ScheduledExecutorService TIMER = Executors.newSingleThreadScheduledExecutor(r -> {
        var t = new Thread(r, "fx-text-buffer");
        t.setDaemon(true);
        return t;
    });

    private final Executor fxThread;
    private final Consumer<String> sink;
    private final long minIntervalNanos;
    private final StringBuilder pending = new StringBuilder();
    private boolean scheduled;
    private long lastFlushNanos = Long.MIN_VALUE / 2;

    /**
     * @param fxThread runs the flush ({@code Platform::runLater} in the app)
     * @param sink receives the text gathered since the previous flush, on {@code fxThread}
     * @param minInterval the shortest time between two flushes; zero flushes as soon as possible
     */
    public FxTextBuffer(Executor fxThread, Consumer<String> sink, Duration minInterval) {
        this.fxThread = fxThread;
        this.sink = sink;
        this.minIntervalNanos = minInterval.toNanos();
    }

    /** Adds text from any thread. */
    public void append(String delta) {
        long delay;
        synchronized (this) {
            pending.append(delta);
            if (scheduled) {
                return;
            }
            scheduled = true;
            delay = lastFlushNanos + minIntervalNanos - System.nanoTime();
        }
        if (delay <= 0) {
            fxThread.execute(this::flush);
        } else {
            TIMER.schedule(() -> fxThread.execute(this::flush), delay, TimeUnit.NANOSECONDS);
        }
    }

    /** Hands pending text to the sink now; call on the FX thread (the end of an answer does, to lose nothing). */
    public void flush() {
        String text;
        synchronized (this) {
            text = pending.toString();
            pending.setLength(0);
            scheduled = false;
            lastFlushNanos = System.nanoTime();
        }
        if (!text.isEmpty()) {
            sink.accept(text);
        }
    }
}
