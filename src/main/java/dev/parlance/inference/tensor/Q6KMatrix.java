package dev.parlance.inference.tensor;

import dev.parlance.inference.gguf.GgmlType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * ggml's {@code block_q6_K}, 210 bytes per 256 values: {@code uint8 ql[128]} (low four bits),
 * {@code uint8 qh[64]} (high two bits), {@code int8 scales[16]} (one per 16 values), {@code d}
 * (fp16, last); {@code y = d * scale * (q - 32)}. Half h (values {@code 128h ..}) reads
 * {@code ql[64h ..]} and {@code qh[32h ..]}: value {@code 128h + 32k + l} (k < 4, l < 32) takes
 * the low nibble of {@code ql[64h + l]} (k = 0), of {@code ql[64h + 32 + l]} (k = 1), their high
 * nibbles (k = 2, 3), and bits {@code 2k, 2k + 1} of {@code qh[32h + l]}.
 */
final class Q6KMatrix extends WeightMatrix {
    private static final int BLOCK = 256;
    private static final int BYTES = 210;
    private static final int QH = 128;
    private static final int SCALES = 192;
    private static final int D = 208;

    Q6KMatrix(MemorySegment data, int rows, int cols) {
        super(GgmlType.Q6_K, data, rows, cols);
    }

    @Override
    void dequantize(long at, float[] into, int offset) {
        MemorySegment data = data();
        for (int c = offset; c < offset + cols(); c += BLOCK, at += BYTES) {
            float d = half(at + D);
            for (int h = 0; h < 2; h++) {
                for (int l = 0; l < 32; l++) {
                    int a = unsigned(data, at + 64 * h + l);
                    int b = unsigned(data, at + 64 * h + 32 + l);
                    int qh = unsigned(data, at + QH + 32 * h + l);
                    int[] q = {
                        (a & 0xF) | ((qh & 3) << 4),
                        (b & 0xF) | (((qh >> 2) & 3) << 4),
                        (a >> 4) | (((qh >> 4) & 3) << 4),
                        (b >> 4) | (((qh >> 6) & 3) << 4),
                    };
                    for (int k = 0; k < 4; k++) {
                        int value = 128 * h + 32 * k + l;
                        into[c + value] = d * data.get(ValueLayout.JAVA_BYTE, at + SCALES + value / 16) * (q[k] - 32);
                    }
                }
            }
        }
    }

    @Override
    void multiply(float[] x, int from, int to, float[] y, int yOffset) {
        int cols = cols();
        for (int r = from; r < to; r++) {
            long at = r * rowBytes;
            float sum = 0;
            for (int c = 0; c < cols; c += BLOCK, at += BYTES) {
                sum += block(at, x, c);
            }
            y[yOffset + r - from] = sum;
        }
    }

    /** The block at byte {@code at} times {@code x[c .. c + 255]}. */
    private float block(long at, float[] x, int c) {
        MemorySegment data = data();
        float d = half(at + D);
        FloatVector acc = FloatVector.zero(F);
        for (int h = 0; h < 2; h++) {
            for (int g = 0; g < 32; g += L) {
                ByteVector a = bytes(at + 64 * h + g);
                ByteVector b = bytes(at + 64 * h + 32 + g);
                ByteVector qh = bytes(at + QH + 32 * h + g);
                int first = c + 128 * h + g;
                long scales = at + SCALES + 8 * h + g / 16;
                acc = sixBits(a.and((byte) 0xF), qh.and((byte) 3)).mul(FloatVector.fromArray(F, x, first))
                        .fma(FloatVector.broadcast(F, d * data.get(ValueLayout.JAVA_BYTE, scales)), acc);
                acc = sixBits(b.and((byte) 0xF), qh.lanewise(VectorOperators.LSHR, 2).and((byte) 3))
                        .mul(FloatVector.fromArray(F, x, first + 32))
                        .fma(FloatVector.broadcast(F, d * data.get(ValueLayout.JAVA_BYTE, scales + 2)), acc);
                acc = sixBits(a.lanewise(VectorOperators.LSHR, 4), qh.lanewise(VectorOperators.LSHR, 4).and((byte) 3))
                        .mul(FloatVector.fromArray(F, x, first + 64))
                        .fma(FloatVector.broadcast(F, d * data.get(ValueLayout.JAVA_BYTE, scales + 4)), acc);
                acc = sixBits(b.lanewise(VectorOperators.LSHR, 4), qh.lanewise(VectorOperators.LSHR, 6))
                        .mul(FloatVector.fromArray(F, x, first + 96))
                        .fma(FloatVector.broadcast(F, d * data.get(ValueLayout.JAVA_BYTE, scales + 6)), acc);
            }
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    /** {@code (low | high << 4) - 32}, as floats. */
    private static FloatVector sixBits(ByteVector low, ByteVector high) {
        return floats(low.or(high.lanewise(VectorOperators.LSHL, 4)).sub((byte) 32));
    }

    private static int unsigned(MemorySegment data, long at) {
        return data.get(ValueLayout.JAVA_BYTE, at) & 0xFF;
    }
}
