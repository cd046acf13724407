package dev.parlance.cli;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonPrimitive;
import dev.parlance.inference.LanguageModel;
import dev.parlance.inference.ModelLoadException;
import dev.parlance.inference.WeightFormat;
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
