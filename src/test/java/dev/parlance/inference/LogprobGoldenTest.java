package dev.parlance.inference;

import static dev.parlance.inference.FixtureGoldenTest.floats;
import static dev.parlance.inference.FixtureGoldenTest.ints;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.google.gson.JsonObject;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The log-probabilities the engine reports (and the token view shows) against the log-softmax of
 * the logits transformers computed for a fixture's prompt ({@code golden.json}'s {@code last_logits}).
 */
class LogprobGoldenTest {
    @Test
    void theFirstTokensLogprobsAreTheLogSoftmaxOfTheGoldenLogits() throws Exception {
        Path folder = FamilyFixtureTest.fixture("tiny-gemma2");
        JsonObject shortCase = SharedData.json(folder.resolve("golden.json")).getAsJsonArray("cases").get(0)
                .getAsJsonObject();
        float[] logits = floats(shortCase.getAsJsonArray("last_logits"));
        double max = Double.NEGATIVE_INFINITY;
        for (float l : logits) {
            max = Math.max(max, l);
        }
        double sum = 0;
        for (float l : logits) {
            sum += Math.exp(l - max);
        }
        double logZ = max + Math.log(sum);
        try (LanguageModel model = LanguageModel.load(folder, f -> { });
                Generator generator = new Generator(model, 64)) {
            var request = new Generator.Request(ints(shortCase.getAsJsonArray("input_ids")), SamplingConfig.greedy(1),
                    Set.of(), 5, () -> false);
            TokenLogprob first = generator.generate(request, (id, text, logprob) -> { }).logprobs().getFirst();
            assertThat(first.logprob()).isCloseTo(logits[first.id()] - logZ, within(1e-4));
            double previous = 0;
            for (TokenLogprob.Alternative alternative : first.top()) {
                assertThat(alternative.logprob()).isCloseTo(logits[alternative.id()] - logZ, within(1e-4))
                        .isLessThanOrEqualTo(previous);
                previous = alternative.logprob();
            }
            int better = 0;
            for (float l : logits) {
                better += l > logits[first.top().getLast().id()] + 1e-4 ? 1 : 0;
            }
            assertThat(better).isEqualTo(first.top().size() - 1);
        }
    }

    @Test
    void bestIdsAreTheHighestLogitsBestFirstWithTiesToTheLowerId() {
        float[] logits = {0.5f, 2f, -1f, 2f, 3f, 0.5f};
        assertThat(Generator.bestIds(logits, 4)).containsExactly(4, 1, 3, 0);
        assertThat(Generator.bestIds(logits, 10)).containsExactly(4, 1, 3, 0, 5, 2);
        assertThat(Generator.bestIds(logits, 0)).isEmpty();
    }
}
