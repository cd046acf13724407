package dev.parlance.ui;

import atlantafx.base.theme.PrimerDark;
import atlantafx.base.theme.PrimerLight;
import dev.parlance.AppDirectories;
import dev.parlance.server.AppServer;
import dev.parlance.service.InferenceService;
import dev.parlance.service.remote.RemoteServers;
import dev.parlance.service.remote.RoutedInferenceService;
import dev.parlance.store.ConversationStore;
import dev.parlance.ui.chat.ChatView;
import dev.parlance.ui.chat.ChatViewModel;
import dev.parlance.ui.chat.PromptInspectorViewModel;
import dev.parlance.ui.models.ModelSources;
import dev.parlance.ui.models.ModelsPageView;
import dev.parlance.ui.models.ModelsPageViewModel;
import dev.parlance.ui.models.ModelsViewModel;
import dev.parlance.ui.settings.ServeViewModel;
import dev.parlance.ui.settings.SettingsView;
import dev.parlance.ui.settings.SettingsViewModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.ResourceBundle;
import java.util.concurrent.Executor;
import java.util.function.Function;
import javafx.application.Application;
import javafx.application.ColorScheme;
import javafx.application.Platform;
import javafx.collections.ListChangeListener;
import javafx.geometry.Rectangle2D;
import javafx.scene.Parent;
import javafx.scene.Scene;
import javafx.scene.image.Image;
import javafx.scene.input.Clipboard;
import javafx.scene.input.ClipboardContent;
import javafx.scene.input.KeyCode;
import javafx.scene.input.KeyCodeCombination;
import javafx.scene.input.KeyCombination;
import javafx.scene.text.Font;
import javafx.stage.Screen;
import javafx.stage.Stage;

/**
 * Builds the window from the services: view models once, views for the current language (again
 * when the language changes). Applies theme and font size, installs the keyboard shortcuts, and
 * remembers the window's bounds.
 */
public final class MainWindow {
    /** One frame at 60 Hz: streamed text reaches the transcript at most this often. */
    public static final Duration FRAME = Duration.ofMillis(16);

    /** Chinese UI fonts of Linux, Windows and macOS, best first. */
    private static final List<String> CHINESE_FONTS = List.of("Noto Sans CJK SC", "Source Han Sans SC",
            "Microsoft YaHei", "PingFang SC", "WenQuanYi Micro Hei");

    private final AppPreferences prefs;
    private final MainViewModel main;
    private final PromptInspectorViewModel inspector;
    private final ModelsPageViewModel modelsPage;
    private final AppServer server;
    private final ServeViewModel serve;
    private final DialogService dialogs;
    private Stage stage;
    private ResourceBundle bundle;
    private ChatView chatView;
    private Theme systemTheme;   // the OS's scheme, LIGHT or DARK: at start, then as the OS reports changes

    /**
     * @param inference the engine (wrapped, unless it is one already, in a {@link RoutedInferenceService} that
     *     also reaches the servers the user added in Settings; they are kept beside {@code prefs}' file)
     * @param store the conversations
     * @param prefs the app's settings; updated as the user changes them (the caller saves them)
     * @param osTheme the OS's colour scheme at start (LIGHT or DARK), used while the theme is {@link Theme#SYSTEM}
     * @param fxThread runs callbacks on the FX thread: {@code Platform::runLater}, or a wrapper that counts
     * @param io runs disk reads off the FX thread
     * @param dialogs builds the dialog service, given this window
     */
    public MainWindow(InferenceService inference, ConversationStore store, AppPreferences prefs, Theme osTheme,
            Executor fxThread, Executor io, Function<MainWindow, DialogService> dialogs) {
        this(inference, store, prefs, osTheme, fxThread, io, dialogs, ModelSources.system());
    }

