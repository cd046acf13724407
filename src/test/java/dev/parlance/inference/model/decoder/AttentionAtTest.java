package dev.parlance.inference.model.decoder;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.parlance.inference.LanguageModel;
import dev.parlance.inference.SharedData;
import dev.parlance.inference.model.KvCache;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link DecoderModel#attentionAt} against the attention weights transformers computes for the
 * same fixture ({@code fixtures/attention-golden.json}, made by {@code attention_golden.py}):
 * tiny-gemma2 has sliding windows and an attention soft-cap, tiny-smollm3 a layer without RoPE,
 * tiny-phi3-longrope the long factors of a context longer than its original 64 positions.
 */
class AttentionAtTest {
    private static Path resource(String name) {
        try {
            return Path.of(AttentionAtTest.class.getResource("/fixtures/" + name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private static JsonObject golden(String model) throws Exception {
        return SharedData.json(resource("attention-golden.json")).getAsJsonObject("models").getAsJsonObject(model);
    }

    private static int[] ids(JsonObject golden) {
        JsonArray array = golden.getAsJsonArray("input_ids");
        int[] ids = new int[array.size()];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = array.get(i).getAsInt();
        }
        return ids;
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny-gemma2", "tiny-smollm3", "tiny-phi3-longrope"})
    void eachLayersRowIsTheAttentionTransformersComputes(String name) throws Exception {
        JsonObject golden = golden(name);
        int[] ids = ids(golden);
        try (LanguageModel model = LanguageModel.load(resource(name), f -> { })) {
            for (Map.Entry<String, JsonElement> entry : golden.getAsJsonObject("rows").entrySet()) {
                int position = Integer.parseInt(entry.getKey());
                float[][] weights = model.network().attentionAt(ids, position, 512);
                JsonArray layers = entry.getValue().getAsJsonArray();
                assertThat(weights.length).isEqualTo(layers.size());
                for (int layer = 0; layer < weights.length; layer++) {
                    JsonArray expected = layers.get(layer).getAsJsonArray();
                    assertThat(weights[layer]).hasSize(position + 1);
                    for (int p = 0; p <= position; p++) {
                        assertThat(weights[layer][p]).as("%s position %d layer %d key %d", name, position, layer, p)
                                .isCloseTo(expected.get(p).getAsFloat(), within(2e-5f));
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny-gemma2", "tiny-smollm3"})
    void eachRowSumsToOneAndASlidingLayerSeesOnlyItsWindow(String name) throws Exception {
        int[] ids = ids(golden(name));
        try (LanguageModel model = LanguageModel.load(resource(name), f -> { })) {
            int position = ids.length - 1;
            float[][] weights = model.network().attentionAt(ids, position, 512);
            Architecture design = ((DecoderModel) model.network()).config().design();
            for (int layer = 0; layer < weights.length; layer++) {
                double sum = 0;
                for (float w : weights[layer]) {
                    sum += w;
                }
                assertThat(sum).isCloseTo(1, within(1e-5));
                int window = design.layers().get(layer).window();
                for (int p = 0; window > 0 && p <= position - window; p++) {
                    assertThat(weights[layer][p]).isZero();
                }
            }
        }
    }

    @Test
    void longropeTurnsByTheFactorsOfTheCacheTheTokensWereGeneratedIn() throws Exception {
        JsonObject golden = golden("tiny-phi3-longrope");
        int[] ids = ids(golden);
        JsonArray layerZero = golden.getAsJsonObject("rows").getAsJsonArray("40").get(0).getAsJsonArray();
        try (LanguageModel model = LanguageModel.load(resource("tiny-phi3-longrope"), f -> { })) {
            float[] longFactors = model.network().attentionAt(ids, 40, 512)[0];
            float[] shortFactors = model.network().attentionAt(ids, 40, 64)[0];
            double longError = 0;
            double shortError = 0;
            for (int p = 0; p <= 40; p++) {
                longError = Math.max(longError, Math.abs(longFactors[p] - layerZero.get(p).getAsFloat()));
                shortError = Math.max(shortError, Math.abs(shortFactors[p] - layerZero.get(p).getAsFloat()));
            }
            assertThat(longError).isLessThan(2e-5);
            assertThat(shortError).isGreaterThan(1e-3);
        }
    }

    @Test
    void askingForAttentionLeavesASessionsNextLogitsAsTheyWere() throws Exception {
        String name = "tiny-gemma2";
        int[] ids = ids(golden(name));
        try (LanguageModel model = LanguageModel.load(resource(name), f -> { });
                KvCache cache = model.network().newCache(64);
                KvCache again = model.network().newCache(64)) {
            int[] prompt = Arrays.copyOf(ids, 30);
            model.network().forward(prompt, cache, false);
            model.network().attentionAt(ids, 150, 512);
            float[] next = model.network().forward(new int[] {ids[30]}, cache, false);
            model.network().forward(prompt, again, false);
            float[] expected = model.network().forward(new int[] {ids[30]}, again, false);
            // within float noise, not exactly: the Vector API's exp differs in its last bits once compiled
            assertThat(next).containsExactly(expected, within(1e-4f));
        }
    }
}
