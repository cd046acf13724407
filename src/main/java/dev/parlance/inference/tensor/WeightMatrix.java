package dev.parlance.inference.tensor;

import dev.parlance.inference.gguf.GgmlType;
import java.lang.foreign.MemorySegment;

/** Interim: F32 only, replaced by the formats' branch. */
public abstract sealed class WeightMatrix permits F32Matrix {
    private final GgmlType type;
    private final MemorySegment data;
    private final int rows;
    private final int cols;

    WeightMatrix(GgmlType type, MemorySegment data, int rows, int cols) {
        if (data.byteSize() < rows * type.bytesFor(cols)) {
            throw new IllegalArgumentException("too short");
        }
        this.type = type;
        this.data = data;
        this.rows = rows;
        this.cols = cols;
    }

    public static WeightMatrix of(GgmlType type, MemorySegment data, int rows, int cols) {
        if (type != GgmlType.F32) {
            throw new UnsupportedOperationException("weights of type " + type + " are not supported");
        }
        return new F32Matrix(data, rows, cols);
    }

    public final GgmlType type() {
        return type;
    }

    public final MemorySegment data() {
        return data;
    }

    public final int rows() {
        return rows;
    }

    public final int cols() {
        return cols;
    }

    public abstract void dequantizeRow(int row, float[] into, int offset);

    public abstract void multiplyRows(float[] x, int from, int to, float[] y, int yOffset);
}
