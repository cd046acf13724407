package dev.parlance.models;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * A model in the models directory: a {@code .gguf} file, or a folder with a {@code config.json}.
 * Partial downloads (in {@code .downloads}) are never among them.
 *
 * @param name its file or folder name
 * @param path where it is
 * @param format GGUF file or safetensors folder
 * @param bytes its size on disk
 */
public record InstalledModel(String name, Path path, ModelFormat format, long bytes) {
    /** The models in the directory, by name; none when it does not exist. */
    public static List<InstalledModel> list(Path modelsDirectory) {
        if (!Files.isDirectory(modelsDirectory)) {
            return List.of();
        }
        List<InstalledModel> models = new ArrayList<>();
        try (Stream<Path> children = Files.list(modelsDirectory)) {
            for (Path child : children.sorted().toList()) {
                String name = child.getFileName().toString();
                if (name.startsWith(".")) {
                    continue;
                }
                if (Files.isRegularFile(child) && name.toLowerCase(Locale.ROOT).endsWith(".gguf")) {
                    models.add(new InstalledModel(name, child, ModelFormat.GGUF, Files.size(child)));
                } else if (Files.isRegularFile(child.resolve("config.json"))) {
                    models.add(new InstalledModel(name, child, ModelFormat.SAFETENSORS, sizeOf(child)));
                }
            }
        } catch (IOException e) {
            return List.copyOf(models);
        }
        return List.copyOf(models);
    }

    /** Deletes the model's file or folder. */
    public void delete() throws IOException {
        try (Stream<Path> paths = Files.walk(path)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    static long sizeOf(Path folder) {
        try (Stream<Path> files = Files.walk(folder)) {
            return files.filter(Files::isRegularFile).mapToLong(f -> f.toFile().length()).sum();
        } catch (IOException e) {
            return 0;
        }
    }
}
