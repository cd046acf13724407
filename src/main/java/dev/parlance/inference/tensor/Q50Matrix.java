package dev.parlance.inference.tensor;

import dev.parlance.inference.gguf.GgmlType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/**
 * ggml's {@code block_q5_0}, 22 bytes per 32 values: {@code d} (fp16), {@code uint8 qh[4]} (bit
 * j of this little-endian uint32 is the fifth bit of value j), {@code uint8 qs[16]} (the low four
 * bits, as in Q4_0); {@code y = d * (q - 16)}.
 */
final class Q50Matrix extends WeightMatrix {
    private static final int BLOCK = 32;
    private static final int BYTES = 22;
    /** Lane i holds i: the bit of the high bits that lane i takes. */
    static final IntVector LANE = IntVector.zero(I).addIndex(1);

    Q50Matrix(MemorySegment data, int rows, int cols) {
        super(GgmlType.Q5_0, data, rows, cols);
    }

    @Override
    void dequantize(long at, float[] into, int offset) {
        for (int c = offset; c < offset + cols(); c += BLOCK, at += BYTES) {
            float d = half(at);
            int qh = data().get(INT, at + 2);
            for (int j = 0; j < BLOCK / 2; j++) {
                int q = data().get(ValueLayout.JAVA_BYTE, at + 6 + j) & 0xFF;
                into[c + j] = d * (((q & 0xF) | ((qh >>> j) << 4 & 0x10)) - 16);
                into[c + j + BLOCK / 2] = d * (((q >> 4) | ((qh >>> (j + 12)) & 0x10)) - 16);
            }
        }
    }

    @Override
    void multiply(float[] x, int from, int to, float[] y, int yOffset) {
        int cols = cols();
        for (int r = from; r < to; r++) {
            long at = r * rowBytes;
            FloatVector acc = FloatVector.zero(F);
            for (int c = 0; c < cols; c += BLOCK, at += BYTES) {
                int qh = data().get(INT, at + 2);
                FloatVector sum = FloatVector.zero(F);
                for (int g = 0; g < BLOCK / 2; g += L) {
                    ByteVector qs = bytes(at + 6 + g);
                    sum = fiveBits(qs.and((byte) 0xF), qh >>> g).sub(16f)
                            .fma(FloatVector.fromArray(F, x, c + g), sum);
                    sum = fiveBits(qs.lanewise(VectorOperators.LSHR, 4), qh >>> (BLOCK / 2 + g)).sub(16f)
                            .fma(FloatVector.fromArray(F, x, c + BLOCK / 2 + g), sum);
                }
                acc = sum.fma(FloatVector.broadcast(F, half(at)), acc);
            }
            y[yOffset + r - from] = acc.reduceLanes(VectorOperators.ADD);
        }
    }

    /** The low four bits {@code low}, with bit i of {@code high} as lane i's fifth bit. */
    static FloatVector fiveBits(ByteVector low, int high) {
        IntVector fifth = IntVector.broadcast(I, high).lanewise(VectorOperators.LSHR, LANE).and(1)
                .lanewise(VectorOperators.LSHL, 4);
        return (FloatVector) ((IntVector) low.convertShape(VectorOperators.B2I, I, 0)).or(fifth)
                .convertShape(VectorOperators.I2F, F, 0);
    }
}
