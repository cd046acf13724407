package dev.parlance.inference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.parlance.inference.model.KvCache;
import dev.parlance.inference.model.Ops;
import dev.parlance.inference.model.SafeTensors;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The engine on small models made by the test itself. */
class EngineTest {
    private static final int[] PROMPT = {72, 101, 108, 108, 111, 44, 32, 119, 111, 114, 108, 100};

    @TempDir
    Path dir;

    @Test
    void decodingWithTheKvCacheGivesTheLogitsOfFullRecomputation() throws Exception {
        try (LanguageModel model = TinyModels.load(TinyModels.write(dir, SafeTensors.DType.F32, 1))) {
            float[][] full = FixtureGoldenTest.allLogits(model, PROMPT);
            try (KvCache cache = model.network().newCache(PROMPT.length)) {
                for (int t = 0; t < PROMPT.length; t++) {
                    float[] step = model.network().forward(new int[] {PROMPT[t]}, cache, false);
                    for (int i = 0; i < step.length; i++) {
                        assertThat(step[i]).as("position %d logit %d", t, i).isCloseTo(full[t][i], within(1e-4f));
                    }
                }
            }
        }
    }

    @Test
    void aPromptOfSeveralAttentionBlocksGivesTheLogitsOfOneTokenAtATimeAlsoWhenItFollowsACachedPrefix()
            throws Exception {
        int[] prompt = new int[Ops.ATTENTION_BLOCK + 72];
        for (int i = 0; i < prompt.length; i++) {
            prompt[i] = 32 + (i * 37) % 90;
        }
        try (LanguageModel model = TinyModels.load(TinyModels.write(dir, SafeTensors.DType.F32, 1))) {
            float[][] whole = FixtureGoldenTest.allLogits(model, prompt);
            float[][] afterPrefix = FixtureGoldenTest.logitsInTwoPieces(model, prompt, 40);
            try (KvCache cache = model.network().newCache(prompt.length)) {
                for (int t = 0; t < prompt.length; t++) {
                    float[] step = model.network().forward(new int[] {prompt[t]}, cache, false);
                    assertThat(whole[t]).as("one pass, position %d", t).containsExactly(step, within(1e-4f));
                    assertThat(afterPrefix[t]).as("after a prefix, position %d", t).containsExactly(step, within(1e-4f));
                }
            }
        }
    }

    @Test
    void twoModelsLoadedSideBySideComputeOnThreadCountsOfTheirOwn() throws Exception {
        Path folder = TinyModels.write(dir, SafeTensors.DType.F32, 1);
        try (LanguageModel one = TinyModels.load(folder); LanguageModel three = TinyModels.load(folder)) {
            one.useThreads(1);
            three.useThreads(3);
            float[][] onOne = FixtureGoldenTest.allLogits(one, PROMPT);
            float[][] onThree = FixtureGoldenTest.allLogits(three, PROMPT);
            assertThat(one.threads()).isEqualTo(1);
            assertThat(three.threads()).isEqualTo(3);
            for (int t = 0; t < PROMPT.length; t++) {
                assertThat(onThree[t]).as("position %d", t).containsExactly(onOne[t], within(1e-5f));
            }
        }
    }

    @ParameterizedTest
    @CsvSource({"F32, 3", "F16, 1", "BF16, 1", "BF16, 2"})
    void shardedAndHalfPrecisionFoldersLoadToTheSameNumbers(SafeTensors.DType dtype, int shards) throws Exception {
        float[][] reference;
        try (LanguageModel model = TinyModels.load(TinyModels.write(dir.resolve("ref"), SafeTensors.DType.F32, 1))) {
            reference = FixtureGoldenTest.allLogits(model, PROMPT);
        }
        try (LanguageModel model = TinyModels.load(TinyModels.write(dir.resolve("other"), dtype, shards))) {
            float[][] logits = FixtureGoldenTest.allLogits(model, PROMPT);
            for (int t = 0; t < PROMPT.length; t++) {
                assertThat(logits[t]).containsExactly(reference[t], within(1e-6f));
            }
        }
    }

    @Test
    void reusingThePromptPrefixGivesTheSameContinuationAsAFreshRun() throws Exception {
        try (LanguageModel model = TinyModels.load(TinyModels.write(dir, SafeTensors.DType.F32, 1))) {
            int[] longer = concat(PROMPT, new int[] {33, 32, 72, 105});
            GenerationResult fresh;
            try (Generator generator = new Generator(model, 256)) {
                fresh = generator.generate(Generator.Request.of(longer, SamplingConfig.greedy(12)), (id, t, l) -> { });
            }
            try (Generator generator = new Generator(model, 256)) {
                generator.generate(Generator.Request.of(PROMPT, SamplingConfig.greedy(5)), (id, t, l) -> { });
                var reused = generator.generate(Generator.Request.of(longer, SamplingConfig.greedy(12)), (id, t, l) -> { });
                assertThat(reused.stats().reusedTokens()).isEqualTo(PROMPT.length);
                assertThat(reused.tokens()).containsExactly(fresh.tokens());
            }
        }
    }

    @Test
    void aStopIdEndsGenerationWithoutBeingEmitted() throws Exception {
        try (LanguageModel model = TinyModels.load(TinyModels.write(dir, SafeTensors.DType.F32, 1));
                Generator generator = new Generator(model, 256)) {
            int[] free = generator.generate(Generator.Request.of(PROMPT, SamplingConfig.greedy(10)), (id, t, l) -> { }).tokens();
            int stopAt = free[3];
            var request = new Generator.Request(PROMPT, SamplingConfig.greedy(10), Set.of(stopAt), 0, () -> false);
            var result = generator.generate(request, (id, t, l) -> { });
            assertThat(result.finish()).isEqualTo(FinishReason.STOP);
            assertThat(result.tokens()).doesNotContain(stopAt).hasSizeLessThanOrEqualTo(3);
        }
    }

