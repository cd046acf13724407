package dev.parlance.inference.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import dev.parlance.inference.ModelLoadException;
import dev.parlance.inference.SharedData;
import dev.parlance.inference.gguf.GgufFile;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class GgufTokenizerTest {
    /** Texts beyond golden.json's checks: contractions, digit runs, decomposed accents, odd whitespace. */
    private static final List<String> MORE_TEXTS = List.of(
            "I'm sure they'RE fine, DON'T worry; it'll be 2024-12-31 at 23:59.",
            "cafe\u0301 vs caf\u00e9, \u00c5ngstr\u00f6m",
            "   leading and trailing   ",
            "\t\ttabs\r\nand CRLF\n\n\n",
            "x=1+2*3^4 <tag attr=\"v\">&amp;</tag> {json: [1, 2]}",
            "\u0441\u043b\u043e\u0432\u043e \u0639\u0631\u0628\u064a \ud55c\uad6d\uc5b4 \u65e5\u672c\u8a9e "
                    + "\ud83d\udc4d\ud83c\udffd");

    static Stream<Path> ggufFiles() throws IOException {
        try (Stream<Path> files = Files.list(SharedData.require("fixtures/gguf"))) {
            return files.filter(f -> f.getFileName().toString().endsWith(".gguf")).sorted().toList().stream();
        }
    }

    @ParameterizedTest
    @MethodSource("ggufFiles")
    void checkTextsEncodeToTheOriginalTokenizersIds(Path file) throws Exception {
        try (TextTokenizer tokenizer = TextTokenizer.fromGguf(metadata(file), file)) {
            for (JsonElement element : golden(file).getAsJsonObject("tokenizer").getAsJsonArray("check")) {
                JsonObject check = element.getAsJsonObject();
                String text = check.get("text").getAsString();
                assertThat(tokenizer.encodeRaw(text)).as("%s: %s", file.getFileName(), text)
                        .containsExactly(ints(check.getAsJsonArray("tokenizer_json_ids")));
            }
        }
    }

    @ParameterizedTest
    @MethodSource("ggufFiles")
    void checkIdsDecodeAsTheOriginalTokenizerDecodesThem(Path file) throws Exception {
        try (TextTokenizer tokenizer = TextTokenizer.fromGguf(metadata(file), file);
                TextTokenizer original = TextTokenizer.load(originalFolder(file))) {
            for (JsonElement element : golden(file).getAsJsonObject("tokenizer").getAsJsonArray("check")) {
                int[] ids = ints(element.getAsJsonObject().getAsJsonArray("tokenizer_json_ids"));
                assertThat(tokenizer.decode(ids, false)).isEqualTo(original.decode(ids, false));
                assertThat(tokenizer.decode(ids, true)).isEqualTo(original.decode(ids, true));
            }
        }
    }

    @ParameterizedTest
    @MethodSource("ggufFiles")
    void moreTextsEncodeAndDecodeAsWithTheOriginalTokenizer(Path file) throws Exception {
        try (TextTokenizer tokenizer = TextTokenizer.fromGguf(metadata(file), file);
                TextTokenizer original = TextTokenizer.load(originalFolder(file))) {
            for (String text : MORE_TEXTS) {
                int[] expected = original.encodeRaw(text);
                assertThat(tokenizer.encodeRaw(text)).as("%s: %s", file.getFileName(), text).containsExactly(expected);
                assertThat(tokenizer.decode(expected, false)).isEqualTo(original.decode(expected, false));
            }
        }
    }

    @Test
    void storiesPromptsGetTheirBos() throws Exception {
        Path file = SharedData.require("fixtures/gguf/stories260K-F32.gguf");
        try (TextTokenizer tokenizer = TextTokenizer.fromGguf(metadata(file), file)) {
            assertThat(tokenizer.bosId()).isEqualTo(1);
            for (JsonElement element : golden(file).getAsJsonArray("cases")) {
                JsonObject testCase = element.getAsJsonObject();
                assertThat(tokenizer.encode(testCase.get("text").getAsString()))
                        .containsExactly(ints(testCase.getAsJsonArray("input_ids")));
            }
        }
    }

    @Test
    void controlTokensAreSpecialAndNoBosIsAddedWhenTheFileSaysNot() throws Exception {
        Path file = SharedData.require("fixtures/gguf/tiny-qwen2-F32.gguf");
        try (TextTokenizer tokenizer = TextTokenizer.fromGguf(metadata(file), file)) {
            int[] ids = tokenizer.encode("<|im_start|>a<|endoftext|>");
            assertThat(ids).hasSize(3);
            assertThat(tokenizer.isSpecial(ids[0])).isTrue();
            assertThat(tokenizer.isSpecial(ids[1])).isFalse();
            assertThat(tokenizer.isSpecial(ids[2])).isTrue();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama-bpe", "smollm"})
    void preTokenizersSplitTextAsTheReferenceDoes(String pre) throws Exception {
        JsonObject reference;
        try (var in = GgufTokenizerTest.class.getResourceAsStream("byte-level-reference.json")) {
            reference = JsonParser.parseString(new String(in.readAllBytes(), StandardCharsets.UTF_8)).getAsJsonObject();
        }
        Map<String, Object> metadata = new HashMap<>();
        reference.getAsJsonObject("metadata").asMap().forEach((key, value) -> metadata.put(key, metadataValue(value)));
        metadata.put("tokenizer.ggml.pre", pre);
        try (TextTokenizer tokenizer = TextTokenizer.fromGguf(metadata, Path.of(pre + ".gguf"))) {
            for (JsonElement element : reference.getAsJsonObject("cases").getAsJsonArray(pre)) {
                JsonObject testCase = element.getAsJsonObject();
                String text = testCase.get("text").getAsString();
                assertThat(tokenizer.encodeRaw(text)).as(text).containsExactly(ints(testCase.getAsJsonArray("ids")));
                assertThat(tokenizer.decode(tokenizer.encodeRaw(text), false)).isEqualTo(text);
            }
        }
    }

    @Test
    void sentencePieceMergesNeverProduceAnUnusedPiece() throws Exception {
        // ids: <unk> <s> </s> ▁ a b ▁a ab(unused); "ab" scores best but SentencePiece never emits it
        Map<String, Object> metadata = Map.of(
                "tokenizer.ggml.model", "llama",
                "tokenizer.ggml.tokens", List.<Object>of("<unk>", "<s>", "</s>", "\u2581", "a", "b", "\u2581a", "ab"),
                "tokenizer.ggml.scores", List.<Object>of(0f, 0f, 0f, -1f, -2f, -3f, -4f, 0f),
                "tokenizer.ggml.token_type", List.<Object>of(2L, 3L, 3L, 1L, 1L, 1L, 1L, 5L),
                "tokenizer.ggml.unknown_token_id", 0L);
        try (TextTokenizer tokenizer = TextTokenizer.fromGguf(metadata, Path.of("unused.gguf"))) {
            assertThat(tokenizer.encodeRaw("ab")).containsExactly(6, 5);
            assertThat(tokenizer.encodeRaw("ba")).containsExactly(3, 5, 4);
        }
    }

    @Test
    void anUnsupportedTokenizerModelIsRefusedByName() throws Exception {
        Map<String, Object> metadata =
                Map.of("tokenizer.ggml.model", "bert", "tokenizer.ggml.tokens", List.<Object>of("a"));
        assertThatThrownBy(() -> GgufTokenizerJson.build(metadata)).isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("\"bert\"").hasMessageContaining("tokenizer.ggml.model");
    }

    @Test
    void anUnknownPreTokenizerIsRefusedByName() throws Exception {
        Path file = SharedData.require("fixtures/gguf/tiny-qwen2-F32.gguf");
        Map<String, Object> metadata = new HashMap<>(metadata(file));
        metadata.put("tokenizer.ggml.pre", "jais");
        assertThatThrownBy(() -> TextTokenizer.fromGguf(metadata, file)).isInstanceOf(ModelLoadException.class)
                .hasMessageContaining(file.toString()).hasMessageContaining("\"jais\"")
                .hasMessageContaining("tokenizer.ggml.pre");
    }

    /** A JSON value as the GGUF reader gives it: integers as Long, arrays as lists. */
    private static Object metadataValue(JsonElement value) {
        if (value.isJsonArray()) {
            return value.getAsJsonArray().asList().stream().map(GgufTokenizerTest::metadataValue).toList();
        }
        JsonPrimitive primitive = value.getAsJsonPrimitive();
        return primitive.isNumber() ? (Object) primitive.getAsLong() : primitive.getAsString();
    }

    private static Map<String, Object> metadata(Path file) throws ModelLoadException {
        try (GgufFile gguf = GgufFile.open(file)) {
            return gguf.metadata();
        }
    }

    /** The Hugging Face folder the file was converted from: its tokenizer.json is the reference. */
    private static Path originalFolder(Path file) {
        String name = file.getFileName().toString();
        if (name.startsWith("stories260K")) {
            return SharedData.require("models/stories260K");
        }
        return SharedData.require("fixtures/" + name.substring(0, name.indexOf('-', "tiny-".length())));
    }

    private static JsonObject golden(Path file) {
        return SharedData.json(file.resolveSibling(file.getFileName().toString().replace(".gguf", ".golden.json")));
    }

    private static int[] ints(JsonArray array) {
        int[] ints = new int[array.size()];
        for (int i = 0; i < ints.length; i++) {
            ints[i] = array.get(i).getAsInt();
        }
        return ints;
    }
}
