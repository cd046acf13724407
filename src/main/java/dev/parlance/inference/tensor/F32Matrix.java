package dev.parlance.inference.tensor;

import dev.parlance.inference.gguf.GgmlType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/** Interim. */
final class F32Matrix extends WeightMatrix {
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    F32Matrix(MemorySegment data, int rows, int cols) {
        super(GgmlType.F32, data, rows, cols);
    }

    @Override
    public void dequantizeRow(int row, float[] into, int offset) {
        MemorySegment.copy(data(), FLOAT, (long) row * cols() * Float.BYTES, into, offset, cols());
    }

    @Override
    public void multiplyRows(float[] x, int from, int to, float[] y, int yOffset) {
        for (int r = from; r < to; r++) {
            float sum = 0;
            for (int c = 0; c < cols(); c++) {
                sum += data().getAtIndex(FLOAT, (long) r * cols() + c) * x[c];
            }
            y[yOffset + r - from] = sum;
        }
    }
}
