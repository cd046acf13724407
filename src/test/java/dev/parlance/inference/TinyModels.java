package dev.parlance.inference;

import dev.parlance.inference.model.SafeTensors;
import dev.parlance.inference.model.SyntheticModel;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;

/** Small models that tests make for themselves. */
final class TinyModels {
    private TinyModels() {}

    /** A 2-layer Llama (hidden 32, GQA 4:2, padded vocabulary) written as {@code dtype} in {@code shards} files. */
    static Path write(Path folder, SafeTensors.DType dtype, int shards) {
        try {
            return SyntheticModel.write(folder, SyntheticModel.Shape.TINY, dtype, shards, 7);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static LanguageModel load(Path folder) throws ModelLoadException {
        return LanguageModel.load(folder, f -> { });
    }
}