    /**
     * As above, with the Models page's catalog and environment (the Hub or a mirror, the saved token,
     * other programs' model folders) given: tests point it at a local server.
     *
     * @param sources where the Models page finds and downloads models
     */
    public MainWindow(InferenceService inference, ConversationStore store, AppPreferences prefs, Theme osTheme,
            Executor fxThread, Executor io, Function<MainWindow, DialogService> dialogs, ModelSources sources) {
        this.prefs = prefs;
        Path modelsDirectory = prefs.modelsDirectory() != null ? prefs.modelsDirectory()
                : AppDirectories.modelsDirectory();
        // the servers the user added sit in the data folder, beside the settings
        var routed = inference instanceof RoutedInferenceService r ? r : new RoutedInferenceService(inference);
        var models = new ModelsViewModel(routed, RemoteServers.in(prefs.folder()), fxThread, io, modelsDirectory);
        var settings = new SettingsViewModel(store, prefs.conversationDefaults(), prefs::setConversationDefaults);
        main = new MainViewModel(store, prefs, models, settings,
                changed -> new ChatViewModel(routed, store, settings, models, fxThread, io, FRAME, changed),
                fxThread, io);
        inspector = new PromptInspectorViewModel(routed, fxThread);
        modelsPage = new ModelsPageViewModel(models, sources, fxThread, io);
        // the app serves its local model only, never a server's it is routed to
        server = new AppServer(routed.localOnly());
        serve = new ServeViewModel(server, models.loadedProperty(), models.loadedRemoteProperty(), fxThread, io);
        serve.portProperty().set(prefs.servingPort(AppServer.DEFAULT_PORT));
        serve.portProperty().addListener((obs, was, now) -> prefs.setServingPort(now.intValue()));
        serve.onProperty().set(prefs.serving());
        serve.onProperty().addListener((obs, was, now) -> prefs.setServing(now));
        systemTheme = osTheme;
        main.themeProperty().set(prefs.theme() != null ? prefs.theme() : Theme.SYSTEM);
        main.localeProperty().set(prefs.locale() != null ? prefs.locale() : osLocale());
        main.fontSizeProperty().set(prefs.fontSize());
        main.sidebarShownProperty().set(prefs.sidebarShown());
        main.sidebarWidthProperty().set(prefs.sidebarWidth());
        main.sidebarShownProperty().addListener((obs, was, now) -> prefs.setSidebarShown(now));
        main.sidebarWidthProperty().addListener((obs, was, now) -> prefs.setSidebarWidth(now.doubleValue()));
        this.dialogs = dialogs.apply(this);
        models.modelsDirectoryProperty().addListener((obs, was, now) -> prefs.setModelsDirectory(now));
        models.getOpened().setAll(prefs.openedModels());
        models.getOpened().addListener((ListChangeListener<Path>) change -> prefs.setOpenedModels(models.getOpened()));
        models.watch();
        models.weightFormatProperty().set(prefs.weightFormat());
        models.weightFormatProperty().addListener((obs, was, now) -> prefs.setWeightFormat(now));
        models.loadingProperty().addListener((obs, was, now) -> {
            if (now != null) {
                prefs.setLastModel(now);
                // saved at once, so the model comes back even if the app does not close cleanly
                io.execute(() -> {
                    try {
                        prefs.save();
                    } catch (IOException e) {
                        // closing the app saves again and reports a failure then
                    }
                });
            }
        });
    }

    /** The switch that serves the loaded model (Settings → Servers). */
    public ServeViewModel serve() {
        return serve;
    }

    /**
     * Stops serving the model, if the app does, and watching the models directory: at quit, on the
     * FX thread, before the engine closes.
     */
    public void close() {
        server.close();
        main.models().close();
    }

    /** The view model behind the window. */
    public MainViewModel viewModel() {
        return main;
    }

    /** The strings of the current language. */
    public ResourceBundle bundle() {
        return bundle;
    }

    /** The language the OS asks for, if the app has it; else English. */
    public static Locale osLocale() {
        return Locale.getDefault().getLanguage().equals("zh") ? Locale.SIMPLIFIED_CHINESE : Locale.ENGLISH;
    }

    /** Puts the window on the stage and shows it. */
    public void show(Stage stage) {
        this.stage = stage;
        stage.getIcons().setAll(new Image(MainWindow.class.getResource("icon.png").toExternalForm()));
        applyTheme();
        var scene = new Scene(buildRoot(), 1100, 720);
        stage.setScene(scene);
        installShortcuts(scene);
        main.themeProperty().addListener((obs, was, now) -> {
            prefs.setTheme(now);
            applyTheme();
        });
        Platform.getPreferences().colorSchemeProperty().addListener((obs, was, now) -> {
            systemTheme = now == ColorScheme.DARK ? Theme.DARK : Theme.LIGHT;
            applyTheme();
        });
        main.localeProperty().addListener((obs, was, now) -> {
            prefs.setLocale(now);
            scene.setRoot(buildRoot());
        });
        main.fontSizeProperty().addListener((obs, was, now) -> {
            prefs.setFontSize(now.doubleValue());
            applyFontSize(scene.getRoot());
        });
        restoreBounds();
        stage.setOnHiding(e -> prefs.setWindowBounds(stage.getX(), stage.getY(), stage.getWidth(),
                stage.getHeight()));
        stage.show();
        chatView.focusComposer();
        main.reopen(prefs.lastConversation());
    }

