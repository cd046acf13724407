package dev.parlance.inference;

import static dev.parlance.inference.FixtureGoldenTest.allLogits;
import static dev.parlance.inference.FixtureGoldenTest.floats;
import static dev.parlance.inference.FixtureGoldenTest.greedyWithCache;
import static dev.parlance.inference.FixtureGoldenTest.ints;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * GGUF files against transformers run on exactly the weights each file encodes (dequantized by
 * gguf-py): the engine dequantizes exactly and computes in float32, so every file, quantized or
 * not, must give its own golden logits to 1e-4 and its greedy tokens.
 */
@Tag("model")
class GgufGoldenTest {

    @ParameterizedTest
    @ValueSource(strings = {
        "tiny-llama-F32", "tiny-llama-F16", "tiny-llama-Q8_0", "tiny-llama-Q4_0",
        "tiny-llama-h256-Q4_K", "tiny-llama-h256-Q6_K", "tiny-llama-h256-Q4_K_M",
        "tiny-qwen2-F32", "tiny-qwen2-F16", "tiny-qwen2-Q8_0", "tiny-qwen2-Q4_0",
        "tiny-qwen2-h256-Q4_K", "tiny-qwen2-h256-Q6_K", "tiny-qwen2-h256-Q4_K_M",
        "tiny-qwen3-F32", "tiny-qwen3-F16", "tiny-qwen3-Q8_0", "tiny-qwen3-Q4_0",
        "tiny-qwen3-h256-Q4_K", "tiny-qwen3-h256-Q6_K", "tiny-qwen3-h256-Q4_K_M",
        "stories260K-F32", "stories260K-Q8_0"})
    void logitsAndGreedyTokensAreThoseOfTheFilesOwnWeights(String name) throws Exception {
        Path file = SharedData.require("fixtures/gguf/" + name + ".gguf");
        JsonObject golden = SharedData.json(file.resolveSibling(name + ".golden.json"));
        try (LanguageModel model = LanguageModel.load(file, f -> { })) {
            for (JsonElement element : golden.getAsJsonArray("cases")) {
                JsonObject c = element.getAsJsonObject();
                String caseName = name + " " + c.get("name").getAsString();
                int[] ids = ints(c.getAsJsonArray("input_ids"));
                assertThat(model.tokenizer().encode(c.get("text").getAsString())).as("ids of " + caseName)
                        .containsExactly(ids);
                float[][] logits = allLogits(model, ids);
                assertClose(logits[0], floats(c.getAsJsonArray("first_logits")), caseName + " first");
                assertClose(logits[ids.length - 1], floats(c.getAsJsonArray("last_logits")), caseName + " last");
                JsonArray top5 = c.getAsJsonArray("top5");
                int startIndex = c.get("top5_start_index").getAsInt();
                for (int i = 0; i < top5.size(); i++) {
                    for (JsonElement pair : top5.get(i).getAsJsonArray()) {
                        int id = pair.getAsJsonArray().get(0).getAsInt();
                        assertThat(logits[startIndex + i][id]).as("%s position %d token %d", caseName, startIndex + i, id)
                                .isCloseTo(pair.getAsJsonArray().get(1).getAsFloat(), within(1e-4f));
                    }
                }
                if (c.has("greedy") && !c.get("greedy").isJsonNull()) {
                    int[] expected = ints(c.getAsJsonObject("greedy").getAsJsonArray("new_tokens"));
                    assertThat(greedyWithCache(model, ids, expected.length)).as("greedy " + caseName)
                            .containsExactly(expected);
                }
            }
        }
    }

    @Test
    void storiesInFloat32ContinueAsTheCImplementationDoes() throws Exception {
        Path file = SharedData.require("fixtures/gguf/stories260K-F32.gguf");
        JsonObject golden = SharedData.json(SharedData.require("models/stories260K/golden.json"));
        try (LanguageModel model = LanguageModel.load(file, f -> { });
                Generator generator = new Generator(model, 512)) {
            for (JsonElement element : golden.getAsJsonArray("generations")) {
                JsonObject g = element.getAsJsonObject();
                int[] prompt = model.tokenizer().encode(g.get("prompt").getAsString());
                assertThat(prompt).containsExactly(ints(g.getAsJsonArray("prompt_ids")));
                // run.c ends a story when the model emits BOS (id 1), never on EOS
                var request = new Generator.Request(prompt, SamplingConfig.greedy(g.get("max_new_tokens").getAsInt()),
                        Set.of(1), 0, () -> false);
                var result = generator.generate(request, (id, text, logprob) -> { });
                assertThat(result.tokens()).as("continuation of '%s'", g.get("prompt").getAsString())
                        .containsExactly(ints(g.getAsJsonArray("new_ids")));
            }
        }
    }

    private static void assertClose(float[] actual, float[] expected, String what) {
        assertThat(actual).as(what).hasSameSizeAs(expected);
        for (int i = 0; i < expected.length; i++) {
            assertThat(actual[i]).as("%s logit %d", what, i).isCloseTo(expected[i], within(1e-4f));
        }
    }
}
