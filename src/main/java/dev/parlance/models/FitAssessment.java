package dev.parlance.models;

import java.util.Locale;

/**
 * How one variant fits, with the numbers behind it.
 *
 * @param fit the verdict
 * @param memoryNeeded bytes of memory the variant needs loaded
 * @param memoryFree bytes of memory available now, or -1 when unknown
 * @param diskNeeded bytes still to download (the files less what a partial download already holds)
 * @param diskFree usable bytes on the models directory's file system
 */
public record FitAssessment(Fit fit, long memoryNeeded, long memoryFree, long diskNeeded, long diskFree) {
    /** {@code "needs 4.3 GB of memory (11.2 GB free), 2.5 GB of disk (80.0 GB free)"}. */
    public String describe() {
        return "needs " + gigabytes(memoryNeeded) + " of memory ("
                + (memoryFree < 0 ? "free memory unknown" : gigabytes(memoryFree) + " free") + "), "
                + gigabytes(diskNeeded) + " of disk (" + gigabytes(diskFree) + " free)";
    }

    /** Bytes in decimal gigabytes with one decimal, or megabytes below 1 GB. */
    public static String gigabytes(long bytes) {
        return bytes >= 1_000_000_000L
                ? String.format(Locale.ROOT, "%.1f GB", bytes / 1e9)
                : String.format(Locale.ROOT, "%.0f MB", bytes / 1e6);
    }
}
