package dev.parlance.inference.model;

import dev.parlance.inference.ModelLoadException;
import dev.parlance.inference.tensor.WeightMatrix;
import java.nio.file.Path;
import java.util.Optional;

/**
 * A model's tensors as the vector kernel uses them: matrices in the format they are stored in
 * (memory-mapped where the file allows), vectors as float32 arrays, each checked against the
 * shape the configuration implies, every problem naming the tensor. A GGUF file
 * ({@link GgufWeights}) or a folder of safetensors files ({@link SafeTensorsWeights}). The
 * network built on it closes it.
 */
public interface WeightSource extends AutoCloseable {
    /** The file or folder the tensors come from. */
    Path path();

    boolean has(String name);

    /** The matrix {@code name} of {@code rows} rows of {@code cols} values. */
    WeightMatrix matrix(String name, long rows, long cols) throws ModelLoadException;

    /**
     * The {@code count} matrices of {@code rows} rows of {@code cols} values that one tensor
     * {@code name} stacks (a GGUF file's experts, {@code ffn_gate_exps}), each a view of its part
     * of the mapped tensor: an expert's pages are read only when it is used.
     */
    default WeightMatrix[] stackedMatrices(String name, int count, long rows, long cols) throws ModelLoadException {
        throw new ModelLoadException(path(), "tensor " + name + ": stacked matrices are read from GGUF files only");
    }

    /** The vector {@code name} of {@code length} values, as float32. */
    float[] vector(String name, int length) throws ModelLoadException;

    /** {@link #vector}, or empty when there is no tensor {@code name}. */
    default Optional<float[]> optionalVector(String name, int length) throws ModelLoadException {
        return has(name) ? Optional.of(vector(name, length)) : Optional.empty();
    }

    /** Unmaps the tensors: matrices from this source are unusable afterwards. */
    @Override
    void close();
}
