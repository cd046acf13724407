package dev.parlance.inference;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The read-only data beside the project ({@code ../shared}); tests skip, saying so, without it. */
public final class SharedData {
    public static final Path ROOT = Path.of("..", "shared").toAbsolutePath().normalize();

    private SharedData() {}

    /** The path under ../shared, or a skipped test naming what is missing. */
    public static Path require(String relative) {
        Path path = ROOT.resolve(relative);
        assumeTrue(Files.exists(path), "skipped: " + path + " is absent (shared test data not checked out beside the project)");
        return path;
    }

    public static JsonObject json(Path file) {
        try {
            return JsonParser.parseString(Files.readString(file)).getAsJsonObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
