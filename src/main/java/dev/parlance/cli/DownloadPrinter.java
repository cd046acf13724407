package dev.parlance.cli;

import dev.parlance.models.DownloadListener;
import dev.parlance.models.DownloadPlan;
import dev.parlance.models.DownloadProgress;
import dev.parlance.models.FitAssessment;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.Locale;

/**
 * Prints a download's progress: a bar redrawn in place on a terminal, or plain lines (each file,
 * and every tenth of the whole) when the output is piped.
 */
final class DownloadPrinter implements DownloadListener {
    private static final int BAR_WIDTH = 30;

    private final PrintWriter out;
    private final boolean terminal;
    private int lastTenth = -1;
    private boolean barShown;

    /**
     * @param out where to print
     * @param terminal whether {@code out} is a terminal (a bar redrawn with carriage returns)
     */
    DownloadPrinter(PrintWriter out, boolean terminal) {
        this.out = out;
        this.terminal = terminal;
    }

    @Override
    public void onStarted(DownloadPlan plan, long totalBytes) {
        out.printf(Locale.ROOT, "Downloading %s: %d %s, %s%n", plan.name(), plan.files().size(),
                plan.files().size() == 1 ? "file" : "files", FitAssessment.humanBytes(totalBytes));
        out.flush();
    }

    @Override
    public void onProgress(DownloadProgress p) {
        if (terminal) {
            int filled = (int) Math.round(p.fraction() * BAR_WIDTH);
            out.print("\r[" + "#".repeat(filled) + ".".repeat(BAR_WIDTH - filled) + "] " + status(p) + "   ");
            barShown = true;
            out.flush();
            return;
        }
        int tenth = (int) Math.floor(p.fraction() * 10);
        if (tenth > lastTenth) {
            lastTenth = tenth;
            out.println(status(p));
            out.flush();
        }
    }

    @Override
    public void onFileVerified(String file) {
        endBar();
        out.println("verified " + file);
        out.flush();
    }

    @Override
    public void onRetry(String file, int attempt, Exception cause) {
        endBar();
        out.println("connection lost (" + cause.getMessage() + "); resuming " + file + ", attempt " + attempt);
        out.flush();
    }

    /** Ends a bar line before other output. */
    void endBar() {
        if (barShown) {
            out.println();
            barShown = false;
        }
    }

    /** {@code " 40%  1.0 GB of 2.5 GB  12 MB/s  2m 05s left"}. */
    static String status(DownloadProgress p) {
        String speed = p.bytesPerSecond() > 0 ? "  " + FitAssessment.humanBytes((long) p.bytesPerSecond()) + "/s" : "";
        String left = p.remaining().map(d -> "  " + duration(d) + " left").orElse("");
        return String.format(Locale.ROOT, "%3d%%  %s of %s%s%s", (int) Math.floor(p.fraction() * 100),
                FitAssessment.humanBytes(p.bytes()), FitAssessment.humanBytes(p.totalBytes()), speed, left);
    }

    static String duration(Duration d) {
        long seconds = d.toSeconds();
        if (seconds >= 3600) {
            return String.format(Locale.ROOT, "%dh %02dm", seconds / 3600, seconds % 3600 / 60);
        }
        return seconds >= 60 ? String.format(Locale.ROOT, "%dm %02ds", seconds / 60, seconds % 60) : seconds + "s";
    }
}
