package dev.parlance.inference;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** A real trained Llama against the original C implementation (llama2.c run.c). */
@Tag("model")
class Stories260KTest {

    @Test
    void greedyContinuationsAndStreamedTextAreThoseOfTheCImplementation() throws Exception {
        Path folder = SharedData.require("models/stories260K");
        JsonObject golden = SharedData.json(folder.resolve("golden.json"));
        try (LanguageModel model = LanguageModel.load(folder, f -> { });
                Generator generator = new Generator(model, 512)) {
            for (JsonElement element : golden.getAsJsonArray("generations")) {
                JsonObject g = element.getAsJsonObject();
                int[] prompt = model.tokenizer().encode(g.get("prompt").getAsString());
                assertThat(prompt).containsExactly(FixtureGoldenTest.ints(g.getAsJsonArray("prompt_ids")));
                int[] expected = FixtureGoldenTest.ints(g.getAsJsonArray("new_ids"));
                // run.c ends a story when the model emits BOS (id 1), never on EOS
                var request = new Generator.Request(prompt, SamplingConfig.greedy(g.get("max_new_tokens").getAsInt()),
                        Set.of(1), 0, () -> false);
                var streamed = new StringBuilder();
                var result = generator.generate(request, (id, text, logprob) -> streamed.append(text));
                assertThat(result.tokens()).as("continuation of '%s'", g.get("prompt").getAsString())
                        .containsExactly(expected);
                assertThat(result.finish()).isEqualTo(g.get("stopped_on_bos").getAsBoolean()
                        ? FinishReason.STOP : FinishReason.LENGTH);
                String continuation = g.get("continuation_text").getAsString();
                assertThat(streamed.toString()).isEqualTo(result.text());
                if (prompt.length > 1) {
                    assertThat(result.text()).isEqualTo(continuation);
                } else {
                    // with no prompt text, the first word has no space to keep (run.c prints it as is)
                    assertThat(result.text().strip()).isEqualTo(continuation.strip());
                }
            }
        }
    }

    @Test
    void tokenizerGivesTheIdsOfTheCImplementation() throws Exception {
        Path folder = SharedData.require("models/stories260K");
        JsonObject golden = SharedData.json(folder.resolve("golden.json"));
        try (LanguageModel model = LanguageModel.load(folder, f -> { })) {
            for (JsonElement element : golden.getAsJsonArray("tokenizer_cases")) {
                JsonObject c = element.getAsJsonObject();
                assertThat(model.tokenizer().encode(c.get("text").getAsString())).as(c.get("text").getAsString())
                        .containsExactly(FixtureGoldenTest.ints(c.getAsJsonArray("ids")));
            }
        }
    }
}
