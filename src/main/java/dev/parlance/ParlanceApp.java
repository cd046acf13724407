package dev.parlance;

import dev.parlance.service.DjlInferenceService;
import dev.parlance.service.InferenceService;
import dev.parlance.service.remote.RoutedInferenceService;
import dev.parlance.service.ModelInfo;
import dev.parlance.store.ConversationStore;
import dev.parlance.store.InMemoryConversationStore;
import dev.parlance.store.SqliteConversationStore;
import dev.parlance.store.StoreException;
import dev.parlance.ui.AppPreferences;
import dev.parlance.ui.FxDialogService;
import dev.parlance.ui.MainWindow;
import dev.parlance.ui.OsTheme;
import dev.parlance.ui.Theme;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;
import javafx.application.Application;
import javafx.application.Platform;
import javafx.beans.property.ReadOnlyObjectProperty;
import javafx.beans.value.ChangeListener;
import javafx.beans.value.ObservableValue;
import javafx.scene.Scene;
import javafx.stage.Stage;

/** The desktop application: the composition root that builds services and views, and closes them. */
public final class ParlanceApp extends Application {
    private static final Logger LOG = Logger.getLogger(ParlanceApp.class.getName());

    /** The work done before the window while the toolkit starts; set by {@link #open}. */
    private static CompletableFuture<Prepared> preparing;

    private AppPreferences prefs;
    private Theme osTheme;
    private ExecutorService io;
    private InferenceService inference;
    private MainWindow window;
    private ConversationStore store;
    /** What the user must hear about opening the store (a damaged file moved aside, or no store at all). */
    private List<String> storeNotices;

    /**
     * What the window needs before it can show: the settings, the OS's theme, and the conversations.
     *
     * @param storeNotices what the user must hear about opening the store, in its own words
     */
    private record Prepared(AppPreferences prefs, Theme osTheme, ConversationStore store, List<String> storeNotices) {}

    /**
     * Opens the desktop app. The log, the settings, the OS's theme (a child process) and the
     * conversation store (SQLite's native library, and perhaps a repair) are prepared on a thread of
     * their own while JavaFX starts its toolkit, which takes as long again, so that none of them
     * comes before the window. The engine's libraries load later, with the first model, after the
     * window's first frame.
     */
    static void open(String[] args) {
        Path data = AppDirectories.dataDirectory();
        preparing = CompletableFuture.supplyAsync(() -> prepare(data), task -> {
            var t = new Thread(task, "start");
            t.setDaemon(true);
            t.start();
        });
        Application.launch(ParlanceApp.class, args);
    }

    private static Prepared prepare(Path data) {
        AppLog.install(data);
        var prefs = AppPreferences.load(data.resolve("settings.properties"));
        Theme osTheme = OsTheme.detect();
        List<String> notices = new ArrayList<>();
        ConversationStore store;
        try {
            SqliteConversationStore sqlite = SqliteConversationStore.openDefault();
            sqlite.startupNotice().ifPresent(notices::add);
            store = sqlite;
        } catch (StoreException e) {
            // the window still opens: this session's conversations live in memory, and the user is told
            notices.add(e.getMessage());
            store = new InMemoryConversationStore();
        }
        return new Prepared(prefs, osTheme, store, List.copyOf(notices));
    }

    /** Runs on the launcher thread once the toolkit is up: waits for {@link #prepare} if it is still at work. */
    @Override
    public void init() {
        Prepared prepared = preparing.join();
        prefs = prepared.prefs();
        osTheme = prepared.osTheme();
        store = prepared.store();
        storeNotices = prepared.storeNotices();
        inference = new RoutedInferenceService(new DjlInferenceService());
    }

    @Override
    public void start(Stage stage) {
        io = Executors.newSingleThreadExecutor(r -> {
            var t = new Thread(r, "ui-io");
            t.setDaemon(true);
            return t;
        });
        window = new MainWindow(inference, store, prefs, osTheme, Platform::runLater, io,
                w -> new FxDialogService(() -> stage, w::bundle));
        window.show(stage);
        logModelReady(window.viewModel().models().loadedProperty());
        // after the first frame: the model's loading (and the tokenizer's native library) would
        // otherwise take the cores the first layout needs
        afterFirstFrame(stage.getScene(), window::reloadLastModel);
        if (store instanceof SqliteConversationStore) {
            ((SqliteConversationStore) store).addErrorListener(e -> {
                LOG.warning(() -> "conversation store: " + e.getMessage());
                Platform.runLater(() -> window.showStoreProblem(e.getMessage()));
            });
        }
        storeNotices.forEach(notice -> LOG.warning(() -> "conversation store: " + notice));
        storeNotices.forEach(window::showStoreProblem);
    }

    /**
     * Once the window's first frame is laid out and on its way to the screen, writes to the log how
     * many milliseconds after the JVM's start that was (one of the two times
     * {@code docs/benchmarks.md} reports for a start), then runs {@code next} on the FX thread.
     */
    private static void afterFirstFrame(Scene scene, Runnable next) {
        scene.addPostLayoutPulseListener(new Runnable() {
            private boolean seen;   // FX thread only

            @Override
            public void run() {
                if (seen) {
                    return;
                }
                seen = true;
                // after this pulse, which goes on to render: the scene is walking its listeners now
                Runnable listener = this;
                Platform.runLater(() -> {
                    scene.removePostLayoutPulseListener(listener);
                    LOG.info(() -> "start: first frame " + sinceJvmStart() + " ms after the JVM started");
                    next.run();
                });
            }
        });
    }

    /** Writes to the log when the first model is ready, in milliseconds since the JVM started. */
    private static void logModelReady(ReadOnlyObjectProperty<ModelInfo> loaded) {
        loaded.addListener(new ChangeListener<>() {
            @Override
            public void changed(ObservableValue<? extends ModelInfo> obs, ModelInfo was, ModelInfo now) {
                if (now != null) {
                    loaded.removeListener(this);
                    LOG.info(() -> "start: model ready " + sinceJvmStart() + " ms after the JVM started");
                }
            }
        });
    }

    private static long sinceJvmStart() {
        return ManagementFactory.getRuntimeMXBean().getUptime();
    }

    @Override
    public void stop() throws IOException, InterruptedException {
        if (window != null) {
            window.close();   // the server's answers end before the engine goes
        }
        inference.close();
        try {
            store.close();
        } catch (StoreException e) {
            // the window is gone: the log and the terminal are where this can still be said
            LOG.severe(() -> "conversation store at exit: " + e.getMessage());
            System.err.println("Parlance: " + e.getMessage());
        } finally {
            io.shutdown();
            io.awaitTermination(2, TimeUnit.SECONDS);
            prefs.save(); // the window's settings are kept even when the store could not finish
        }
    }
}
