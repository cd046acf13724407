package dev.parlance.ui;

import dev.parlance.inference.WeightFormat;
import dev.parlance.store.ConversationSettings;
import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.function.Function;

/**
 * The app's own settings, kept in a small properties file in the data directory: theme, language,
 * font size, window bounds, models directory, the defaults of new conversations and the user's own
 * version of each quick start. Read once at
 * start and written once at exit, off the FX thread.
 */
public final class AppPreferences {
    /** The font size when the user has not picked one. */
    public static final double DEFAULT_FONT_SIZE = 14;
    /** The conversation list's width until the user drags its edge. */
    public static final double DEFAULT_SIDEBAR_WIDTH = 240;

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
    /** The folder of the settings file: the data folder, in the app. */
    public Path folder() {
        return file.toAbsolutePath().getParent();
    }

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

    /** The model folder or GGUF file loaded last time, or null. */
    public synchronized Path lastModel() {
        return parse("lastModel", Path::of);
    }

    public synchronized void setLastModel(Path folder) {
        values.setProperty("lastModel", folder.toString());
    }

    /** Model folders and files opened from outside the models directory, newest first. */
    public synchronized List<Path> openedModels() {
        List<Path> models = new ArrayList<>();
        for (int i = 0; values.containsKey("openedModel." + i); i++) {
            Path model = parse("openedModel." + i, Path::of);
            if (model != null) {
                models.add(model);
            }
        }
        return models;
    }

    public synchronized void setOpenedModels(List<Path> models) {
        values.stringPropertyNames().stream().filter(k -> k.startsWith("openedModel.")).forEach(values::remove);
        for (int i = 0; i < models.size(); i++) {
            values.setProperty("openedModel." + i, models.get(i).toString());
        }
    }

    /** The conversation open when the app last closed, or null. */
    public synchronized String lastConversation() {
        return parse("lastConversation", Function.identity());
    }

    public synchronized void setLastConversation(String id) {
        put("lastConversation", id);
    }

    /** How model folders' weights are held in memory; as stored unless the user chose otherwise. */
    public synchronized WeightFormat weightFormat() {
        WeightFormat format = parse("weights", WeightFormat::valueOf);
        return format != null ? format : WeightFormat.STORED;
    }

    public synchronized void setWeightFormat(WeightFormat format) {
        values.setProperty("weights", format.name());
    }

    /** Whether the app serves its loaded model through OpenAI's API (off until the user turns it on). */
    public synchronized boolean serving() {
        return "true".equals(values.getProperty("serve.on"));
    }

    public synchronized void setServing(boolean on) {
        values.setProperty("serve.on", Boolean.toString(on));
    }

    /** The port the app serves on, or {@code fallback} when the user never chose one. */
    public synchronized int servingPort(int fallback) {
        Integer port = parse("serve.port", Integer::valueOf);
        return port == null || port < 1 || port > 65535 ? fallback : port;
    }

    public synchronized void setServingPort(int port) {
        values.setProperty("serve.port", Integer.toString(port));
    }

    /** Whether the conversation list is shown (it is until the user hides it). */
    public synchronized boolean sidebarShown() {
        return !"false".equals(values.getProperty("sidebar.shown"));
    }

    public synchronized void setSidebarShown(boolean shown) {
        values.setProperty("sidebar.shown", Boolean.toString(shown));
    }

    /** The conversation list's width in pixels. */
    public synchronized double sidebarWidth() {
        Double width = parse("sidebar.width", Double::valueOf);
        return width == null ? DEFAULT_SIDEBAR_WIDTH : width;
    }

    public synchronized void setSidebarWidth(double width) {
        values.setProperty("sidebar.width", Double.toString(width));
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
        return settings("defaults.");
    }

    public synchronized void setConversationDefaults(ConversationSettings s) {
        putSettings("defaults.", s);
    }

    /**
     * The settings the user saved for a quick start (by its name, such as {@code TRANSLATE}), or
     * null if they never did.
     */
    public synchronized ConversationSettings quickStartSettings(String quickStart) {
        String prefix = "quickstart." + quickStart + ".";
        return values.stringPropertyNames().stream().anyMatch(k -> k.startsWith(prefix)) ? settings(prefix) : null;
    }

    public synchronized void setQuickStartSettings(String quickStart, ConversationSettings s) {
        putSettings("quickstart." + quickStart + ".", s);
    }

    private ConversationSettings settings(String prefix) {
        return new ConversationSettings(
                values.getProperty(prefix + "systemPrompt"),
                parse(prefix + "temperature", Double::valueOf),
                parse(prefix + "topP", Double::valueOf),
                parse(prefix + "topK", Integer::valueOf),
                parse(prefix + "minP", Double::valueOf),
                parse(prefix + "repeatPenalty", Double::valueOf),
                parse(prefix + "maxTokens", Integer::valueOf),
                parse(prefix + "contextLength", Integer::valueOf),
                parse(prefix + "seed", Long::valueOf));
    }

    private void putSettings(String prefix, ConversationSettings s) {
        put(prefix + "systemPrompt", s.systemPrompt());
        put(prefix + "temperature", s.temperature());
        put(prefix + "topP", s.topP());
        put(prefix + "topK", s.topK());
        put(prefix + "minP", s.minP());
        put(prefix + "repeatPenalty", s.repeatPenalty());
        put(prefix + "maxTokens", s.maxTokens());
        put(prefix + "contextLength", s.contextLength());
        put(prefix + "seed", s.seed());
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
