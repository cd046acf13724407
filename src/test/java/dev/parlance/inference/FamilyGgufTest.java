package dev.parlance.inference;

import static dev.parlance.inference.FixtureGoldenTest.allLogits;
import static dev.parlance.inference.FixtureGoldenTest.floats;
import static dev.parlance.inference.FixtureGoldenTest.greedyWithCache;
import static dev.parlance.inference.FixtureGoldenTest.ints;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.parlance.inference.gguf.FixtureGgufConverter;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The newer families from GGUF files converted from their fixture folders with llama.cpp's names
 * and keys ({@link FixtureGgufConverter}): the same golden logits (transformers' on the folder)
 * and greedy tokens as the folder.
 */
class FamilyGgufTest {
    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"tiny-gemma3", "tiny-phi3", "tiny-granite"})
    void aConvertedFileGivesTheFoldersGoldenLogitsAndGreedyTokens(String fixture) throws Exception {
        Path folder = SharedData.require("fixtures/" + fixture);
        JsonObject golden = SharedData.json(folder.resolve("golden.json"));
        Path file = FixtureGgufConverter.convert(folder, dir.resolve(fixture + ".gguf"));
        try (LanguageModel model = LanguageModel.load(file, f -> { })) {
            assertThat(model.config().architecture()).isEqualTo(golden.get("architecture").getAsString());
            for (JsonElement element : golden.getAsJsonArray("cases")) {
                JsonObject c = element.getAsJsonObject();
                String name = fixture + " " + c.get("name").getAsString();
                int[] ids = ints(c.getAsJsonArray("input_ids"));
                assertThat(model.tokenizer().encode(c.get("text").getAsString())).as("ids of " + name)
                        .containsExactly(ids);
                float[][] logits = allLogits(model, ids);
                assertThat(logits[0]).as(name + " first").containsExactly(floats(c.getAsJsonArray("first_logits")),
                        within(1e-4f));
                assertThat(logits[ids.length - 1]).as(name + " last")
                        .containsExactly(floats(c.getAsJsonArray("last_logits")), within(1e-4f));
                if (c.has("greedy") && !c.get("greedy").isJsonNull()) {
                    int[] expected = ints(c.getAsJsonObject("greedy").getAsJsonArray("new_tokens"));
                    assertThat(greedyWithCache(model, ids, expected.length)).as("greedy " + name)
                            .containsExactly(expected);
                }
            }
        }
    }
}
