package dev.parlance.inference.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** A prompt's attention over the cache against one decoded token's, token by token. */
class KvCacheTest {
    private Compute compute;

    @BeforeEach
    void setUp() {
        compute = new Compute(Compute.defaultThreads());
    }

    @AfterEach
    void tearDown() {
        compute.close();
    }

    @ParameterizedTest
    @CsvSource({"2, 3, 16, 0, 37", "2, 3, 64, 5, 37", "1, 7, 64, 40, 9", "4, 1, 8, 3, 70", "2, 8, 128, 0, 2"})
    void aPromptAttendsAsItsTokensWouldOneByOneOnAnyNumberOfThreads(int kvHeads, int group, int headDim,
            int cached, int tokens) {
        int heads = kvHeads * group;
        int layer = 1;
        int width = (heads + 2 * kvHeads) * headDim; // a token's queries, then its key and value
        float[] rows = MatVecTest.random(1, (cached + tokens) * width, 21)[0];
        try (KvCache cache = new KvCache(compute, new int[2], kvHeads, cached + tokens + 3, headDim)) {
            for (int p = 0; p < cached; p++) {
                cache.writeOne(layer, rows, p * width + heads * headDim, rows, p * width + (heads + kvHeads) * headDim);
                cache.advance(1);
            }
            int promptAt = cached * width;
            float[] prompt = Arrays.copyOfRange(rows, promptAt, rows.length);
            for (int t = 0; t < tokens; t++) {
                cache.writeAt(layer, cached + t, prompt, t * width + heads * headDim, prompt,
                        t * width + (heads + kvHeads) * headDim);
            }
            float[] expected = new float[tokens * heads * headDim];
            float[] one = new float[heads * headDim];
            for (int t = 0; t < tokens; t++) {
                cache.attend(layer, 0, cached + t + 1, prompt, t * width, heads, group, one);
                System.arraycopy(one, 0, expected, t * heads * headDim, one.length);
            }

            compute.useThreads(1);
            float[] onOne = new float[expected.length];
            cache.attendPrompt(layer, tokens, prompt, width, heads, group, onOne);
            assertThat(onOne).containsExactly(expected, within(1e-5f));
            compute.useThreads(3);
            float[] onThree = new float[expected.length];
            cache.attendPrompt(layer, tokens, prompt, width, heads, group, onThree);
            assertThat(onThree).containsExactly(onOne, within(1e-6f)); // exp may round differently once compiled
        }
    }

    @ParameterizedTest
    @CsvSource({"0", "1"})
    void aPositionAlreadyHeldIsRefused(int position) {
        try (KvCache cache = cacheHoldingTwoOfFive()) {
            assertThatThrownBy(() -> cache.writeAt(0, position, new float[4], 0, new float[4], 0))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("the cache holds 2");
        }
    }

    @ParameterizedTest
    @CsvSource({"5", "6"})
    void aPositionBeyondTheCapacityFindsTheCacheFull(int position) {
        try (KvCache cache = cacheHoldingTwoOfFive()) {
            assertThatThrownBy(() -> cache.writeAt(0, position, new float[4], 0, new float[4], 0))
                    .isInstanceOf(IllegalStateException.class).hasMessage("KV cache full: 5 positions");
        }
    }

    /**
     * A sliding-window layer in a ring, against the same layer holding every position, where each
     * token's attention is taken over its window: a prompt in ring-sized chunks, then decoded tokens.
     */
    @ParameterizedTest
    @CsvSource({"1, 4, 16, 16, 300", "2, 2, 32, 5, 200"})
    void aRingAttendsAsTheWholeCacheOverTheWindow(int kvHeads, int group, int headDim, int window, int positions) {
        int heads = kvHeads * group;
        int width = (heads + 2 * kvHeads) * headDim;
        float[] rows = new float[positions * width];
        var random = new Random(7);
        for (int i = 0; i < rows.length; i++) {
            rows[i] = (float) random.nextGaussian();
        }
        int prompt = positions - 20;
        try (KvCache ring = new KvCache(compute, new int[] {window}, kvHeads, positions, headDim);
                KvCache whole = new KvCache(compute, new int[1], kvHeads, positions, headDim)) {
            float[] fromRing = new float[prompt * heads * headDim];
            ring.writeAndAttendInWindow(0, prompt, window, rows, width, heads, group, fromRing);
            ring.advance(prompt);
            float[] one = new float[heads * headDim];
            for (int t = 0; t < positions; t++) {
                whole.writeOne(0, rows, t * width + heads * headDim, rows, t * width + (heads + kvHeads) * headDim);
                whole.attend(0, Math.max(0, t + 1 - window), t + 1, rows, t * width, heads, group, one);
                whole.advance(1);
                float[] expected = one.clone();
                if (t < prompt) {
                    assertThat(Arrays.copyOfRange(fromRing, t * one.length, (t + 1) * one.length))
                            .as("prompt token %d", t).containsExactly(expected, within(1e-5f));
                } else {
                    ring.writeOne(0, rows, t * width + heads * headDim, rows, t * width + (heads + kvHeads) * headDim);
                    ring.attend(0, Math.max(0, t + 1 - window), t + 1, rows, t * width, heads, group, one);
                    ring.advance(1);
                    assertThat(one).as("decoded token %d", t).containsExactly(expected, within(1e-5f));
                }
            }
        }
    }

    @ParameterizedTest
    @CsvSource({"290, 0", "240, 0", "100, 15", "10, 10"}) // one ring layer of window 16: 15 positions back
    void truncatingARingPastWhatItHoldsHandsBackTheTokensOfTheWindow(int newLength, int replayed) {
        try (KvCache cache = new KvCache(compute, new int[] {0, 16}, 1, 300, 4)) {
            int[] tokens = new int[300];
            Arrays.setAll(tokens, i -> 1000 + i);
            cache.record(tokens);
            cache.advance(300);
            cache.truncate(newLength);
            int[] replay = cache.takeReplay();
            assertThat(replay).hasSize(replayed);
            if (replayed > 0) {
                assertThat(replay[0]).isEqualTo(1000 + newLength - replayed);
            }
            assertThat(cache.length()).isEqualTo(newLength - replayed);
            assertThat(cache.takeReplay()).isEmpty();
        }
    }

    private KvCache cacheHoldingTwoOfFive() {
        KvCache cache = new KvCache(compute, new int[1], 1, 5, 4);
        for (int p = 0; p < 2; p++) {
            cache.writeOne(0, new float[4], 0, new float[4], 0);
            cache.advance(1);
        }
        return cache;
    }
}
