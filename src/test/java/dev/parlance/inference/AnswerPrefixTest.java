package dev.parlance.inference;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Set;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A generation that continues an answer from its first tokens, read as prompt tokens: against the
 * original C implementation's greedy stories (llama2.c run.c), cut anywhere.
 */
@Tag("model")
class AnswerPrefixTest {

    @Test
    void continuingAGreedyStoryFromAnyOfItsTokensWritesTheRestOfItAndOnlyItsText() throws Exception {
        Path folder = SharedData.require("models/stories260K");
        JsonObject golden = SharedData.json(folder.resolve("golden.json"));
        try (LanguageModel model = LanguageModel.load(folder, f -> { });
                Generator generator = new Generator(model, 512)) {
            JsonObject story = golden.getAsJsonArray("generations").get(0).getAsJsonObject();
            int[] prompt = model.tokenizer().encode(story.get("prompt").getAsString());
            int[] expected = FixtureGoldenTest.ints(story.getAsJsonArray("new_ids"));
            String text = story.get("continuation_text").getAsString();
            for (int cut : new int[] {1, 7, 30}) {
                int[] read = Arrays.copyOf(prompt, prompt.length + cut);
                System.arraycopy(expected, 0, read, prompt.length, cut);
                // run.c ends a story when the model emits BOS (id 1), never on EOS
                var request = new Generator.Request(read, SamplingConfig.greedy(expected.length - cut), Set.of(1), 0,
                        () -> false, false, cut);
                var streamed = new StringBuilder();
                GenerationResult result = generator.generate(request, (id, piece, logprob) -> streamed.append(piece));
                assertThat(result.tokens()).as("after %d tokens", cut)
                        .containsExactly(Arrays.copyOfRange(expected, cut, expected.length));
                String prefixText = model.tokenizer().decode(Arrays.copyOf(expected, cut), true);
                assertThat(text).startsWith(prefixText);
                assertThat(streamed.toString()).as("after %d tokens", cut).isEqualTo(text.substring(prefixText.length()));
            }
        }
    }

    @Test
    void aPrefixWholeInThePromptIsReadOnceAndFromTheCache() throws Exception {
        Path folder = SharedData.require("models/stories260K");
        JsonObject golden = SharedData.json(folder.resolve("golden.json"));
        try (LanguageModel model = LanguageModel.load(folder, f -> { });
                Generator generator = new Generator(model, 512)) {
            JsonElement element = golden.getAsJsonArray("generations").get(1);
            JsonObject story = element.getAsJsonObject();
            int[] prompt = model.tokenizer().encode(story.get("prompt").getAsString());
            int[] expected = FixtureGoldenTest.ints(story.getAsJsonArray("new_ids"));
            generator.generate(new Generator.Request(prompt, SamplingConfig.greedy(expected.length), Set.of(1), 0,
                    () -> false), (id, piece, logprob) -> { });
            int cut = 20;
            int[] read = Arrays.copyOf(prompt, prompt.length + cut);
            System.arraycopy(expected, 0, read, prompt.length, cut);
            GenerationResult result = generator.generate(new Generator.Request(read,
                    SamplingConfig.greedy(expected.length - cut), Set.of(1), 0, () -> false, false, cut),
                    (id, piece, logprob) -> { });
            assertThat(result.stats().promptTokens()).isEqualTo(read.length);
            assertThat(result.stats().reusedTokens()).isEqualTo(read.length - 1);
            assertThat(result.tokens()).containsExactly(Arrays.copyOfRange(expected, cut, expected.length));
        }
    }
}
