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

    /**
     * Sixteen halves are read as eight ints, the odd half of int i in its top 16 bits and the
     * even one shifted there; {@code (h >> 3) & 0x8fffe000} is then a float's sign, exponent and
     * mantissa, which scaled by 2^112 (the difference of the biases) is exact for normal and
     * subnormal halves alike; x is split by parity once per call. Infinities and NaNs are only
     * detected on the way (an exponent of all ones carries into the sign bit when 0x400 is added
     * to it); a row that holds any is multiplied again by {@link #multiplyExactly}.
     */
    @Override
    void multiply(float[] x, int from, int to, float[] y, int yOffset) {
        MemorySegment data = data();
        int cols = cols();
        int runs = cols - cols % 32;
        float[] xs = new float[runs];
        for (int c = 0; c < runs; c += 16) {
            for (int i = 0; i < 8; i++) {
                xs[c + i] = x[c + 2 * i];
                xs[c + 8 + i] = x[c + 2 * i + 1];
            }
        }
        for (int r = from; r < to; r++) {
            long row = r * rowBytes;
            FloatVector a0 = FloatVector.zero(F8);
            FloatVector a1 = a0;
            FloatVector a2 = a0;
            FloatVector a3 = a0;
            IntVector carries = IntVector.zero(I8);
            for (int c = 0; c < runs; c += 32) {
                IntVector p = IntVector.fromMemorySegment(I8, data, row + 2L * c, ORDER);
                IntVector q = IntVector.fromMemorySegment(I8, data, row + 2L * c + 32, ORDER);
                carries = carries.or(p.and(0x7c007c00).add(0x04000400)).or(q.and(0x7c007c00).add(0x04000400));
                a0 = p.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 3).and(0x8fffe000)
                        .reinterpretAsFloats().mul(0x1p112f).fma(FloatVector.fromArray(F8, xs, c), a0);
                a1 = p.lanewise(VectorOperators.ASHR, 3).and(0x8fffe000)
                        .reinterpretAsFloats().mul(0x1p112f).fma(FloatVector.fromArray(F8, xs, c + 8), a1);
                a2 = q.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 3).and(0x8fffe000)
                        .reinterpretAsFloats().mul(0x1p112f).fma(FloatVector.fromArray(F8, xs, c + 16), a2);
                a3 = q.lanewise(VectorOperators.ASHR, 3).and(0x8fffe000)
                        .reinterpretAsFloats().mul(0x1p112f).fma(FloatVector.fromArray(F8, xs, c + 24), a3);
            }
            if ((carries.reduceLanes(VectorOperators.OR) & 0x80008000) != 0) {
                y[yOffset + r - from] = multiplyExactly(x, row);
                continue;
            }
            float sum = a0.add(a1).add(a2.add(a3)).reduceLanes(VectorOperators.ADD);
            for (int c = runs; c < cols; c++) {
                sum += half(row + 2L * c) * x[c];
            }
            y[yOffset + r - from] = sum;
        }
    }

    /** The row at byte {@code row} times x, its halves converted with infinities and NaNs. */
    private float multiplyExactly(float[] x, long row) {
        int cols = cols();
        int vectors = cols - cols % L;
        FloatVector a = FloatVector.zero(F);
        for (int c = 0; c < vectors; c += L) {
            a = floats(ShortVector.fromMemorySegment(S, data(), row + 2L * c, ORDER))
                    .fma(FloatVector.fromArray(F, x, c), a);
        }
        float sum = a.reduceLanes(VectorOperators.ADD);
        for (int c = vectors; c < cols; c++) {
            sum += half(row + 2L * c) * x[c];
        }
        return sum;
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
