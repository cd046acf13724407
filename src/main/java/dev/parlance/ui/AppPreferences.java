package dev.parlance.ui;

import dev.parlance.store.ConversationSettings;
import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Properties;
import java.util.function.Function;

/**
 * The app's own settings, kept in a small properties file in the data directory: theme, language,
 * font size, window bounds, models directory and the defaults of new conversations. Read once at
 * start and written once at exit, off the FX thread.
 */
public final class AppPreferences {
    /** The font size when the user has not picked one. */
    public static final double DEFAULT_FONT_SIZE = 14;

    private final Path file;
    private final Properties values = new Properties();

    private AppPreferences(Path file) {
        this.file = file;
    }

    /** Reads the file if it exists; a missing or unreadable file gives the defaults. */
    public static AppPreferences load(Path file) {
        var prefs = new AppPreferences(file);
        if (Files.isRegularFile(file)) {
            try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
                prefs.values.load(in);
            } catch (IOException | IllegalArgumentException e) {
                prefs.values.clear();
            }
        }
        return prefs;
    }

    /** Writes the file, creating its folder. */
    public synchronized void save() throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        try (Writer out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            values.store(out, "Parlance settings");
        }
    }

    /** The theme the user chose, or null to follow the OS. */
    public synchronized Theme theme() {
        return parse("theme", Theme::valueOf);
    }

    public synchronized void setTheme(Theme theme) {
        values.setProperty("theme", theme.name());
    }

    /** The language the user chose, or null to follow the OS. */
    public synchronized Locale locale() {
        return parse("locale", Locale::forLanguageTag);
    }

    public synchronized void setLocale(Locale locale) {
        values.setProperty("locale", locale.toLanguageTag());
    }

    public synchronized double fontSize() {
        Double size = parse("fontSize", Double::valueOf);
        return size == null ? DEFAULT_FONT_SIZE : size;
    }

    public synchronized void setFontSize(double size) {
        values.setProperty("fontSize", Double.toString(size));
    }

    /** The models directory the user chose, or null for the default. */
    public synchronized Path modelsDirectory() {
        return parse("modelsDirectory", Path::of);
    }

    public synchronized void setModelsDirectory(Path directory) {
        values.setProperty("modelsDirectory", directory.toString());
    }

    /** The model folder loaded last time, or null. */
    public synchronized Path lastModel() {
        return parse("lastModel", Path::of);
    }

    public synchronized void setLastModel(Path folder) {
        values.setProperty("lastModel", folder.toString());
    }

    /** Window x, y, width, height, or null if never saved. */
    public synchronized double[] windowBounds() {
        String[] keys = {"window.x", "window.y", "window.width", "window.height"};
        double[] bounds = new double[4];
        for (int i = 0; i < keys.length; i++) {
            Double v = parse(keys[i], Double::valueOf);
            if (v == null) {
                return null;
            }
            bounds[i] = v;
        }
        return bounds;
    }

    public synchronized void setWindowBounds(double x, double y, double width, double height) {
        values.setProperty("window.x", Double.toString(x));
        values.setProperty("window.y", Double.toString(y));
        values.setProperty("window.width", Double.toString(width));
        values.setProperty("window.height", Double.toString(height));
    }

    /** Defaults of new conversations; fields never saved are null. */
    public synchronized ConversationSettings conversationDefaults() {
        return new ConversationSettings(
                values.getProperty("defaults.systemPrompt"),
                parse("defaults.temperature", Double::valueOf),
                parse("defaults.topP", Double::valueOf),
                parse("defaults.topK", Integer::valueOf),
                parse("defaults.minP", Double::valueOf),
                parse("defaults.repeatPenalty", Double::valueOf),
                parse("defaults.maxTokens", Integer::valueOf),
                parse("defaults.contextLength", Integer::valueOf),
                parse("defaults.seed", Long::valueOf));
    }

    public synchronized void setConversationDefaults(ConversationSettings s) {
        put("defaults.systemPrompt", s.systemPrompt());
        put("defaults.temperature", s.temperature());
        put("defaults.topP", s.topP());
        put("defaults.topK", s.topK());
        put("defaults.minP", s.minP());
        put("defaults.repeatPenalty", s.repeatPenalty());
        put("defaults.maxTokens", s.maxTokens());
        put("defaults.contextLength", s.contextLength());
        put("defaults.seed", s.seed());
    }

    private void put(String key, Object value) {
        if (value == null) {
            values.remove(key);
        } else {
            values.setProperty(key, value.toString());
        }
    }

    /** A hand-edited file may hold anything: a value that does not parse counts as unset. */
    private <T> T parse(String key, Function<String, T> parser) {
        String raw = values.getProperty(key);
        if (raw == null || raw.isBlank()) {
            return null;
        }
        try {
            return parser.apply(raw.trim());
        } catch (RuntimeException e) {
            return null;
        }
    }
}
