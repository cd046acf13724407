package dev.parlance.inference;

import static dev.parlance.inference.FixtureGoldenTest.allLogits;
import static dev.parlance.inference.FixtureGoldenTest.floats;
import static dev.parlance.inference.FixtureGoldenTest.ints;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A folder quantized at load is the model llama.cpp's converter would have written: its logits
 * are those of the fixture's GGUF file of that type, whose blocks gguf-py quantized from the same
 * weights. The one difference is ffn_down, whose rows (176) are not whole blocks: the GGUF file
 * keeps it in F16, a folder in its own F32, which moves these logits by up to 2e-3, where
 * quantizing itself moves them by up to 5 (Q4_0): a block quantized otherwise would show.
 */
@Tag("model")
class QuantizeAtLoadTest {

    @ParameterizedTest
    @CsvSource({"tiny-llama, Q8_0", "tiny-llama, Q4_0", "tiny-qwen2, Q8_0", "tiny-qwen2, Q4_0"})
    void aFolderQuantizedAtLoadGivesTheLogitsOfItsGgufFile(String fixture, WeightFormat format) throws Exception {
        Path folder = SharedData.require("fixtures/" + fixture);
        String file = fixture + "-" + format.name();
        JsonObject golden = SharedData.json(SharedData.require("fixtures/gguf/" + file + ".golden.json"));
        try (LanguageModel model = LanguageModel.load(folder, format, f -> { })) {
            for (JsonElement element : golden.getAsJsonArray("cases")) {
                JsonObject c = element.getAsJsonObject();
                int[] ids = ints(c.getAsJsonArray("input_ids"));
                float[][] logits = allLogits(model, ids);
                float[] expected = floats(c.getAsJsonArray("last_logits"));
                for (int i = 0; i < expected.length; i++) {
                    assertThat(logits[ids.length - 1][i]).as("%s %s logit %d", file, c.get("name"), i)
                            .isCloseTo(expected[i], within(5e-3f));
                }
            }
        }
    }
}
