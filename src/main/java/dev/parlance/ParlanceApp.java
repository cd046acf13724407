package dev.parlance;

import dev.parlance.service.DjlInferenceService;
import dev.parlance.service.InferenceService;
import dev.parlance.store.ConversationStore;
import dev.parlance.store.InMemoryConversationStore;
import dev.parlance.store.SqliteConversationStore;
import dev.parlance.store.StoreException;
import dev.parlance.ui.AppPreferences;
import dev.parlance.ui.FxDialogService;
import dev.parlance.ui.MainWindow;
import dev.parlance.ui.OsTheme;
import dev.parlance.ui.Theme;
import dev.parlance.service.ModelInfo;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
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

    private AppPreferences prefs;
    private Theme osTheme;
    private ExecutorService io;
    private InferenceService inference;
    private ConversationStore store;
    /** What the user must hear about opening the store (a damaged file moved aside, or no store at all). */
    private final List<String> storeNotices = new ArrayList<>();

    /**
     * Runs on the launcher thread, so reading settings, asking the OS for its theme, starting the
     * engine and opening (and perhaps repairing) the database never delay a frame.
     */
    @Override
    public void init() {
        prefs = AppPreferences.load(AppDirectories.dataDirectory().resolve("settings.properties"));
        osTheme = OsTheme.detect();
        inference = new DjlInferenceService();
        try {
            SqliteConversationStore sqlite = SqliteConversationStore.openDefault();
            sqlite.startupNotice().ifPresent(storeNotices::add);
            store = sqlite;
        } catch (StoreException e) {
            // the window still opens: this session's conversations live in memory, and the user is told
            storeNotices.add(e.getMessage());
            store = new InMemoryConversationStore();
        }
    }

    @Override
    public void start(Stage stage) {
        io = Executors.newSingleThreadExecutor(r -> {
            var t = new Thread(r, "ui-io");
            t.setDaemon(true);
            return t;
        });
        var window = new MainWindow(inference, store, prefs, osTheme, Platform::runLater, io,
                w -> new FxDialogService(() -> stage, w::bundle));
        window.show(stage);
        logStartTimes(stage.getScene(), window.viewModel().models().loadedProperty());
        window.reloadLastModel();
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
     * Writes to the log when the window's first frame is laid out and when the first model is
     * ready, each in milliseconds since the JVM started: the two times {@code docs/benchmarks.md}
     * reports for a start.
     */
    private static void logStartTimes(Scene scene, ReadOnlyObjectProperty<ModelInfo> loaded) {
        Runnable firstFrame = new Runnable() {
            @Override
            public void run() {
                // removed after this pulse: the scene is walking its listeners now
                Platform.runLater(() -> scene.removePostLayoutPulseListener(this));
                LOG.info(() -> "start: first frame " + sinceJvmStart() + " ms after the JVM started");
            }
        };
        scene.addPostLayoutPulseListener(firstFrame);
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
