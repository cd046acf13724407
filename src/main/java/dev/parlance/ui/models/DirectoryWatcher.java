package dev.parlance.ui.models;

import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;
import java.util.stream.Stream;

/**
 * Watches a models directory and its sub-folders (a model folder is made first and filled after)
 * with the file system's {@link WatchService}, and says when something changed, after the burst of
 * events a copy makes has settled. FX-free: {@code changed} runs on the watcher's own thread.
 */
final class DirectoryWatcher implements AutoCloseable {
    /** How long events must pause before a change is reported: a model copied in is one change. */
    private static final long SETTLE_MILLIS = 300;
    private static final Logger LOG = Logger.getLogger(DirectoryWatcher.class.getName());

    private final Path directory;
    private final Runnable changed;
    private final WatchService watcher;
    private final Thread thread;

    private DirectoryWatcher(Path directory, Runnable changed) throws IOException {
        this.directory = directory;
        this.changed = changed;
        this.watcher = directory.getFileSystem().newWatchService();
        register(directory);
        try (Stream<Path> children = Files.list(directory)) {
            for (Path child : children.filter(Files::isDirectory).toList()) {
                register(child);
            }
        }
        thread = Thread.ofPlatform().daemon().name("models-watch").unstarted(this::run);
    }

    /**
     * Starts watching, making the directory if it is missing; null when it cannot be made or watched (the picker's
     * Refresh still works then).
     */
    static DirectoryWatcher start(Path directory, Runnable changed) {
        if (directory == null) {
            return null;
        }
        try {
            Files.createDirectories(directory);   // a folder made later would never be watched
            var watcher = new DirectoryWatcher(directory, changed);
            watcher.thread.start();
            return watcher;
        } catch (IOException e) {
            LOG.warning(() -> "cannot watch " + directory + ": " + e.getMessage());
            return null;
        }
    }

    private void register(Path folder) throws IOException {
        folder.register(watcher, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_DELETE,
                StandardWatchEventKinds.ENTRY_MODIFY);
    }

    private void run() {
        try {
            while (true) {
                WatchKey key = watcher.take();
                do {
                    handle(key);
                    key = watcher.poll(SETTLE_MILLIS, TimeUnit.MILLISECONDS);
                } while (key != null);
                changed.run();
            }
        } catch (InterruptedException | ClosedWatchServiceException e) {
            // closed: the directory changed or the window went away
        }
    }

    /** Watches a new sub-folder too, so that the files copied into it are seen. */
    private void handle(WatchKey key) {
        for (WatchEvent<?> event : key.pollEvents()) {
            if (event.kind() == StandardWatchEventKinds.ENTRY_CREATE && key.watchable().equals(directory)
                    && event.context() instanceof Path name && Files.isDirectory(directory.resolve(name))) {
                try {
                    register(directory.resolve(name));
                } catch (IOException e) {
                    LOG.fine(() -> "cannot watch " + name + ": " + e.getMessage());
                }
            }
        }
        key.reset();
    }

    @Override
    public void close() {
        try {
            watcher.close();
        } catch (IOException e) {
            LOG.fine(() -> "closing the models watcher: " + e.getMessage());
        }
    }
}
