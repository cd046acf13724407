package dev.parlance.inference.model;

import dev.parlance.inference.ModelLoadException;
import dev.parlance.inference.gguf.GgufFile;
import dev.parlance.inference.gguf.GgufTensor;
import dev.parlance.inference.tensor.WeightMatrix;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * The tensors of a GGUF file as the engine uses them, checked against the shapes the metadata
 * implies and left in the file's storage format: matrices stay in the memory-mapped file, and
 * only vectors (norms, biases) are read into Java arrays. Every problem names the tensor.
 */
public final class GgufWeights implements WeightSource {
    private final GgufFile file;

    public GgufWeights(GgufFile file) {
        this.file = file;
    }

    public GgufFile file() {
        return file;
    }

    @Override
    public Path path() {
        return file.path();
    }

    @Override
    public boolean has(String name) {
        return file.findTensor(name).isPresent();
    }

    /** The matrix {@code name} of {@code rows} rows of {@code cols} values (GGUF {@code ne = [cols, rows]}). */
    @Override
    public WeightMatrix matrix(String name, long rows, long cols) throws ModelLoadException {
        GgufTensor tensor = file.tensor(name);
        requireShape(tensor, cols, rows);
        requireComputable(tensor);
        try {
            return WeightMatrix.of(tensor.type(), file.data(tensor), (int) rows, (int) cols);
        } catch (UnsupportedOperationException e) {
            throw unsupported(tensor);
        } catch (IllegalArgumentException e) {
            throw new ModelLoadException(file.path(), "tensor " + name + ": " + e.getMessage(), e);
        }
    }

    /** GGUF {@code ne = [cols, rows, count]}. */
    @Override
    public WeightMatrix[] stackedMatrices(String name, int count, long rows, long cols) throws ModelLoadException {
        GgufTensor tensor = file.tensor(name);
        requireShape(tensor, cols, rows, count);
        requireComputable(tensor);
        long bytes = rows * tensor.type().bytesFor(cols);
        WeightMatrix[] matrices = new WeightMatrix[count];
        try {
            for (int i = 0; i < count; i++) {
                matrices[i] = WeightMatrix.of(tensor.type(), file.data(tensor).asSlice(i * bytes, bytes), (int) rows,
                        (int) cols);
            }
        } catch (UnsupportedOperationException e) {
            throw unsupported(tensor);
        } catch (IllegalArgumentException e) {
            throw new ModelLoadException(file.path(), "tensor " + name + ": " + e.getMessage(), e);
        }
        return matrices;
    }

    @Override
    public float[] vector(String name, int length) throws ModelLoadException {
        GgufTensor tensor = file.tensor(name);
        requireShape(tensor, length);
        requireComputable(tensor);
        float[] values = new float[length];
        try {
            WeightMatrix.of(tensor.type(), file.data(tensor), 1, length).dequantizeRow(0, values, 0);
        } catch (UnsupportedOperationException e) {
            throw unsupported(tensor);
        } catch (IllegalArgumentException e) {
            throw new ModelLoadException(file.path(), "tensor " + name + ": " + e.getMessage(), e);
        }
        return values;
    }

    @Override
    public void close() {
        file.close();
    }

    private void requireShape(GgufTensor tensor, long... ne) throws ModelLoadException {
        if (!Arrays.equals(tensor.ne(), ne)) {
            throw new ModelLoadException(file.path(), "tensor " + tensor.name() + " has shape "
                    + Arrays.toString(tensor.ne()) + " but the metadata implies " + Arrays.toString(ne)
                    + " (GGUF order: the row length first)");
        }
    }

    private void requireComputable(GgufTensor tensor) throws ModelLoadException {
        if (!tensor.type().isComputable()) {
            throw unsupported(tensor);
        }
    }

    private ModelLoadException unsupported(GgufTensor tensor) {
        return new ModelLoadException(file.path(), "tensor " + tensor.name() + " is stored as " + tensor.type()
                + ", which Parlance does not run; choose a Q4_K_M, Q5_K_M, Q6_K or Q8_0 file of this model");
    }
}