    /** Tells the user that conversations cannot be saved as they should, in the store's own words. */
    public void showStoreProblem(String message) {
        dialogs.warn(bundle.getString("store.problem.title"), message);
    }

    /** The Models page's view model. */
    public ModelsPageViewModel modelsPage() {
        return modelsPage;
    }

    /**
     * Loads the last model again, if it is still there; on a first run (no model in the models
     * directory) opens the Models page with the recommended model.
     */
    public void reloadLastModel() {
        Path last = prefs.lastModel();
        if (last != null && ModelsViewModel.isModel(last)) {
            main.models().load(last);
        } else if (last == null || !Files.exists(last)) {
            modelsPage.openIfNoModel();
        }
    }

    private Parent buildRoot() {
        bundle = ViewLoader.bundle(main.localeProperty().get());
        chatView = new ChatView(main, dialogs);
        var settingsView = new SettingsView(main, serve, dialogs);
        var mainView = new MainView(main, inspector, dialogs, chatView, modelsPage);
        Parent root = new ViewLoader(bundle, Map.of(MainView.class, mainView, ChatView.class, chatView,
                SettingsView.class, settingsView, ModelsPageView.class, new ModelsPageView(modelsPage, dialogs)))
                .load("MainView.fxml");
        applyFontSize(root);
        stage.setTitle(bundle.getString("app.title"));
        return root;
    }

    /** The theme shown: the chosen one, or the OS's. */
    Theme shownTheme() {
        Theme chosen = main.themeProperty().get();
        return chosen == Theme.SYSTEM ? systemTheme : chosen;
    }

    private void applyTheme() {
        Application.setUserAgentStylesheet(shownTheme() == Theme.DARK
                ? new PrimerDark().getUserAgentStylesheet() : new PrimerLight().getUserAgentStylesheet());
    }

    private void applyFontSize(Parent root) {
        String family = main.localeProperty().get().getLanguage().equals("zh") ? chineseFamily() : null;
        root.setStyle(String.format(Locale.ROOT, "-fx-font-size: %.0fpx;", main.fontSizeProperty().get())
                + (family == null ? "" : "-fx-font-family: \"" + family + "\";"));
    }

    /**
     * A font made for Simplified Chinese, if one is installed. JavaFX's fallback for CJK glyphs
     * has no bold face, so without it headings and bold text look regular.
     */
    private static String chineseFamily() {
        List<String> installed = Font.getFamilies();
        for (String family : CHINESE_FONTS) {
            if (installed.contains(family)) {
                return family;
            }
        }
        return null;
    }

    private void installShortcuts(Scene scene) {
        scene.getAccelerators().put(new KeyCodeCombination(KeyCode.N, KeyCombination.SHORTCUT_DOWN), () -> {
            main.newChat();
            chatView.focusComposer();
        });
        scene.getAccelerators().put(new KeyCodeCombination(KeyCode.L, KeyCombination.SHORTCUT_DOWN),
                () -> chatView.focusComposer());
        scene.getAccelerators().put(
                new KeyCodeCombination(KeyCode.C, KeyCombination.SHORTCUT_DOWN, KeyCombination.SHIFT_DOWN),
                () -> {
                    var content = new ClipboardContent();
                    content.putString(main.chat().lastAnswerText());
                    Clipboard.getSystemClipboard().setContent(content);
                });
        scene.getAccelerators().put(new KeyCodeCombination(KeyCode.ESCAPE), () -> main.chat().stop());
        scene.getAccelerators().put(new KeyCodeCombination(KeyCode.F, KeyCombination.SHORTCUT_DOWN),
                () -> chatView.openFind());
        scene.getAccelerators().put(new KeyCodeCombination(KeyCode.COMMA, KeyCombination.SHORTCUT_DOWN),
                () -> main.settings().expandedProperty().set(!main.settings().expandedProperty().get()));
        scene.getAccelerators().put(new KeyCodeCombination(KeyCode.Q, KeyCombination.SHORTCUT_DOWN), stage::close);
    }

    private void restoreBounds() {
        double[] b = prefs.windowBounds();
        if (b == null || b[2] < 400 || b[3] < 300
                || Screen.getScreensForRectangle(new Rectangle2D(b[0], b[1], b[2], b[3])).isEmpty()) {
            return;
        }
        stage.setX(b[0]);
        stage.setY(b[1]);
        stage.setWidth(b[2]);
        stage.setHeight(b[3]);
    }
}
