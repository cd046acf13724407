package dev.parlance.models;

import java.util.List;

/**
 * What to download and how it is installed.
 *
 * @param name the name it gets in the models directory: the {@code .gguf} file's name, or the folder's
 * @param format a GGUF file or a safetensors folder
 * @param modelRepo the repository whose page the user is sent to for a licence or token
 * @param files the files, in download order
 */
public record DownloadPlan(String name, ModelFormat format, String modelRepo, List<RemoteFile> files) {
    public DownloadPlan {
        files = List.copyOf(files);
        if (name.isBlank() || name.startsWith(".") || name.contains("/") || name.contains("\\")) {
            throw new IllegalArgumentException("not a name for the models directory: \"" + name + "\"");
        }
        if (files.isEmpty()) {
            throw new IllegalArgumentException(name + ": nothing to download");
        }
    }

    /**
     * The variant of a catalog model.
     */
    public static DownloadPlan of(CatalogModel model, Variant variant) {
        List<RemoteFile> files = variant.files().stream()
                .map(f -> new RemoteFile(variant.repo(), variant.revision(), f.path(), f.size()))
                .toList();
        String name = variant.format() == ModelFormat.GGUF ? baseName(variant.files().getFirst().path())
                : variant.repo().substring(variant.repo().indexOf('/') + 1);
        return new DownloadPlan(name, variant.format(), model.repo(), files);
    }

    /** The last segment of a repository path. */
    static String baseName(String path) {
        return path.substring(path.lastIndexOf('/') + 1);
    }

    /**
     * One file to fetch.
     *
     * @param repo its repository
     * @param revision branch, tag or commit
     * @param path its path in the repository
     * @param expectedSize the size the catalog gives, or -1 when unknown; the server's announcement decides
     */
    public record RemoteFile(String repo, String revision, String path, long expectedSize) {}
}
