package dev.parlance.inference;

import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A model folder that cannot be used; the message names the file and the problem in plain words. */
public class ModelLoadException extends Exception {
    private final Path file;

    public ModelLoadException(Path file, String problem) {
        super(file == null ? problem : file + ": " + problem);
        this.file = file;
    }

    public ModelLoadException(Path file, String problem, Throwable cause) {
        super(file == null ? problem : file + ": " + problem, cause);
        this.file = file;
    }

    /**
     * A JSON parser's complaint in plain words: where the text stops making sense, without the
     * parser's class names ("not valid JSON (at line 3 column 7)").
     */
    public static String jsonProblem(RuntimeException e) {
        String message = e.getMessage() == null ? "" : e.getMessage();
        Matcher where = Pattern.compile("line \\d+ column \\d+").matcher(message);
        return where.find() ? "not valid JSON (the text breaks off or is malformed at " + where.group() + ")"
                : "not valid JSON";
    }

    /** The file (or folder) at fault, or null. */
    public Path file() {
        return file;
    }
}