    @Test
    void maxNewTokensEndsWithLengthAndAFullContextWithContextFull() throws Exception {
        try (LanguageModel model = TinyModels.load(TinyModels.write(dir, SafeTensors.DType.F32, 1))) {
            try (Generator generator = new Generator(model, 256)) {
                var result = generator.generate(Generator.Request.of(PROMPT, SamplingConfig.greedy(7)), (id, t, l) -> { });
                assertThat(result.finish()).isEqualTo(FinishReason.LENGTH);
                assertThat(result.tokens()).hasSize(7);
            }
            try (Generator generator = new Generator(model, 16)) {
                var result = generator.generate(Generator.Request.of(PROMPT, SamplingConfig.greedy(100)), (id, t, l) -> { });
                assertThat(result.finish()).isEqualTo(FinishReason.CONTEXT_FULL);
                assertThat(result.tokens()).hasSize(16 - PROMPT.length);
            }
        }
    }

    @Test
    void aPromptLongerThanTheContextIsRefusedWithTheNumbers() throws Exception {
        try (LanguageModel model = TinyModels.load(TinyModels.write(dir, SafeTensors.DType.F32, 1));
                Generator generator = new Generator(model, 8)) {
            assertThatThrownBy(() -> generator.generate(Generator.Request.of(PROMPT, SamplingConfig.greedy(4)), (id, t, l) -> { }))
                    .isInstanceOf(ContextOverflowException.class)
                    .hasMessageContaining("12 tokens").hasMessageContaining("only 8");
        }
    }

    @Test
    void cancelStopsBeforeTheNextToken() throws Exception {
        try (LanguageModel model = TinyModels.load(TinyModels.write(dir, SafeTensors.DType.F32, 1));
                Generator generator = new Generator(model, 256)) {
            var cancelled = new AtomicBoolean();
            List<Integer> seen = new ArrayList<>();
            var request = new Generator.Request(PROMPT, SamplingConfig.greedy(100), Set.of(), 0, cancelled::get);
            var result = generator.generate(request, (id, text, l) -> {
                seen.add(id);
                if (seen.size() == 5) {
                    cancelled.set(true);
                }
            });
            assertThat(result.finish()).isEqualTo(FinishReason.CANCELLED);
            assertThat(result.tokens()).hasSize(5);
        }
    }

    @Test
    void theSameSeedRepeatsASampledRunAndAnotherSeedDiffers() throws Exception {
        try (LanguageModel model = TinyModels.load(TinyModels.write(dir, SafeTensors.DType.F32, 1));
                Generator generator = new Generator(model, 256)) {
            var sampling = new SamplingConfig(1.5, 0, 1, 0, 1, 42, 30, List.of());
            int[] first = generator.generate(Generator.Request.of(PROMPT, sampling), (id, t, l) -> { }).tokens();
            int[] again = generator.generate(Generator.Request.of(PROMPT, sampling), (id, t, l) -> { }).tokens();
            var other = new SamplingConfig(1.5, 0, 1, 0, 1, 43, 30, List.of());
            int[] different = generator.generate(Generator.Request.of(PROMPT, other), (id, t, l) -> { }).tokens();
            assertThat(again).containsExactly(first);
            assertThat(different).isNotEqualTo(first);
        }
    }

    @Test
    void logprobsReportTheChosenTokenAndItsAlternativesBestFirst() throws Exception {
        try (LanguageModel model = TinyModels.load(TinyModels.write(dir, SafeTensors.DType.F32, 1));
                Generator generator = new Generator(model, 256)) {
            var request = new Generator.Request(PROMPT, SamplingConfig.greedy(3), Set.of(), 4, () -> false);
            var result = generator.generate(request, (id, t, l) -> { });
            assertThat(result.logprobs()).hasSize(3);
            for (TokenLogprob logprob : result.logprobs()) {
                assertThat(logprob.top()).hasSize(4);
                assertThat(logprob.top().get(0).id()).isEqualTo(logprob.id());
                assertThat(logprob.logprob()).isLessThanOrEqualTo(0).isEqualTo(logprob.top().get(0).logprob());
                assertThat(logprob.top().get(1).logprob()).isLessThanOrEqualTo(logprob.top().get(0).logprob());
            }
        }
    }

    @Test
    void theDefaultContextNeverReservesMoreThanHalfTheFreeMemoryForTheKvCache() throws Exception {
        Path folder = TinyModels.write(dir, SafeTensors.DType.F32, 1);
        Path config = folder.resolve("config.json");
        java.nio.file.Files.writeString(config, java.nio.file.Files.readString(config)
                .replace("\"max_position_embeddings\": 256", "\"max_position_embeddings\": 2000000000"));
        try (LanguageModel model = TinyModels.load(folder)) {
            long available = SystemMemory.availableBytes();
            int context = model.defaultContextLength();
            assertThat(model.config().contextLength()).isEqualTo(2_000_000_000);
            assertThat(context).isGreaterThanOrEqualTo(2048).isLessThan(2_000_000_000);
            assertThat((long) context * model.config().kvBytesPerToken()).isLessThanOrEqualTo(available / 2 + available / 10);
            assertThat(model.contextLengthFor(4096)).isEqualTo(4096);
        }
    }

    static int[] concat(int[] a, int[] b) {
        int[] result = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, result, a.length, b.length);
        return result;
    }
}
