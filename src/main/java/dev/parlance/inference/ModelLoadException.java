package dev.parlance.inference;

import java.nio.file.Path;

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

    /** The file (or folder) at fault, or null. */
    public Path file() {
        return file;
    }
}
