package dev.parlance;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.logging.FileHandler;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;

/**
 * The desktop app's log: {@code logs/parlance-0.log} in the user's data folder, the newest, and up
 * to four older ones ({@code -1} … {@code -4}) of at most 1 MB each, so that it never grows without
 * bound. It holds what a support request needs: the version and compute path at start, each model
 * loaded (or why not), store problems and any uncaught exception, each to the millisecond (the
 * start's own steps are timed from these lines). Nothing of a conversation.
 */
public final class AppLog {
    /** Where the log files go, under the data folder. */
    public static final String FOLDER = "logs";
    private static final int FILE_BYTES = 1 << 20;
    private static final int FILES = 5;
    private static final Logger LOG = Logger.getLogger("dev.parlance");

    private AppLog() {}

    /** The newest log file in {@code dataDirectory}. */
    public static Path file(Path dataDirectory) {
        return dataDirectory.resolve(FOLDER).resolve("parlance-0.log");
    }

    /**
     * Starts writing Parlance's log records to the files, and every uncaught exception to it; when
     * the folder cannot be written, says so on stderr and runs without a log.
     *
     * @return the handler writing the files, or null when there is none
     */
    public static Handler install(Path dataDirectory) {
        FileHandler handler;
        try {
            Path folder = Files.createDirectories(dataDirectory.resolve(FOLDER));
            System.setProperty("java.util.logging.SimpleFormatter.format", "%1$tF %1$tT.%1$tL %4$s %3$s: %5$s%6$s%n");
            handler = new FileHandler(folder.resolve("parlance-%g.log").toString(), FILE_BYTES, FILES, true);
            handler.setFormatter(new SimpleFormatter());
            handler.setEncoding("UTF-8");
            LOG.addHandler(handler);
            LOG.setLevel(Level.INFO);
        } catch (IOException | SecurityException e) {
            System.err.println("Parlance: no log file (" + e.getMessage() + ")");
            return null;
        }
        Thread.UncaughtExceptionHandler previous = Thread.getDefaultUncaughtExceptionHandler();
        Thread.setDefaultUncaughtExceptionHandler((thread, e) -> {
            LOG.log(Level.SEVERE, "uncaught in thread " + thread.getName(), e);
            if (previous != null) {
                previous.uncaughtException(thread, e);
            } else {
                e.printStackTrace();
            }
        });
        LOG.info(() -> String.join("; ", RuntimeInfo.describe()));
        return handler;
    }
}
