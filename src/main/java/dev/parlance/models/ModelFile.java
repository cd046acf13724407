package dev.parlance.models;

/**
 * One file of a variant.
 *
 * @param path the file's path in the repository, as in its resolve URL
 * @param size its size in bytes as the catalog knows it (the download checks what the server announces)
 */
public record ModelFile(String path, long size) {
    public ModelFile {
        if (path == null || path.isBlank() || path.startsWith("/") || path.contains("\\")
                || path.contains("..")) {
            throw new IllegalArgumentException("a file path must be relative and inside the repository: " + path);
        }
        if (size <= 0) {
            throw new IllegalArgumentException(path + ": size must be positive, not " + size);
        }
    }
}
