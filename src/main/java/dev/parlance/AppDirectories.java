package dev.parlance;

import java.nio.file.Path;
import java.util.Locale;

/** Per-user directories, following each OS's convention. */
public final class AppDirectories {
    /** Environment variable that moves the data directory (tests, portable installs). */
    public static final String DATA_DIR_ENV = "PARLANCE_DATA_DIR";

    private AppDirectories() {}

    /**
     * The data directory: {@code $PARLANCE_DATA_DIR} if set, else XDG data home on Linux,
     * {@code %APPDATA%} on Windows, {@code ~/Library/Application Support} on macOS.
     */
    public static Path dataDirectory() {
        String override = System.getenv(DATA_DIR_ENV);
        if (override != null && !override.isBlank()) {
            return Path.of(override);
        }
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        Path home = Path.of(System.getProperty("user.home"));
        if (os.contains("win")) {
            String appData = System.getenv("APPDATA");
            return (appData != null ? Path.of(appData) : home.resolve("AppData/Roaming")).resolve("Parlance");
        }
        if (os.contains("mac")) {
            return home.resolve("Library/Application Support/Parlance");
        }
        String xdg = System.getenv("XDG_DATA_HOME");
        return (xdg != null && !xdg.isBlank() ? Path.of(xdg) : home.resolve(".local/share")).resolve("parlance");
    }

    /** Where model folders live unless the user picks another directory. */
    public static Path modelsDirectory() {
        return dataDirectory().resolve("models");
    }
}
