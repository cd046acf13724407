package dev.parlance.models;

/** Told what a download does, on the download's own thread; a view hands the calls to its UI thread. */
public interface DownloadListener {
    /** The files' sizes are known and the disk has room; fetching starts. */
    default void onStarted(DownloadPlan plan, long totalBytes) {}

    /** Bytes arrived (at most every 100 ms per file, and at each file's start and end). */
    default void onProgress(DownloadProgress progress) {}

    /** A file is complete and its size and SHA-256 match the server's announcement. */
    default void onFileVerified(String file) {}

    /** The connection broke; the download resumes from the bytes it has, for the given attempt. */
    default void onRetry(String file, int attempt, Exception cause) {}
}
