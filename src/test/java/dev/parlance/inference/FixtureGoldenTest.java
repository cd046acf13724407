package dev.parlance.inference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.parlance.inference.model.CausalLm;
import dev.parlance.inference.model.KvCache;
import dev.parlance.inference.model.Ops;
import dev.parlance.inference.model.SafeTensors;
import dev.parlance.inference.model.Weights;
import dev.parlance.inference.model.decoder.DecoderConfig;
import dev.parlance.inference.model.llama.LlamaFamily;
import dev.parlance.inference.model.llama.TorchLlamaModel;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The engine against independent reference implementations' logits and greedy continuations. */
class FixtureGoldenTest {

    @ParameterizedTest
    @ValueSource(strings = {"tiny-llama", "tiny-qwen2", "tiny-qwen3", "tiny-gemma3", "tiny-phi3", "tiny-granite", "tiny-gpt2"})
    void logitsMatchTheReferenceToOneTenThousandth(String fixture) throws Exception {
        forEachCase(fixture, (model, c) -> {
            int[] ids = ints(c.getAsJsonArray("input_ids"));
            assertThat(model.tokenizer().encode(c.get("text").getAsString())).as("ids of " + c.get("name")).containsExactly(ids);
            float[][] logits = allLogits(model, ids);
            assertClose(logits[0], floats(c.getAsJsonArray("first_logits")), c + " first");
            assertClose(logits[ids.length - 1], floats(c.getAsJsonArray("last_logits")), "last");
            JsonArray top5 = c.getAsJsonArray("top5");
            int startIndex = c.get("top5_start_index").getAsInt();
            for (int i = 0; i < top5.size(); i++) {
                for (JsonElement pair : top5.get(i).getAsJsonArray()) {
                    int id = pair.getAsJsonArray().get(0).getAsInt();
                    float expected = pair.getAsJsonArray().get(1).getAsFloat();
                    assertThat(logits[startIndex + i][id]).as("position %d token %d", startIndex + i, id)
                            .isCloseTo(expected, within(1e-4f));
                }
            }
        });
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny-llama", "tiny-qwen2", "tiny-qwen3", "tiny-gemma3", "tiny-phi3", "tiny-granite", "tiny-gpt2"})
    void greedyContinuationWithTheKvCacheIsTheReferences(String fixture) throws Exception {
        forEachCase(fixture, (model, c) -> {
            if (!c.has("greedy") || c.get("greedy").isJsonNull()) {
                return;
            }
            JsonObject greedy = c.getAsJsonObject("greedy");
            int[] expected = ints(greedy.getAsJsonArray("new_tokens"));
            int[] prompt = ints(c.getAsJsonArray("input_ids"));
            assertThat(greedyWithCache(model, prompt, expected.length)).containsExactly(expected);
        });
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny-llama", "tiny-qwen2", "tiny-qwen3", "tiny-gemma3", "tiny-phi3", "tiny-granite", "tiny-gpt2"})
    void aPromptPrefilledInTwoPiecesGivesEveryPositionTheReferenceLogits(String fixture) throws Exception {
        forEachCase(fixture, (model, c) -> {
            int[] ids = ints(c.getAsJsonArray("input_ids"));
            if (ids.length < 4) {
                return;
            }
            float[][] whole = allLogits(model, ids);
            float[][] pieces = logitsInTwoPieces(model, ids, ids.length / 2);
            assertClose(pieces[ids.length - 1], floats(c.getAsJsonArray("last_logits")), c.get("name") + " last");
            for (int t = 0; t < ids.length; t++) {
                assertClose(pieces[t], whole[t], c.get("name") + " position " + t);
            }
        });
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny-llama", "tiny-qwen2", "tiny-qwen3", "tiny-gemma3", "tiny-phi3", "tiny-granite", "tiny-gpt2"})
    void aPromptOfSeveralAttentionBlocksGivesTheLogitsOfOneTokenAtATime(String fixture) throws Exception {
        forEachCase(fixture, (model, c) -> {
            int[] ids = ints(c.getAsJsonArray("input_ids"));
            int[] prompt = new int[Ops.ATTENTION_BLOCK + 40];
            for (int i = 0; i < prompt.length; i++) {
                prompt[i] = ids[i % ids.length];
            }
            float[][] whole = allLogits(model, prompt);
            try (KvCache cache = model.network().newCache(prompt.length)) {
                for (int t = 0; t < prompt.length; t++) {
                    assertClose(whole[t], model.network().forward(new int[] {prompt[t]}, cache, false),
                            c.get("name") + " position " + t);
                }
            }
        });
    }

    /**
     * tiny-gemma3's sliding layers keep a ring of 79 positions for its 190-token case: cut back
     * within the ring, or past it (where the window is recomputed), the cache continues to the
     * reference logits.
     */
    @ParameterizedTest
    @ValueSource(ints = {170, 100, 8})
    void aSlidingWindowCacheCutBackContinuesToTheReferenceLogits(int keep) throws Exception {
        forEachCase("tiny-gemma3", (model, c) -> {
            int[] ids = ints(c.getAsJsonArray("input_ids"));
            if (ids.length <= keep) {
                return;
            }
            try (KvCache cache = model.network().newCache(ids.length)) {
                model.network().forward(ids, cache, false);
                cache.truncate(keep);
                float[] logits = model.network().forward(Arrays.copyOfRange(ids, keep, ids.length), cache, false);
                assertClose(logits, floats(c.getAsJsonArray("last_logits")), "after " + keep);
            }
        });
    }

    /** The PyTorch tensor path, which runs the Llama family when the Vector API module is absent. */
    @ParameterizedTest
    @ValueSource(strings = {"tiny-llama", "tiny-qwen2"})
    void theTensorPathGivesTheReferenceLogitsAndGreedyContinuation(String fixture) throws Exception {
        Path folder = SharedData.require("fixtures/" + fixture);
        JsonObject golden = SharedData.json(folder.resolve("golden.json"));
        Path configFile = folder.resolve("config.json");
        DecoderConfig config = new LlamaFamily().fromHuggingFace(SharedData.json(configFile), configFile);
        NDManager manager = NDManager.newBaseManager();
        try (CausalLm network = TorchLlamaModel.load(config, new Weights(SafeTensors.open(folder), manager), manager,
                f -> { })) {
            for (JsonElement element : golden.getAsJsonArray("cases")) {
                JsonObject c = element.getAsJsonObject();
                int[] ids = ints(c.getAsJsonArray("input_ids"));
                float[][] logits = allLogits(network, ids);
                assertClose(logits[0], floats(c.getAsJsonArray("first_logits")), c.get("name") + " first");
                assertClose(logits[ids.length - 1], floats(c.getAsJsonArray("last_logits")), c.get("name") + " last");
                float[][] pieces = logitsInTwoPieces(network, ids, ids.length / 2);
                assertClose(pieces[ids.length - 1], floats(c.getAsJsonArray("last_logits")), c.get("name") + " pieces");
                if (c.has("greedy") && !c.get("greedy").isJsonNull()) {
                    int[] expected = ints(c.getAsJsonObject("greedy").getAsJsonArray("new_tokens"));
                    assertThat(greedyWithCache(network, ids, expected.length)).containsExactly(expected);
                }
            }
        }
    }

    /** A case's check, which the model and the case's golden values are given to. */
    private interface CaseCheck {
        void check(LanguageModel model, JsonObject goldenCase) throws Exception;
    }

    private static void forEachCase(String fixture, CaseCheck check) throws Exception {
        Path folder = SharedData.require("fixtures/" + fixture);
        JsonObject golden = SharedData.json(folder.resolve("golden.json"));
        try (LanguageModel model = LanguageModel.load(folder, f -> { })) {
            for (JsonElement element : golden.getAsJsonArray("cases")) {
                check.check(model, element.getAsJsonObject());
            }
        }
    }

    /** Logits of every position, the first {@code split} tokens in one pass and the rest in another. */
    static float[][] logitsInTwoPieces(LanguageModel model, int[] ids, int split) {
        return logitsInTwoPieces(model.network(), ids, split);
    }

    static float[][] logitsInTwoPieces(CausalLm network, int[] ids, int split) {
        float[][] result = new float[ids.length][];
        try (KvCache cache = network.newCache(ids.length)) {
            int[][] pieces = {Arrays.copyOfRange(ids, 0, split), Arrays.copyOfRange(ids, split, ids.length)};
            int position = 0;
            for (int[] piece : pieces) {
                float[] flat = network.forward(piece, cache, true);
                int vocab = flat.length / piece.length;
                for (int t = 0; t < piece.length; t++) {
                    result[position++] = Arrays.copyOfRange(flat, t * vocab, (t + 1) * vocab);
                }
            }
        }
        return result;
    }

    static int[] greedyWithCache(LanguageModel model, int[] prompt, int count) {
        return greedyWithCache(model.network(), prompt, count);
    }

    static int[] greedyWithCache(CausalLm network, int[] prompt, int count) {
        int[] result = new int[count];
        try (KvCache cache = network.newCache(prompt.length + count)) {
            int[] next = prompt;
            for (int i = 0; i < count; i++) {
                result[i] = argmax(network.forward(next, cache, false));
                next = new int[] {result[i]};
            }
        }
        return result;
    }

    static float[][] allLogits(LanguageModel model, int[] ids) {
        return allLogits(model.network(), ids);
    }

    static float[][] allLogits(CausalLm network, int[] ids) {
        try (KvCache cache = network.newCache(ids.length)) {
            float[] flat = network.forward(ids, cache, true);
            int vocab = network.config().vocabSize();
            float[][] rows = new float[ids.length][vocab];
            for (int t = 0; t < ids.length; t++) {
                System.arraycopy(flat, t * vocab, rows[t], 0, vocab);
            }
            return rows;
        }
    }

    static int argmax(float[] values) {
        int best = 0;
        for (int i = 1; i < values.length; i++) {
            if (values[i] > values[best]) {
                best = i;
            }
        }
        return best;
    }

    private static void assertClose(float[] actual, float[] expected, String what) {
        assertThat(actual).as(what).hasSameSizeAs(expected);
        for (int i = 0; i < expected.length; i++) {
            assertThat(actual[i]).as("%s logit %d", what, i).isCloseTo(expected[i], within(1e-4f));
        }
    }

    static int[] ints(JsonArray array) {
        int[] result = new int[array.size()];
        for (int i = 0; i < result.length; i++) {
            result[i] = array.get(i).getAsInt();
        }
        return result;
    }

    static float[] floats(JsonArray array) {
        float[] result = new float[array.size()];
        for (int i = 0; i < result.length; i++) {
            result[i] = array.get(i).getAsFloat();
        }
        return result;
    }
}
