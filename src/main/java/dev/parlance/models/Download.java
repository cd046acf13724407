package dev.parlance.models;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A running download: its result, and pause or cancel. Obtained from
 * {@link ModelDownloader#start(DownloadPlan, DownloadListener)}.
 */
public final class Download {
    /** How a download ended without an error. */
    public enum Outcome {
        /** Every file arrived and was verified, and the model is in the models directory. */
        INSTALLED,
        /** Stopped by {@link #pause()}: the partial download stays, and starting the same plan resumes it. */
        PAUSED,
        /** Stopped by {@link #cancel()}: the partial download was removed. */
        CANCELLED
    }

    /**
     * How it ended.
     *
     * @param outcome installed, paused or cancelled
     * @param path the installed model, or the folder of the partial download (kept when paused, removed when cancelled)
     */
    public record Result(Outcome outcome, Path path) {}

    private final DownloadPlan plan;
    private final CompletableFuture<Result> result = new CompletableFuture<>();
    private final AtomicReference<Outcome> stopRequest = new AtomicReference<>();
    private volatile Thread worker;
    private volatile InputStream body;

    Download(DownloadPlan plan) {
        this.plan = plan;
    }

    public DownloadPlan plan() {
        return plan;
    }

    /**
     * Completes with the result, or exceptionally with a {@link DownloadException} that says what
     * happened and what to do.
     */
    public CompletableFuture<Result> result() {
        return result;
    }

    /** Stops and keeps the partial download, so the next start of the same model resumes it. */
    public void pause() {
        stop(Outcome.PAUSED);
    }

    /** Stops and removes the partial download. */
    public void cancel() {
        stop(Outcome.CANCELLED);
    }

    private void stop(Outcome outcome) {
        if (stopRequest.compareAndSet(null, outcome)) {
            InputStream reading = body;
            if (reading != null) {
                try {
                    reading.close();
                } catch (IOException e) {
                    // the worker sees the stop request either way
                }
            }
            Thread thread = worker;
            if (thread != null) {
                thread.interrupt();   // wakes a read blocked on a slow server, and a retry's wait
            }
        }
    }

    /** The requested stop, or null while it should run. */
    Outcome stopRequest() {
        return stopRequest.get();
    }

    void runOn(Thread thread) {
        worker = thread;
    }

    void reading(InputStream stream) {
        body = stream;
        if (stream != null && stopRequest.get() != null) {
            try {
                stream.close();
            } catch (IOException e) {
                // stopping anyway
            }
        }
    }
}
