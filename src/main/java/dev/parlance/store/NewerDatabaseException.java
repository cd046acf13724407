package dev.parlance.store;

import java.nio.file.Path;

/**
 * The database was written by a newer version of Parlance. It is refused and left exactly as it
 * is, so that the newer version can still use it.
 */
public final class NewerDatabaseException extends StoreException {
    private final Path file;
    private final int fileVersion;
    private final int supportedVersion;

    NewerDatabaseException(Path file, int fileVersion, int supportedVersion) {
        super(Reason.NEWER_VERSION,
                "The conversations in " + file + " were saved by a newer version of Parlance (database version "
                        + fileVersion + "; this version understands up to " + supportedVersion
                        + "). Install the newer Parlance, or start this one with another data folder"
                        + " (--data-dir). The file was not changed.");
        this.file = file;
        this.fileVersion = fileVersion;
        this.supportedVersion = supportedVersion;
    }

    public Path file() {
        return file;
    }

    public int fileVersion() {
        return fileVersion;
    }

    public int supportedVersion() {
        return supportedVersion;
    }
}
