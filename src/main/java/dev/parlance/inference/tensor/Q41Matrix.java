package dev.parlance.inference.tensor;

import dev.parlance.inference.gguf.GgmlType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/**
 * ggml's {@code block_q4_1}, 20 bytes per 32 values: {@code d}, {@code m} (fp16),
 * {@code uint8 qs[16]}; for j < 16, {@code y[j] = (qs[j] & 0xF) * d + m} and
 * {@code y[j + 16] = (qs[j] >> 4) * d + m}.
 */
final class Q41Matrix extends WeightMatrix {
    private static final int BLOCK = 32;
    private static final int BYTES = 20;

    Q41Matrix(MemorySegment data, int rows, int cols) {
        super(GgmlType.Q4_1, data, rows, cols);
    }

    @Override
    void dequantize(long at, float[] into, int offset) {
        for (int c = offset; c < offset + cols(); c += BLOCK, at += BYTES) {
            float d = half(at);
            float m = half(at + 2);
            for (int j = 0; j < BLOCK / 2; j++) {
                int q = data().get(ValueLayout.JAVA_BYTE, at + 4 + j) & 0xFF;
                into[c + j] = (q & 0xF) * d + m;
                into[c + j + BLOCK / 2] = (q >> 4) * d + m;
            }
        }
    }

    /**
     * Eight bytes at a time are widened to ints once, and both nibbles are taken in int lanes (a
     * byte-lane shift has no AVX2 instruction and is emulated); each block's {@code m} multiplies
     * the block's sum of x. Everything stays in this method, the Vector API called directly: a
     * vector passed to or returned from a method HotSpot does not inline is boxed.
     */
    @Override
    void multiply(float[] x, int from, int to, float[] y, int yOffset) {
        int cols = cols();
        MemorySegment data = data();
        float[] xSums = runSums(x, cols, BLOCK);
        for (int r = from; r < to; r++) {
            long at = r * rowBytes;
            FloatVector acc = FloatVector.zero(F8);
            float offsets = 0;
            for (int c = 0; c < cols; c += BLOCK, at += BYTES) {
                IntVector q0 = (IntVector) ByteVector.fromMemorySegment(B8, data, at + 4, ORDER)
                        .convertShape(VectorOperators.B2I, I8, 0);
                IntVector q1 = (IntVector) ByteVector.fromMemorySegment(B8, data, at + 12, ORDER)
                        .convertShape(VectorOperators.B2I, I8, 0);
                FloatVector s0 = ((FloatVector) q0.and(0xF).convert(VectorOperators.I2F, 0))
                        .mul(FloatVector.fromArray(F8, x, c));
                FloatVector s1 = ((FloatVector) q1.and(0xF).convert(VectorOperators.I2F, 0))
                        .mul(FloatVector.fromArray(F8, x, c + 8));
                s0 = ((FloatVector) q0.lanewise(VectorOperators.LSHR, 4).and(0xF).convert(VectorOperators.I2F, 0))
                        .fma(FloatVector.fromArray(F8, x, c + 16), s0);
                s1 = ((FloatVector) q1.lanewise(VectorOperators.LSHR, 4).and(0xF).convert(VectorOperators.I2F, 0))
                        .fma(FloatVector.fromArray(F8, x, c + 24), s1);
                float d = Float.float16ToFloat(data.get(SHORT, at));
                acc = s0.add(s1).fma(FloatVector.broadcast(F8, d), acc);
                offsets += Float.float16ToFloat(data.get(SHORT, at + 2)) * xSums[c / BLOCK];
            }
            y[yOffset + r - from] = acc.reduceLanes(VectorOperators.ADD) + offsets;
        }
    }
}
