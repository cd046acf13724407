package dev.parlance.models;

import java.util.List;

/**
 * One downloadable form of a catalog model: a GGUF quantization or a safetensors folder.
 *
 * @param name what the user picks, such as {@code Q4_K_M}, {@code Q8_0} or {@code BF16}
 * @param format how the weights are stored
 * @param repo the repository the files come from
 * @param revision the branch, tag or commit of {@code repo}
 * @param files the files to fetch, exactly one {@code .gguf} file for {@link ModelFormat#GGUF}
 * @param memory bytes of memory the model needs loaded: weights, a KV cache of the catalog's
 *     memory context, and the engine's headroom
 */
public record Variant(String name, ModelFormat format, String repo, String revision, List<ModelFile> files, long memory) {
    public Variant {
        files = List.copyOf(files);
        if (name == null || name.isBlank() || name.contains(":")) {
            throw new IllegalArgumentException("a variant needs a name without ':', not \"" + name + "\"");
        }
        if (files.isEmpty()) {
            throw new IllegalArgumentException(name + ": a variant needs files");
        }
        if (format == ModelFormat.GGUF && (files.size() != 1 || !files.getFirst().path().endsWith(".gguf"))) {
            throw new IllegalArgumentException(name + ": a GGUF variant is exactly one .gguf file");
        }
        long size = files.stream().mapToLong(ModelFile::size).sum();
        if (memory < size) {
            throw new IllegalArgumentException(name + ": memory " + memory + " is less than the files' " + size + " bytes");
        }
    }

    /** The bytes of all files together. */
    public long size() {
        return files.stream().mapToLong(ModelFile::size).sum();
    }
}
