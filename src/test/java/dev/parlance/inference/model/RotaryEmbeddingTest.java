package dev.parlance.inference.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class RotaryEmbeddingTest {
    private static final int HEAD_DIM = 128;
    private static final double THETA = 500000;

    private static float[] angles(RotaryEmbedding rope, int position) {
        float[] cosSin = new float[rope.anglesLength()];
        rope.angles(position, cosSin, 0);
        return cosSin;
    }

    /** The angle of dimension pair {@code i} at position 1 is the pair's frequency itself. */
    private static double frequency(RotaryEmbedding rope, int i) {
        float[] cosSin = angles(rope, 1);
        return Math.atan2(cosSin[HEAD_DIM / 2 + i], cosSin[i]);
    }

    private static double unscaled(int i) {
        return 1 / Math.pow(THETA, 2.0 * i / HEAD_DIM);
    }

    @Test
    void llama3ScalingKeepsHighFrequenciesSlowsLowOnesAndBlendsBetween() {
        // Llama 3.1's rope_scaling: factor 8, low 1, high 4, original context 8192
        var rope = new RotaryEmbedding(new Rope(THETA, "llama3", 8, 1, 4, 8192), HEAD_DIM);
        assertThat(frequency(rope, 0)).isCloseTo(unscaled(0), within(1e-6));
        assertThat(frequency(rope, 63)).isCloseTo(unscaled(63) / 8, within(1e-9));
        // wavelengths between 8192/4 and 8192 blend: smooth = (8192 / wavelen - 1) / (4 - 1)
        int medium = 0;
        for (int i = 0; i < HEAD_DIM / 2; i++) {
            double wavelen = 2 * Math.PI / unscaled(i);
            if (wavelen >= 2048 && wavelen <= 8192) {
                medium = i;
                break;
            }
        }
        double smooth = (8192 / (2 * Math.PI / unscaled(medium)) - 1) / 3;
        double blended = (1 - smooth) * unscaled(medium) / 8 + smooth * unscaled(medium);
        assertThat(medium).isPositive();
        assertThat(frequency(rope, medium)).isCloseTo(blended, within(blended * 1e-5));
    }

    @Test
    void linearScalingDividesEveryFrequency() {
        var rope = new RotaryEmbedding(new Rope(10000, "linear", 4, 1, 1, 0), 64);
        float[] cosSin = angles(rope, 1);
        assertThat(Math.atan2(cosSin[32 + 1], cosSin[1])).isCloseTo(Math.pow(10000, -2.0 / 64) / 4, within(1e-7));
    }

    @Test
    void rotatingInJavaMatchesTheTensorFormula() {
        var rope = new RotaryEmbedding(Rope.plain(10000), 4);
        float[] x = {1, 2, 3, 4};
        float[] cosSin = angles(rope, 3);
        rope.rotate(x, 0, 1, cosSin);
        // rotate_half pairs dimension i with i + 2: (1, 3) and (2, 4)
        double a0 = 3 * 1.0;
        double a1 = 3 * Math.pow(10000, -0.5);
        assertThat(x[0]).isCloseTo((float) (1 * Math.cos(a0) - 3 * Math.sin(a0)), within(1e-5f));
        assertThat(x[2]).isCloseTo((float) (3 * Math.cos(a0) + 1 * Math.sin(a0)), within(1e-5f));
        assertThat(x[1]).isCloseTo((float) (2 * Math.cos(a1) - 4 * Math.sin(a1)), within(1e-5f));
        assertThat(x[3]).isCloseTo((float) (4 * Math.cos(a1) + 2 * Math.sin(a1)), within(1e-5f));
    }

    @Test
    void partialRotaryTurnsTheLeadingDimensionsWithTheirOwnFrequenciesAndLeavesTheRest() {
        // Phi-3's partial_rotary_factor 0.75 on heads of 16: 12 dimensions turn, pairs (i, i + 6)
        var rope = new RotaryEmbedding(Rope.plain(10000), 16, 12);
        float[] x = new float[16];
        for (int i = 0; i < 16; i++) {
            x[i] = i + 1;
        }
        rope.rotate(x, 0, 1, angles(rope, 5));
        for (int i = 0; i < 6; i++) {
            double angle = 5 * Math.pow(10000, -2.0 * i / 12);
            double a = i + 1;
            double b = i + 7;
            assertThat(x[i]).as("dimension %d", i).isCloseTo((float) (a * Math.cos(angle) - b * Math.sin(angle)),
                    within(1e-4f));
            assertThat(x[i + 6]).as("dimension %d", i + 6).isCloseTo((float) (b * Math.cos(angle) + a * Math.sin(angle)),
                    within(1e-4f));
        }
        for (int i = 12; i < 16; i++) {
            assertThat(x[i]).as("dimension %d", i).isEqualTo(i + 1);
        }
    }
}
