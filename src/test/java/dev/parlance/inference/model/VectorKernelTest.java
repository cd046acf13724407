package dev.parlance.inference.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The kernels besides the products, against plain double-precision arithmetic. */
class VectorKernelTest {
    @ParameterizedTest
    @CsvSource({"8, 1, 1", "8, 17, 3", "16, 15, 1", "16, 16, 2", "64, 63, 3", "64, 64, 1", "64, 65, 7",
            "64, 200, 3", "80, 129, 2", "128, 70, 4", "128, 1, 2"})
    void theAttentionOfQueryHeadsSharingAKvHeadIsTheSoftmaxWeightedSumOfItsValues(int headDim, int length,
            int queries) {
        int capacity = length + 9; // positions beyond the length hold values that must not be read
        float[][] k = MatVecTest.random(capacity, headDim, 1);
        float[][] v = MatVecTest.random(capacity, headDim, 2);
        float[] q = MatVecTest.random(1, 3 + queries * headDim, 3)[0]; // the heads' queries start at 3
        int base = 5;
        MemorySegment keys = floats(base + capacity * headDim);
        MemorySegment values = floats(base + capacity * headDim);
        for (int l = 0; l < capacity; l++) {
            for (int d = 0; d < headDim; d++) {
                keys.set(FLOAT, (base + l * headDim + d) * Float.BYTES, k[l][d]);
                values.set(FLOAT, (base + l * headDim + d) * Float.BYTES, v[l][d]);
            }
        }
        float[] out = new float[2 + queries * headDim];
        VectorKernel.attend(q, 3, queries, keys, values, base, headDim, length, new float[queries * length], out, 2, 0);

        for (int g = 0; g < queries; g++) {
            double[] expected = attention(q, 3 + g * headDim, k, v, length);
            for (int d = 0; d < headDim; d++) {
                assertThat(out[2 + g * headDim + d]).as("head %d dimension %d", g, d)
                        .isCloseTo((float) expected[d], within(1e-5f));
            }
        }
        assertThat(out[0]).isZero();
        assertThat(out[1]).isZero();
    }

    @ParameterizedTest
    @CsvSource({"64, 1, 3, 1", "64, 10, 3, 10", "64, 4, 7, 30", "64, 4, 8, 500", "16, 3, 5, 2", "80, 5, 2, 41",
            "128, 2, 1, 17", "8, 33, 1, 0"})
    void theAttentionOfABlockOfPromptTokensGivesEachTokenThePositionsUpToItsOwn(int headDim, int tokens, int group,
            int cached) {
        int length = cached + tokens;
        int capacity = length + 9; // positions beyond the last token hold values that must not be read
        int firstRow = 2;
        float[][] k = MatVecTest.random(capacity, headDim, 4);
        float[][] v = MatVecTest.random(capacity, headDim, 5);
        MemorySegment keys = floats((firstRow + capacity) * headDim);
        float[] values = new float[length * headDim + VectorKernel.TOKEN_PANEL];
        Arrays.fill(values, Float.NaN); // the room after the values: read, and never stored
        for (int l = 0; l < capacity; l++) {
            for (int d = 0; d < headDim; d++) {
                keys.set(FLOAT, ((firstRow + l) * headDim + d) * Float.BYTES, k[l][d]);
                if (l < length) {
                    values[l * headDim + d] = v[l][d];
                }
            }
        }
        int qStride = (group + 2) * headDim + 3; // each token's row holds more than these queries
        float[] q = MatVecTest.random(1, 7 + tokens * qStride, 6)[0];
        int outStride = group * headDim + 1;
        float[] out = new float[4 + tokens * outStride];
        VectorKernel.attendTokens(q, 7, qStride, tokens, group, keys, firstRow, values, headDim, length,
                new VectorKernel.AttentionScratch().fit(tokens, group, length, headDim), out, 4, outStride, 0);

        for (int t = 0; t < tokens; t++) {
            for (int g = 0; g < group; g++) {
                double[] expected = attention(q, 7 + t * qStride + g * headDim, k, v, cached + t + 1);
                for (int d = 0; d < headDim; d++) {
                    assertThat(out[4 + t * outStride + g * headDim + d]).as("token %d head %d dimension %d", t, g, d)
                            .isCloseTo((float) expected[d], within(1e-5f));
                }
            }
        }
        assertThat(Arrays.copyOf(out, 4)).containsOnly(0f);
    }

    @Test
    void swiGluOfAPromptsTokensOnTheComputeThreadsIsSwiGluOfEachRow() {
        int tokens = 37;
        int inter = 50;
        float[] gateUp = MatVecTest.random(1, tokens * 2 * inter, 8)[0];
        float[] expected = gateUp.clone();
        for (int t = 0; t < tokens; t++) {
            VectorKernel.swiGlu(expected, t * 2 * inter, inter);
        }
        try (Compute compute = new Compute(2)) {
            VectorKernel.swiGluTokens(compute, gateUp, tokens, inter);
        }
        assertThat(gateUp).containsExactly(expected);
    }

    /** softmax(q · K) · V over positions {@code 0 .. length - 1}, in double precision. */
    private static double[] attention(float[] q, int qa, float[][] k, float[][] v, int length) {
        int headDim = k[0].length;
        double[] scores = new double[length];
        double max = Double.NEGATIVE_INFINITY;
        for (int l = 0; l < length; l++) {
            for (int d = 0; d < headDim; d++) {
                scores[l] += (double) q[qa + d] * k[l][d];
            }
            max = Math.max(max, scores[l]);
        }
        double total = 0;
        for (int l = 0; l < length; l++) {
            scores[l] = Math.exp(scores[l] - max);
            total += scores[l];
        }
        double[] out = new double[headDim];
        for (int d = 0; d < headDim; d++) {
            for (int l = 0; l < length; l++) {
                out[d] += scores[l] / total * v[l][d];
            }
        }
        return out;
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 15, 16, 33, 1536})
    void swiGluIsSiluOfTheGateTimesUp(int inter) {
        int at = 5; // a prompt's rows follow one another in one array
        float[] gateUp = MatVecTest.random(1, at + 2 * inter, 4)[0];
        for (int i = 0; i < gateUp.length; i++) {
            gateUp[i] *= 12; // reaches where the sigmoid saturates
        }
        float[] before = gateUp.clone();
        float[] expected = new float[inter];
        for (int i = 0; i < inter; i++) {
            double gate = gateUp[at + i];
            expected[i] = (float) (gate / (1 + Math.exp(-gate)) * gateUp[at + inter + i]);
        }
        VectorKernel.swiGlu(gateUp, at, inter);
        for (int i = 0; i < inter; i++) {
            assertThat(gateUp[at + i]).as("element %d", i)
                    .isCloseTo(expected[i], within(1e-5f * Math.max(1, Math.abs(expected[i]))));
        }
        assertThat(Arrays.copyOf(gateUp, at)).containsExactly(Arrays.copyOf(before, at));
    }

    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT.withOrder(ByteOrder.LITTLE_ENDIAN);

    private static MemorySegment floats(int count) {
        return Arena.ofAuto().allocate((long) count * Float.BYTES, 64);
    }
}
