package dev.parlance.models;

import java.time.Duration;
import java.util.Optional;

/**
 * Where a download stands.
 *
 * @param file the repository path of the file being fetched
 * @param fileBytes bytes of that file on disk
 * @param fileSize its announced size
 * @param bytes bytes of all files on disk
 * @param totalBytes the announced size of all files
 * @param bytesPerSecond the speed since this download (or its resumption) started
 * @param remaining the time left at that speed, empty before there is a speed
 */
public record DownloadProgress(String file, long fileBytes, long fileSize, long bytes, long totalBytes,
        double bytesPerSecond, Optional<Duration> remaining) {
    /** The fraction done, 0 to 1. */
    public double fraction() {
        return totalBytes <= 0 ? 0 : Math.min(1, (double) bytes / totalBytes);
    }
}
