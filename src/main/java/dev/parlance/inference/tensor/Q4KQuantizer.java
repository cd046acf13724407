package dev.parlance.inference.tensor;

import java.util.Arrays;

/**
 * ggml's {@code quantize_row_q4_K_ref} (the block layout is {@link Q4KMatrix}'s): each sub-block of
 * 32 values gets a scale and a min from {@code make_qkx2_quants}, a search over 21 candidate scales
 * that minimises the error weighted by {@code rms(sub-block) + |x|}; the eight scales and eight
 * mins are then stored as 6-bit multiples of the block's {@code d} and {@code dmin}, and the 4-bit
 * values are chosen again against the stored scales. The float arithmetic follows ggml's in the
 * same order, so the blocks are the same bit for bit. Not thread-safe: it keeps scratch space.
 */
final class Q4KQuantizer {
    private static final int BLOCK = 256;
    private static final int BYTES = 144;
    private static final int SUB = 32;
    /** The largest 4-bit value. */
    private static final int NMAX = 15;
    /** make_qkx2_quants tries {@code iscale = (RMIN + RDELTA * is + NMAX) / (max - min)} for is = 0 .. NSTEP. */
    private static final float RMIN = -1f;
    private static final float RDELTA = 0.1f;
    private static final int NSTEP = 20;

    private final byte[] levels = new byte[BLOCK];
    private final byte[] candidate = new byte[SUB];
    private final float[] weights = new float[SUB];
    private final float[] scales = new float[BLOCK / SUB];
    private final float[] mins = new float[BLOCK / SUB];
    private final byte[] packed = new byte[12];

    /** Writes the blocks of the row {@code x} to {@code into} from byte {@code at}. */
    void encode(float[] x, byte[] into, int at) {
        for (int b = 0; b < x.length; b += BLOCK, at += BYTES) {
            block(x, b, into, at);
        }
    }

    private void block(float[] x, int b, byte[] into, int at) {
        float maxScale = 0;
        float maxMin = 0;
        for (int j = 0; j < BLOCK / SUB; j++) {
            int first = b + SUB * j;
            float sumX2 = 0;
            for (int l = 0; l < SUB; l++) {
                sumX2 += x[first + l] * x[first + l];
            }
            float avX = (float) Math.sqrt(sumX2 / SUB);
            for (int l = 0; l < SUB; l++) {
                weights[l] = avX + Math.abs(x[first + l]);
            }
            scales[j] = scaleAndMin(x, first, SUB * j, j);
            if (scales[j] > maxScale) {
                maxScale = scales[j];
            }
            if (mins[j] > maxMin) {
                maxMin = mins[j];
            }
        }

        // the eight scales and mins as 6-bit multiples of d = maxScale / 63 and dmin = maxMin / 63
        float invScale = maxScale > 0 ? 63f / maxScale : 0f;
        float invMin = maxMin > 0 ? 63f / maxMin : 0f;
        Arrays.fill(packed, (byte) 0);
        for (int j = 0; j < BLOCK / SUB; j++) {
            int ls = Math.min(63, nearestInt(invScale * scales[j]) & 0xFF);
            int lm = Math.min(63, nearestInt(invMin * mins[j]) & 0xFF);
            if (j < 4) {
                packed[j] = (byte) ls;
                packed[j + 4] = (byte) lm;
            } else {
                packed[j + 4] = (byte) ((ls & 0xF) | (lm & 0xF) << 4);
                packed[j - 4] |= (byte) ((ls >> 4) << 6);
                packed[j] |= (byte) ((lm >> 4) << 6);
            }
        }
        short d = Float.floatToFloat16(maxScale / 63f);
        short dmin = Float.floatToFloat16(maxMin / 63f);

        // the values again, against the scales as stored; a sub-block whose stored scale is 0 keeps its first choice
        for (int j = 0; j < BLOCK / SUB; j++) {
            float subD = Float.float16ToFloat(d) * scale(j);
            if (subD == 0) {
                continue;
            }
            float subMin = Float.float16ToFloat(dmin) * min(j);
            for (int l = 0; l < SUB; l++) {
                int q = nearestInt((x[b + SUB * j + l] + subMin) / subD);
                levels[SUB * j + l] = (byte) Math.clamp(q, 0, NMAX);
            }
        }

        Quantizer.putShort(into, at, d);
        Quantizer.putShort(into, at + 2, dmin);
        System.arraycopy(packed, 0, into, at + 4, 12);
        for (int chunk = 0; chunk < BLOCK / 64; chunk++) {
            for (int l = 0; l < SUB; l++) {
                into[at + 16 + SUB * chunk + l] = (byte) (levels[64 * chunk + l] | levels[64 * chunk + SUB + l] << 4);
            }
        }
    }

