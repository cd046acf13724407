package dev.parlance.inference.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The decode kernels besides the products, against plain double-precision arithmetic. */
class VectorKernelTest {
    @ParameterizedTest
    @CsvSource({"8, 1", "8, 17", "16, 15", "16, 16", "64, 63", "64, 64", "64, 65", "64, 200", "80, 129", "128, 70"})
    void oneHeadsAttentionIsTheSoftmaxWeightedSumOfTheValues(int headDim, int length) {
        int capacity = length + 9; // positions beyond the length hold values that must not be read
        float[][] k = MatVecTest.random(capacity, headDim, 1);
        float[][] v = MatVecTest.random(capacity, headDim, 2);
        float[] q = MatVecTest.random(1, headDim + 3, 3)[0]; // the head's queries start at 3
        int keyBase = 5;
        int valueBase = 11;
        ByteBuffer keys = floats(keyBase + headDim * capacity);
        ByteBuffer values = floats(valueBase + capacity * headDim);
        for (int l = 0; l < capacity; l++) {
            for (int d = 0; d < headDim; d++) {
                keys.putFloat((keyBase + d * capacity + l) * Float.BYTES, k[l][d]);
                values.putFloat((valueBase + l * headDim + d) * Float.BYTES, v[l][d]);
            }
        }
        float[] out = new float[headDim + 2];
        VectorKernel.attend(q, 3, keys, keyBase, values, valueBase, capacity, headDim, length,
                new float[length], out, 2);

        double[] scores = new double[length];
        double max = Double.NEGATIVE_INFINITY;
        for (int l = 0; l < length; l++) {
            for (int d = 0; d < headDim; d++) {
                scores[l] += (double) q[3 + d] * k[l][d];
            }
            max = Math.max(max, scores[l]);
        }
        double total = 0;
        for (int l = 0; l < length; l++) {
            scores[l] = Math.exp(scores[l] - max);
            total += scores[l];
        }
        for (int d = 0; d < headDim; d++) {
            double expected = 0;
            for (int l = 0; l < length; l++) {
                expected += scores[l] / total * v[l][d];
            }
            assertThat(out[2 + d]).as("dimension %d", d).isCloseTo((float) expected, within(1e-5f));
        }
        assertThat(out[0]).isZero();
        assertThat(out[1]).isZero();
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 15, 16, 33, 1536})
    void swiGluIsSiluOfTheGateTimesUp(int inter) {
        float[] gateUp = MatVecTest.random(1, 2 * inter, 4)[0];
        for (int i = 0; i < gateUp.length; i++) {
            gateUp[i] *= 12; // reaches where the sigmoid saturates
        }
        float[] expected = new float[inter];
        for (int i = 0; i < inter; i++) {
            double gate = gateUp[i];
            expected[i] = (float) (gate / (1 + Math.exp(-gate)) * gateUp[inter + i]);
        }
        VectorKernel.swiGlu(gateUp, inter);
        for (int i = 0; i < inter; i++) {
            assertThat(gateUp[i]).as("element %d", i).isCloseTo(expected[i], within(1e-5f * Math.max(1, Math.abs(expected[i]))));
        }
    }

    private static ByteBuffer floats(int count) {
        return ByteBuffer.allocateDirect(count * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
    }
}
