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
        return "needs " + humanBytes(memoryNeeded) + " of memory ("
                + (memoryFree < 0 ? "free memory unknown" : humanBytes(memoryFree) + " free") + "), "
                + humanBytes(diskNeeded) + " of disk (" + humanBytes(diskFree) + " free)";
    }

    /** Bytes in decimal units: {@code 4.3 GB} (one decimal), {@code 805 MB}, {@code 12 kB}. */
    public static String humanBytes(long bytes) {
        if (bytes >= 1_000_000_000L) {
            return String.format(Locale.ROOT, "%.1f GB", bytes / 1e9);
        }
        return bytes >= 1_000_000L ? String.format(Locale.ROOT, "%.0f MB", bytes / 1e6)
                : String.format(Locale.ROOT, "%.0f kB", bytes / 1e3);
    }
}
