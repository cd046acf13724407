package dev.parlance.inference.tensor;

import dev.parlance.inference.gguf.GgmlType;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;

/** IEEE half-precision weights. */
final class F16Matrix extends WeightMatrix {
    private static final int EXPONENT = 0x7c00;

    F16Matrix(MemorySegment data, int rows, int cols) {
        super(GgmlType.F16, data, rows, cols);
    }

    @Override
    void dequantize(long at, float[] into, int offset) {
        for (int c = 0; c < cols(); c++) {
            into[offset + c] = half(at + 2L * c);
        }
    }

    @Override
    void multiply(float[] x, int from, int to, float[] y, int yOffset) {
        MemorySegment data = data();
        int cols = cols();
        int vectors = cols - cols % L;
        for (int r = from; r < to; r++) {
            long row = r * rowBytes;
            FloatVector a = FloatVector.zero(F);
            for (int c = 0; c < vectors; c += L) {
                a = floats(ShortVector.fromMemorySegment(S, data, row + 2L * c, ORDER))
                        .fma(FloatVector.fromArray(F, x, c), a);
            }
            float sum = a.reduceLanes(VectorOperators.ADD);
            for (int c = vectors; c < cols; c++) {
                sum += half(row + 2L * c) * x[c];
            }
            y[yOffset + r - from] = sum;
        }
    }

    /**
     * The halves as floats: the exponent and mantissa shifted into a float's, which scaled by
     * 2^112 (the difference of the biases) is exact for normal and subnormal halves alike; the
     * exponent of infinities and NaNs is set whole; the sign is the sign-extended half's.
     */
    static FloatVector floats(ShortVector halves) {
        IntVector bits = (IntVector) halves.convertShape(VectorOperators.S2I, I, 0);
        IntVector magnitude = bits.and(0x7fff);
        IntVector shifted = magnitude.lanewise(VectorOperators.LSHL, 13);
        VectorMask<Integer> special = magnitude.compare(VectorOperators.GE, EXPONENT);
        IntVector value = shifted.reinterpretAsFloats().mul(0x1p112f).reinterpretAsInts()
                .blend(shifted.or(0x7f800000), special);
        return value.or(bits.and(0x80000000)).reinterpretAsFloats();
    }
}
