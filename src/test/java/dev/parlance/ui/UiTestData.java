package dev.parlance.ui;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/** The data folder the window tests start from. */
public final class UiTestData {
    private UiTestData() {}

    /**
     * Settings in {@code dir} for English and the light theme, whose models folder holds one model
     * folder, "tiny", that a {@link FakeInferenceService} loads.
     */
    static AppPreferences preferencesWithTinyModel(Path dir) throws IOException {
        Path tiny = Files.createDirectories(dir.resolve("models/tiny"));
        Files.writeString(tiny.resolve("config.json"), "{}");
        Files.writeString(tiny.resolve("tokenizer.json"), "{}");
        AppPreferences prefs = AppPreferences.load(dir.resolve("settings.properties"));
        prefs.setModelsDirectory(dir.resolve("models"));
        prefs.setLocale(Locale.ENGLISH);
        prefs.setTheme(Theme.LIGHT);
        return prefs;
    }

    /**
     * Settings in a new temporary folder for a screenshot program: the theme and language of its
     * first two arguments ("dark" or light, "zh" or English), the shared models folder (where
     * stories260K is) and a 1280 x 800 window.
     */
    public static AppPreferences screenshotPreferences(String name, List<String> args) throws IOException {
        Path data = Files.createTempDirectory(name);
        AppPreferences prefs = AppPreferences.load(data.resolve("settings.properties"));
        prefs.setModelsDirectory(Path.of("../shared/models").toAbsolutePath().normalize());
        prefs.setTheme("dark".equals(args.get(0)) ? Theme.DARK : Theme.LIGHT);
        prefs.setLocale("zh".equals(args.get(1)) ? Locale.SIMPLIFIED_CHINESE : Locale.ENGLISH);
        prefs.setWindowBounds(0, 0, 1280, 800);
        return prefs;
    }
}
