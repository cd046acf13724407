package dev.parlance.inference;

import static dev.parlance.inference.FixtureGoldenTest.allLogits;
import static dev.parlance.inference.FixtureGoldenTest.floats;
import static dev.parlance.inference.FixtureGoldenTest.greedyWithCache;
import static dev.parlance.inference.FixtureGoldenTest.ints;
import static dev.parlance.inference.FixtureGoldenTest.logitsInTwoPieces;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.parlance.inference.gguf.FixtureGgufConverter;
import dev.parlance.inference.model.KvCache;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The families whose tiny fixtures this repository makes itself ({@code src/test/resources/fixtures},
 * by {@code make_fixtures.py}: random weights, golden values computed by transformers), from
 * their folders and from GGUF files converted from them with llama.cpp's names and keys
 * ({@link FixtureGgufConverter}): logits within 1e-4 of the golden ones and the same greedy tokens.
 */
class FamilyFixtureTest {
    @TempDir
    Path dir;

    static Path fixture(String name) {
        try {
            return Path.of(FamilyFixtureTest.class.getResource("/fixtures/" + name + "/config.json").toURI()).getParent();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny-smollm3", "tiny-gemma2", "tiny-phi3-longrope", "tiny-qwen3moe"})
    void theFolderGivesTheGoldenLogitsAndGreedyTokens(String name) throws Exception {
        Path folder = fixture(name);
        try (LanguageModel model = LanguageModel.load(folder, f -> { })) {
            matchesTheGolden(model, SharedData.json(folder.resolve("golden.json")), name);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny-smollm3", "tiny-gemma2", "tiny-phi3-longrope", "tiny-qwen3moe"})
    void aPromptInTwoPiecesGivesEveryPositionTheLogitsOfOnePiece(String name) throws Exception {
        Path folder = fixture(name);
        JsonObject golden = SharedData.json(folder.resolve("golden.json"));
        try (LanguageModel model = LanguageModel.load(folder, f -> { })) {
            for (JsonElement element : golden.getAsJsonArray("cases")) {
                JsonObject c = element.getAsJsonObject();
                int[] ids = ints(c.getAsJsonArray("input_ids"));
                float[][] whole = allLogits(model, ids);
                float[][] pieces = logitsInTwoPieces(model, ids, ids.length / 2);
                for (int t = 0; t < ids.length; t++) {
                    assertThat(pieces[t]).as("%s %s position %d", name, c.get("name"), t)
                            .containsExactly(whole[t], within(1e-4f));
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny-smollm3", "tiny-gemma2", "tiny-phi3-longrope", "tiny-qwen3moe"})
    void aConvertedGgufFileGivesTheGoldenLogitsAndGreedyTokens(String name) throws Exception {
        Path folder = fixture(name);
        JsonObject golden = SharedData.json(folder.resolve("golden.json"));
        Path file = FixtureGgufConverter.convert(folder, dir.resolve(name + ".gguf"));
        try (LanguageModel model = LanguageModel.load(file, f -> { })) {
            assertThat(model.config().architecture()).isEqualTo(golden.get("architecture").getAsString());
            matchesTheGolden(model, golden, name + " GGUF");
        }
    }

    /**
     * A token's layer of experts reads only the experts its router picks: with the weights of one
     * expert of layer 0 made NaN, a token's logits stay finite exactly when that expert is not one
     * of the token's two, so for 6 of the 8 experts (computing every expert and weighing the
     * unpicked ones by 0 would make all 8 NaN).
     */
    @Test
    void aTokenReadsOnlyTheExpertsItIsRoutedTo() throws Exception {
        Path folder = fixture("tiny-qwen3moe");
        int unread = 0;
        for (int expert = 0; expert < 8; expert++) {
            Path copy = Files.createDirectory(dir.resolve("expert-" + expert));
            try (var files = Files.list(folder)) {
                for (Path file : files.toList()) {
                    Files.copy(file, copy.resolve(file.getFileName()));
                }
            }
            poison(copy.resolve("model.safetensors"), "model.layers.0.mlp.experts." + expert + ".down_proj.weight");
            try (LanguageModel model = LanguageModel.load(copy, f -> { });
                    KvCache cache = model.network().newCache(1)) {
                float[] logits = model.network().forward(new int[] {100}, cache, false);
                boolean finite = true;
                for (float logit : logits) {
                    finite &= Float.isFinite(logit);
                }
                unread += finite ? 1 : 0;
            }
        }
        assertThat(unread).isEqualTo(6);
    }

    /** Overwrites the float32 tensor {@code name} of a safetensors file with NaN. */
    private static void poison(Path file, String name) throws Exception {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer length = ByteBuffer.allocate(Long.BYTES).order(ByteOrder.LITTLE_ENDIAN);
            channel.read(length, 0);
            int headerLength = (int) length.getLong(0);
            ByteBuffer header = ByteBuffer.allocate(headerLength);
            channel.read(header, Long.BYTES);
            JsonArray offsets = JsonParser.parseString(new String(header.array(), StandardCharsets.UTF_8))
                    .getAsJsonObject().getAsJsonObject(name).getAsJsonArray("data_offsets");
            long begin = offsets.get(0).getAsLong();
            long end = offsets.get(1).getAsLong();
            ByteBuffer nan = ByteBuffer.allocate((int) (end - begin)).order(ByteOrder.LITTLE_ENDIAN);
            while (nan.hasRemaining()) {
                nan.putFloat(Float.NaN);
            }
            channel.write(nan.flip(), Long.BYTES + headerLength + begin);
        }
    }

    private static void matchesTheGolden(LanguageModel model, JsonObject golden, String name) {
        for (JsonElement element : golden.getAsJsonArray("cases")) {
            JsonObject c = element.getAsJsonObject();
            String what = name + " " + c.get("name").getAsString();
            int[] ids = ints(c.getAsJsonArray("input_ids"));
            assertThat(model.tokenizer().encode(c.get("text").getAsString())).as("ids of " + what).containsExactly(ids);
            float[][] logits = allLogits(model, ids);
            assertThat(logits[0]).as(what + " first").containsExactly(floats(c.getAsJsonArray("first_logits")),
                    within(1e-4f));
            assertThat(logits[ids.length - 1]).as(what + " last")
                    .containsExactly(floats(c.getAsJsonArray("last_logits")), within(1e-4f));
            int start = c.get("top5_start_index").getAsInt();
            for (int i = 0; i < c.getAsJsonArray("top5").size(); i++) {
                for (JsonElement pair : c.getAsJsonArray("top5").get(i).getAsJsonArray()) {
                    int id = pair.getAsJsonArray().get(0).getAsInt();
                    assertThat(logits[start + i][id]).as("%s position %d token %d", what, start + i, id)
                            .isCloseTo(pair.getAsJsonArray().get(1).getAsFloat(), within(1e-4f));
                }
            }
            int[] expected = ints(c.getAsJsonObject("greedy").getAsJsonArray("new_tokens"));
            assertThat(greedyWithCache(model, ids, expected.length)).as("greedy " + what).containsExactly(expected);
        }
    }
}
