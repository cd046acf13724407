package dev.parlance.ui;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/** The data folder the window tests start from. */
final class UiTestData {
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
}
