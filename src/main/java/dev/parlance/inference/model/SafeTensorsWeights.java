package dev.parlance.inference.model;

import dev.parlance.inference.ModelLoadException;
import dev.parlance.inference.gguf.GgmlType;
import dev.parlance.inference.tensor.Quantizer;
import dev.parlance.inference.tensor.WeightMatrix;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * The tensors of a Hugging Face folder's safetensors files, each file memory-mapped once: F32,
 * F16 and BF16 matrices stay in the file's pages in their own format (a BF16 model takes 2 bytes
 * a parameter, not 4), or are quantized at load into memory of their own; only vectors are read
 * into Java arrays.
 */
public final class SafeTensorsWeights implements WeightSource {
    private final Path folder;
    private final SafeTensors files;
    private final Arena arena = Arena.ofShared();
    private final Map<Path, MemorySegment> mapped = new HashMap<>();

    private final GgmlType quantizeTo;

    /**
     * @param quantizeTo the type matrices are quantized to at load, or null to use them as stored;
     *     a matrix whose rows are not whole blocks of it falls back to Q8_0 where they are whole
     *     blocks of that, else stays as stored (as llama.cpp falls back)
     */
    public SafeTensorsWeights(Path folder, SafeTensors files, GgmlType quantizeTo) {
        this.folder = folder;
        this.files = files;
        this.quantizeTo = quantizeTo;
    }

    @Override
    public Path path() {
        return folder;
    }

    @Override
    public boolean has(String name) {
        return files.contains(name);
    }

    @Override
    public WeightMatrix matrix(String name, long rows, long cols) throws ModelLoadException {
        SafeTensors.TensorInfo info = tensor(name, rows, cols);
        WeightMatrix stored = WeightMatrix.of(typeOf(info), data(info), (int) rows, (int) cols);
        GgmlType target = quantizeTo == null ? null
                : cols % quantizeTo.blockSize() == 0 ? quantizeTo
                : cols % GgmlType.Q8_0.blockSize() == 0 ? GgmlType.Q8_0 : null;
        if (target == null || target == stored.type()) {
            return stored;
        }
        return Quantizer.quantize(target, (int) rows, (int) cols, (row, into) -> stored.dequantizeRow(row, into, 0),
                arena);
    }

    @Override
    public float[] vector(String name, int length) throws ModelLoadException {
        SafeTensors.TensorInfo info = tensor(name, length);
        float[] values = new float[length];
        WeightMatrix.of(typeOf(info), data(info), 1, length).dequantizeRow(0, values, 0);
        return values;
    }

    /** The tensor {@code name}, whose shape must be {@code shape}. */
    private SafeTensors.TensorInfo tensor(String name, long... shape) throws ModelLoadException {
        SafeTensors.TensorInfo info = files.tensors().get(name);
        if (info == null) {
            throw new ModelLoadException(folder, "missing tensor " + name);
        }
        if (!Arrays.equals(info.shape(), shape)) {
            throw new ModelLoadException(info.file(), "tensor " + name + " has shape " + Arrays.toString(info.shape())
                    + " but config.json implies " + Arrays.toString(shape));
        }
        return info;
    }

    private static GgmlType typeOf(SafeTensors.TensorInfo info) {
        return switch (info.dtype()) {
            case F32 -> GgmlType.F32;
            case F16 -> GgmlType.F16;
            case BF16 -> GgmlType.BF16;
        };
    }

    private MemorySegment data(SafeTensors.TensorInfo info) throws ModelLoadException {
        MemorySegment file = mapped.get(info.file());
        if (file == null) {
            try (FileChannel channel = FileChannel.open(info.file(), StandardOpenOption.READ)) {
                file = channel.map(FileChannel.MapMode.READ_ONLY, 0, channel.size(), arena);
            } catch (IOException e) {
                throw new ModelLoadException(info.file(), "cannot map the weights: " + e.getMessage(), e);
            }
            mapped.put(info.file(), file);
        }
        return file.asSlice(info.offset(), info.length());
    }

    @Override
    public void close() {
        arena.close();
    }
}
