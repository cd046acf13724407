package dev.parlance;

import dev.parlance.service.InferenceService;
import dev.parlance.store.ConversationStore;
import dev.parlance.store.InMemoryConversationStore;
import dev.parlance.ui.AppPreferences;
import dev.parlance.ui.FxDialogService;
import dev.parlance.ui.MainWindow;
import dev.parlance.ui.OsTheme;
import dev.parlance.ui.Theme;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import javafx.application.Application;
import javafx.application.Platform;
import javafx.stage.Stage;

/** The desktop application: the composition root that builds services and views, and closes them. */
public final class ParlanceApp extends Application {
    private AppPreferences prefs;
    private Theme osTheme;
    private ExecutorService io;
    private InferenceService inference;
    private ConversationStore store;

    /** Runs on the launcher thread, so reading settings and asking the OS for its theme never delay a frame. */
    @Override
    public void init() {
        prefs = AppPreferences.load(settingsFile());
        osTheme = OsTheme.detect();
    }

    @Override
    public void start(Stage stage) {
        io = Executors.newSingleThreadExecutor(r -> {
            var t = new Thread(r, "ui-io");
            t.setDaemon(true);
            return t;
        });
        inference = EngineUnavailable.INSTANCE;
        store = new InMemoryConversationStore();
        var window = new MainWindow(inference, store, prefs, osTheme, Platform::runLater, io,
                w -> new FxDialogService(() -> stage, w::bundle));
        window.show(stage);
        window.reloadLastModel();
    }

    @Override
    public void stop() throws IOException, InterruptedException {
        inference.close();
        store.close();
        io.shutdown();
        io.awaitTermination(2, TimeUnit.SECONDS);
        prefs.save();
    }

    private static Path settingsFile() {
        return AppDirectories.dataDirectory().resolve("settings.properties");
    }
}