    /**
     * ggml's {@code make_qkx2_quants} for the 32 values {@code x[first ..]} with {@link #weights}:
     * returns the scale, stores the min (negated, so {@code >= 0}) in {@code mins[j]} and the 4-bit
     * values in {@code levels[at ..]}. The value is {@code scale * q - min}; the min is never
     * above 0, so the range always holds 0.
     */
    private float scaleAndMin(float[] x, int first, int at, int j) {
        float min = x[first];
        float max = x[first];
        float sumW = weights[0];
        float sumX = sumW * x[first];
        for (int i = 1; i < SUB; i++) {
            float v = x[first + i];
            if (v < min) {
                min = v;
            }
            if (v > max) {
                max = v;
            }
            sumW += weights[i];
            sumX += weights[i] * v;
        }
        if (min > 0) {
            min = 0;
        }
        if (max == min) {
            Arrays.fill(levels, at, at + SUB, (byte) 0);
            mins[j] = -min;
            return 0f;
        }
        float iscale = NMAX / (max - min);
        float scale = 1 / iscale;
        float bestError = 0;
        for (int i = 0; i < SUB; i++) {
            int l = Math.clamp(nearestInt(iscale * (x[first + i] - min)), 0, NMAX);
            levels[at + i] = (byte) l;
            float diff = scale * l + min - x[first + i];
            bestError += weights[i] * (diff * diff);
        }
        for (int is = 0; is <= NSTEP; is++) {
            iscale = (RMIN + RDELTA * is + NMAX) / (max - min);
            float sumL = 0;
            float sumL2 = 0;
            float sumXl = 0;
            for (int i = 0; i < SUB; i++) {
                int l = Math.clamp(nearestInt(iscale * (x[first + i] - min)), 0, NMAX);
                candidate[i] = (byte) l;
                float w = weights[i];
                sumL += w * l;
                sumL2 += w * l * l;
                sumXl += w * l * x[first + i];
            }
            float det = sumW * sumL2 - sumL * sumL;
            if (det > 0) {
                float thisScale = (sumW * sumXl - sumX * sumL) / det;
                float thisMin = (sumL2 * sumX - sumL * sumXl) / det;
                if (thisMin > 0) {
                    thisMin = 0;
                    thisScale = sumXl / sumL2;
                }
                float error = 0;
                for (int i = 0; i < SUB; i++) {
                    float diff = thisScale * candidate[i] + thisMin - x[first + i];
                    error += weights[i] * (diff * diff);
                }
                if (error < bestError) {
                    System.arraycopy(candidate, 0, levels, at, SUB);
                    bestError = error;
                    scale = thisScale;
                    min = thisMin;
                }
            }
        }
        mins[j] = -min;
        return scale;
    }

    /** The 6-bit scale of sub-block j as {@link #packed} holds it (ggml's {@code get_scale_min_k4}). */
    private int scale(int j) {
        return j < 4 ? packed[j] & 63 : (packed[j + 4] & 0xF) | ((packed[j - 4] & 0xFF) >> 6) << 4;
    }

    /** The 6-bit min of sub-block j as {@link #packed} holds it. */
    private int min(int j) {
        return j < 4 ? packed[j + 4] & 63 : (packed[j + 4] & 0xFF) >> 4 | ((packed[j] & 0xFF) >> 6) << 4;
    }

    /** ggml's {@code nearest_int}: rounds to the nearest integer, ties to even, for |v| below 2^22. */
    private static int nearestInt(float v) {
        return (Float.floatToRawIntBits(v + 12582912f) & 0x007FFFFF) - 0x00400000;
    }
}
