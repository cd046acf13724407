package dev.parlance.inference.sampling;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.parlance.inference.SamplingConfig;
import java.util.List;
import org.junit.jupiter.api.Test;

class SamplerTest {
    private static final float[] LOGITS = {1.0f, 3.0f, 2.5f, -1.0f, 2.9f};

    private static SamplingConfig config(double temperature, int topK, double topP, double minP, double penalty, long seed) {
        return new SamplingConfig(temperature, topK, topP, minP, penalty, seed, 10, List.of());
    }

    private static int[] counts(SamplingConfig config, int draws) {
        var sampler = new Sampler(config);
        int[] counts = new int[LOGITS.length];
        for (int i = 0; i < draws; i++) {
            counts[sampler.sample(LOGITS.clone(), new int[0], 0)]++;
        }
        return counts;
    }

    @Test
    void greedyTakesTheLargestLogitAndTheLowestIdOnTies() {
        assertThat(new Sampler(SamplingConfig.greedy(1)).sample(LOGITS.clone(), new int[0], 0)).isEqualTo(1);
        assertThat(Sampler.argmax(new float[] {0, 5, 5, 1})).isEqualTo(1);
    }

    @Test
    void repetitionPenaltyTurnsGreedyAwayFromSeenTokens() {
        var sampler = new Sampler(config(0, 0, 1, 0, 1.5, 0));
        assertThat(sampler.sample(LOGITS.clone(), new int[] {1, 1}, 2)).isEqualTo(4);
    }

    @Test
    void topKOfOneIsGreedyWhateverTheTemperature() {
        assertThat(counts(config(5, 1, 1, 0, 1, 3), 200)).containsExactly(0, 200, 0, 0, 0);
    }

    @Test
    void topPKeepsTheSmallestSetReachingP() {
        // at temperature 1: p(1) = 0.38, p(4) = 0.34, p(2) = 0.23: top-p 0.6 keeps ids 1 and 4
        int[] counts = counts(config(1, 0, 0.6, 0, 1, 5), 4000);
        assertThat(counts[0] + counts[2] + counts[3]).isZero();
        assertThat(counts[1]).isGreaterThan(counts[4]);
        assertThat(counts[4]).isPositive();
    }

    @Test
    void minPDropsTokensFarBelowTheBest() {
        // p(2) / p(1) = e^-0.5 = 0.61 and p(0) / p(1) = e^-2: min-p 0.5 keeps 1, 4 and 2
        int[] counts = counts(config(1, 0, 1, 0.5, 1, 9), 4000);
        assertThat(counts[0] + counts[3]).isZero();
        assertThat(counts[2]).isPositive();
    }

    @Test
    void drawsFollowTheSoftmaxOfTheScaledLogits() {
        int draws = 20000;
        int[] counts = counts(config(2, 0, 1, 0, 1, 11), draws);
        double[] expected = new double[LOGITS.length];
        double sum = 0;
        for (int i = 0; i < LOGITS.length; i++) {
            expected[i] = Math.exp(LOGITS[i] / 2);
            sum += expected[i];
        }
        for (int i = 0; i < LOGITS.length; i++) {
            assertThat(counts[i] / (double) draws).as("token %d", i).isCloseTo(expected[i] / sum, within(0.015));
        }
    }

    @Test
    void theSameSeedGivesTheSameDraws() {
        assertThat(counts(config(1, 0, 1, 0, 1, 77), 50)).containsExactly(counts(config(1, 0, 1, 0, 1, 77), 50));
    }

    @Test
    void frequencyPenaltySubtractsOncePerEarlierChoice() {
        var sampler = new Sampler(SamplingConfig.greedy(10).withPenalties(0.04, 0));
        assertThat(sampler.sample(LOGITS.clone(), new int[0], 0)).isEqualTo(1);
        float[] second = LOGITS.clone();
        assertThat(sampler.sample(second, new int[0], 0)).isEqualTo(1);
        float[] third = LOGITS.clone();
        sampler.sample(third, new int[0], 0);
        assertThat(second[1]).isCloseTo(2.96f, within(1e-6f));
        assertThat(third[1]).isCloseTo(2.92f, within(1e-6f));
        assertThat(third[4]).isEqualTo(2.9f);
    }

    @Test
    void presencePenaltySubtractsOnceWhateverTheCount() {
        var sampler = new Sampler(SamplingConfig.greedy(10).withPenalties(0, 0.2));
        assertThat(sampler.sample(LOGITS.clone(), new int[0], 0)).isEqualTo(1);
        float[] second = LOGITS.clone();
        assertThat(sampler.sample(second, new int[0], 0)).isEqualTo(4);
        float[] third = LOGITS.clone();
        sampler.sample(third, new int[0], 0);
        assertThat(second[1]).isCloseTo(2.8f, within(1e-6f));
        assertThat(third[1]).isCloseTo(2.8f, within(1e-6f));
        assertThat(third[4]).isCloseTo(2.7f, within(1e-6f));
        assertThat(third[0]).isEqualTo(1.0f);
    }

    @Test
    void penaltiesIgnoreThePromptAndNegativeOnesFavourRepeats() {
        var sampler = new Sampler(SamplingConfig.greedy(10).withPenalties(-1, 0));
        float[] first = LOGITS.clone();
        assertThat(sampler.sample(first, new int[] {4, 4, 4}, 3)).isEqualTo(1);
        assertThat(first).containsExactly(LOGITS);
        float[] second = LOGITS.clone();
        sampler.sample(second, new int[] {4, 4, 4, 1}, 4);
        assertThat(second[1]).isCloseTo(4.0f, within(1e-6f));
    }

    @Test
    void penaltiesOutsideOpenAisRangeAreRejected() {
        assertThatThrownBy(() -> SamplingConfig.greedy(1).withPenalties(2.5, 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("frequency penalty");
        assertThatThrownBy(() -> SamplingConfig.greedy(1).withPenalties(0, Double.NaN))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("presence penalty");
    }
}
