package dev.parlance.cli;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonPrimitive;
import dev.parlance.inference.LanguageModel;
import dev.parlance.inference.ModelLoadException;
import dev.parlance.inference.WeightFormat;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import picocli.CommandLine.Model.CommandSpec;

/** What the commands share: loading a model with a readable error, exit codes. */
final class CliSupport {
    static final int EXIT_FAILED = 1;
    static final int EXIT_MODEL = 2;

    private CliSupport() {}

    /** Loads the model with its weights as stored, or prints why not to stderr and returns null. */
    static LanguageModel loadModel(Path model, CommandSpec spec) {
        return loadModel(model, WeightFormat.STORED, spec);
    }

    /** Loads the model, or prints why not to stderr and returns null. */
    static LanguageModel loadModel(Path model, WeightFormat weights, CommandSpec spec) {
        try {
            return LanguageModel.load(model, weights, fraction -> { });
        } catch (ModelLoadException e) {
            spec.commandLine().getErr().println("parlance: cannot load the model: " + e.getMessage());
            spec.commandLine().getErr().flush();
            return null;
        }
    }

    /**
     * Why a file could not be read, in plain words rather than the JDK's ("Input length = 1" for
     * a file that is not UTF-8, the bare file name for one that does not exist).
     *
     * @param nameFile whether to start with the file the exception names (when the caller does
     *     not know which file it was)
     */
    static String describe(IOException e, boolean nameFile) {
        String file = nameFile && e instanceof FileSystemException fs && fs.getFile() != null ? fs.getFile() + ": " : "";
        String reason = e instanceof FileSystemException fs ? fs.getReason() : e.getMessage();
        if (e instanceof NoSuchFileException) {
            return file + "not found";
        }
        if (e instanceof AccessDeniedException) {
            return file + "permission denied";
        }
        if (e instanceof CharacterCodingException) {
            return "not UTF-8 text (save the file as UTF-8)";
        }
        if (reason != null && reason.contains("Is a directory")) {
            return file + "is a folder, not a file";
        }
        return file + (reason != null ? reason : e.getClass().getSimpleName());
    }

    /**
     * Text from a file a user gave (a title, a name) made safe to print on a terminal: control
     * characters, which could move the cursor, recolour or retitle the terminal, and the
     * bidirectional overrides, which could show text in another order than it is, become U+FFFD.
     */
    static String printable(String text) {
        StringBuilder safe = new StringBuilder(text.length());
        text.codePoints().forEach(c -> {
            boolean bidi = (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069);
            safe.appendCodePoint(Character.getType(c) == Character.CONTROL || bidi ? 0xFFFD : c);
        });
        return safe.toString();
    }

    static int fail(CommandSpec spec, String message) {
        spec.commandLine().getErr().println("parlance: " + message);
        spec.commandLine().getErr().flush();
        return EXIT_FAILED;
    }

    /**
     * A number for JSON output, or JSON null when it is NaN or infinite: JSON has no such
     * numbers, and a reader would reject the whole document for one.
     */
    static JsonElement jsonNumber(double value) {
        return Double.isFinite(value) ? new JsonPrimitive(value) : JsonNull.INSTANCE;
    }

    static JsonArray jsonInts(int[] values) {
        JsonArray array = new JsonArray();
        for (int v : values) {
            array.add(v);
        }
        return array;
    }
}
