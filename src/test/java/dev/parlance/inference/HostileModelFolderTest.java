package dev.parlance.inference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.parlance.inference.model.SafeTensors;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Folders crafted to make the engine answer wrongly without saying so (issue 14, items 3 and 6):
 * each is refused at load with the key, tensor or file named.
 */
class HostileModelFolderTest {
    @TempDir
    Path dir;

    private Path model(int shards) {
        return TinyModels.write(dir.resolve("model"), SafeTensors.DType.F32, shards);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "rms_norm_eps | -1 | \"rms_norm_eps\" must be a finite number above 0, was -1",
        "rms_norm_eps | 0 | \"rms_norm_eps\" must be a finite number above 0, was 0",
        "rms_norm_eps | NaN | \"rms_norm_eps\" must be a finite number above 0, was \"NaN\"",
        "rope_theta | -1 | \"rope_theta\" must be a finite number above 0, was -1",
        "rope_theta | Infinity | \"rope_theta\" must be a finite number above 0, was \"Infinity\"",
        "rope_theta | \"fast\" | \"rope_theta\" must be a number, was \"fast\"",
        "hidden_size | 64.5 | \"hidden_size\" must be a whole number, was 64.5",
        "hidden_size | 1099511627776 | \"hidden_size\" is 1099511627776, which is too large",
        "hidden_size | 0 | \"hidden_size\" must be at least 1, was 0",
        "num_hidden_layers | -2 | \"num_hidden_layers\" must be at least 1, was -2",
        "vocab_size | \"64\" | \"vocab_size\" must be a whole number, was \"64\"",
        "tie_word_embeddings | {} | \"tie_word_embeddings\" must be true or false, was {}",
        "hidden_act | 3 | \"hidden_act\" must be a string, was 3"})
    void aConfigValueThatWouldGiveWrongAnswersIsRefusedNamingTheKey(String key, String value, String message)
            throws IOException {
        Path folder = model(1);
        Path file = folder.resolve("config.json");
        JsonObject config = JsonParser.parseString(Files.readString(file)).getAsJsonObject();
        config.addProperty(key, "@value@");
        Files.writeString(file, config.toString().replace("\"@value@\"", value));
        assertThatThrownBy(() -> TinyModels.load(folder))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("config.json").hasMessageContaining(message);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "{\"bos_token\": | not valid JSON (the text breaks off or is malformed at line 1 column",
        "{\"add_bos_token\": [1, 2]} | not an object with a usable bos_token and add_bos_token",
        "[1] | not an object with a usable bos_token and add_bos_token"})
    void aDamagedTokenizerConfigIsOnePlainLine(String text, String message) throws IOException {
        Path folder = model(1);
        Files.writeString(folder.resolve("tokenizer_config.json"), text);
        assertThatThrownBy(() -> TinyModels.load(folder))
                .isInstanceOf(ModelLoadException.class).hasMessageContaining("tokenizer_config.json: " + message)
                .hasMessageNotContaining("gson").hasMessageNotContaining("Exception");
    }

    @Test
    void aValueOfAnotherJsonKindThanTheFamilyReadsIsALoadError() throws IOException {
        Path fixture = SharedData.require("fixtures/tiny-gemma3");
        Path folder = Files.createDirectories(dir.resolve("gemma3"));
        try (var files = Files.list(fixture)) {
            for (Path file : files.toList()) {
                Files.copy(file, folder.resolve(file.getFileName()));
            }
        }
        Path file = folder.resolve("config.json");
        JsonObject config = JsonParser.parseString(Files.readString(file)).getAsJsonObject();
        config.getAsJsonObject("rope_parameters").addProperty("full_attention", -1);
        Files.writeString(file, config.toString());
        assertThatThrownBy(() -> TinyModels.load(folder))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("config.json: a value is of another kind than Gemma3ForCausalLM has there")
                .hasMessageNotContaining("gson");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {"hidden_act|\"gelu\"|hidden_act \"gelu\" is not supported (silu is)",
        "mlp_bias|true|MLP biases are not supported"})
    void anMlpTheDecoderDoesNotComputeIsRefused(String key, String value, String message) throws IOException {
        Path folder = model(1);
        Path file = folder.resolve("config.json");
        JsonObject config = JsonParser.parseString(Files.readString(file)).getAsJsonObject();
        config.add(key, JsonParser.parseString(value));
        Files.writeString(file, config.toString());
        assertThatThrownBy(() -> TinyModels.load(folder))
                .isInstanceOf(ModelLoadException.class).hasMessageContaining(message);
    }

    @Test
    void aRopeScalingFactorOfZeroIsRefused() throws IOException {
        Path folder = model(1);
        Path file = folder.resolve("config.json");
        JsonObject config = JsonParser.parseString(Files.readString(file)).getAsJsonObject();
        config.add("rope_scaling", JsonParser.parseString("{\"type\": \"linear\", \"factor\": 0}"));
        Files.writeString(file, config.toString());
        assertThatThrownBy(() -> TinyModels.load(folder))
                .isInstanceOf(ModelLoadException.class).hasMessageContaining("\"factor\" must be a finite number above 0");
    }

    @ParameterizedTest
    @CsvSource({"llama.attention.layer_norm_rms_epsilon, -1", "llama.rope.freq_base, 0",
        "llama.rope.freq_base, NaN", "llama.attention.layer_norm_rms_epsilon, Infinity"})
    void aGgufScaleThatWouldGiveNanIsRefusedNamingTheKey(String key, float value) throws IOException {
        Path file = dir.resolve("tiny-llama.gguf");
        byte[] bytes = Files.readAllBytes(SharedData.require("fixtures/gguf/tiny-llama-F32.gguf"));
        // the key's bytes, then its type (6: f32), then the value
        byte[] name = key.getBytes(StandardCharsets.UTF_8);
        int at = indexOf(bytes, name) + name.length;
        ByteBuffer metadata = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        assertThat(metadata.getInt(at)).as("type of " + key).isEqualTo(6);
        metadata.putFloat(at + 4, value);
        Files.write(file, bytes);
        assertThatThrownBy(() -> TinyModels.load(file))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("metadata key " + key + " must be a finite number above 0");
    }

    @ParameterizedTest
    @CsvSource({"tiny-granite, granite.embedding_scale", "tiny-granite, granite.residual_scale",
        "tiny-granite, granite.logit_scale", "tiny-gemma3, gemma3.rope.freq_base_swa",
        "tiny-gemma3, gemma3.attention.scale"})
    void aFamilysGgufScaleThatIsNotANumberIsRefusedNamingTheKey(String fixture, String key) throws Exception {
        Path file = dir.resolve(fixture + ".gguf");
        dev.parlance.inference.gguf.FixtureGgufConverter.convert(SharedData.require("fixtures/" + fixture), file);
        byte[] bytes = Files.readAllBytes(file);
        byte[] name = key.getBytes(StandardCharsets.UTF_8);
        int at = indexOf(bytes, name) + name.length;
        ByteBuffer metadata = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        assertThat(metadata.getInt(at)).as("type of " + key).isEqualTo(6);
        metadata.putFloat(at + 4, Float.NaN);
        Files.write(file, bytes);
        assertThatThrownBy(() -> TinyModels.load(file))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("metadata key " + key + " must be a finite number above 0");
    }

    private static int indexOf(byte[] bytes, byte[] part) {
        for (int i = 0; i + part.length <= bytes.length; i++) {
            if (Arrays.equals(bytes, i, i + part.length, part, 0, part.length)) {
                return i;
            }
        }
        throw new AssertionError("not found: " + new String(part, StandardCharsets.UTF_8));
    }

    @Test
    void aNegativeOffsetInsideTheFileIsRefused() throws IOException {
        Path folder = model(1);
        // the first tensor moved 8 bytes back, into the header, keeping its length
        editHeader(folder.resolve("model.safetensors"), header -> {
            JsonObject entry = firstTensor(header);
            long begin = entry.getAsJsonArray("data_offsets").get(0).getAsLong();
            long end = entry.getAsJsonArray("data_offsets").get(1).getAsLong();
            entry.add("data_offsets", JsonParser.parseString("[" + (begin - 8) + "," + (end - 8) + "]"));
            return header;
        });
        assertThatThrownBy(() -> TinyModels.load(folder))
                .isInstanceOf(ModelLoadException.class).hasMessageContaining("model.safetensors")
                .hasMessageContaining("expected 0 <= begin <= end").hasMessageNotContaining("Negative position");
    }

    @Test
    void overlappingTensorsAreRefusedNamingBoth() throws IOException {
        Path folder = model(1);
        editHeader(folder.resolve("model.safetensors"), header -> {
            // two tensors of one shape, the second pointed at the first one's bytes
            var names = header.keySet().stream().filter(n -> !n.equals("__metadata__")).toList();
            for (int i = 0; i < names.size(); i++) {
                JsonObject first = header.getAsJsonObject(names.get(i));
                for (String name : names.subList(i + 1, names.size())) {
                    JsonObject other = header.getAsJsonObject(name);
                    if (other.get("shape").equals(first.get("shape"))) {
                        other.add("data_offsets", first.get("data_offsets").deepCopy());
                        return header;
                    }
                }
            }
            throw new AssertionError("the tiny model has no two tensors of one shape");
        });
        assertThatThrownBy(() -> TinyModels.load(folder))
                .isInstanceOf(ModelLoadException.class).hasMessageContaining("share bytes");
    }

    @Test
    void aTensorNamedTwiceInOneHeaderIsRefused() throws IOException {
        Path folder = model(1);
        Path weights = folder.resolve("model.safetensors");
        String name = firstTensorName(weights);
        // a second copy of the first entry, written as text: a JSON object cannot hold it
        rewriteHeaderText(weights, text -> {
            JsonObject header = JsonParser.parseString(text).getAsJsonObject();
            String entry = "\"" + name + "\":" + header.get(name);
            return "{" + entry + "," + text.substring(1);
        });
        assertThatThrownBy(() -> TinyModels.load(folder))
                .isInstanceOf(ModelLoadException.class).hasMessageContaining("tensor " + name + " is listed twice");
    }

    @Test
    void aTensorInTwoShardsIsRefused() throws IOException {
        Path folder = model(2);
        Path first = folder.resolve("model-00001-of-00002.safetensors");
        Path second = folder.resolve("model-00002-of-00002.safetensors");
        assertThat(first).exists();
        String name = firstTensorName(first);
        JsonObject entry = header(first).getAsJsonObject(name);
        editHeader(second, header -> {
            // the tensor's entry appended at the end of the second shard's data
            JsonObject copy = entry.deepCopy();
            long length = entry.getAsJsonArray("data_offsets").get(1).getAsLong()
                    - entry.getAsJsonArray("data_offsets").get(0).getAsLong();
            long end = header.entrySet().stream().filter(e -> !e.getKey().equals("__metadata__"))
                    .mapToLong(e -> e.getValue().getAsJsonObject().getAsJsonArray("data_offsets").get(1).getAsLong())
                    .max().orElse(0);
            copy.add("data_offsets", JsonParser.parseString("[" + end + "," + (end + length) + "]"));
            header.add(name, copy);
            return header;
        }, entry.getAsJsonArray("data_offsets").get(1).getAsLong()
                - entry.getAsJsonArray("data_offsets").get(0).getAsLong());
        assertThatThrownBy(() -> TinyModels.load(folder))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("tensor " + name + " is also in model-00001-of-00002.safetensors");
    }

    @ParameterizedTest
    @CsvSource({"../outside.safetensors", "/etc/passwd", "sub/../../model/../../x.safetensors"})
    void aShardIndexNamingAFileOutsideTheFolderIsRefusedBeforeItIsOpened(String shard) throws IOException {
        Path folder = model(2);
        Path index = folder.resolve("model.safetensors.index.json");
        JsonObject json = JsonParser.parseString(Files.readString(index)).getAsJsonObject();
        String tensor = json.getAsJsonObject("weight_map").keySet().iterator().next();
        json.getAsJsonObject("weight_map").addProperty(tensor, shard);
        Files.writeString(index, json.toString());
        assertThatThrownBy(() -> TinyModels.load(folder))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("model.safetensors.index.json")
                .hasMessageContaining("\"" + shard + "\", which is outside the model folder");
    }

    private static JsonObject firstTensor(JsonObject header) {
        return header.entrySet().stream().filter(e -> !e.getKey().equals("__metadata__")).findFirst().orElseThrow()
                .getValue().getAsJsonObject();
    }

    private static String firstTensorName(Path weights) throws IOException {
        return header(weights).keySet().stream().filter(n -> !n.equals("__metadata__")).findFirst().orElseThrow();
    }

    private static JsonObject header(Path weights) throws IOException {
        byte[] bytes = Files.readAllBytes(weights);
        long length = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong();
        return JsonParser.parseString(new String(bytes, 8, (int) length, StandardCharsets.UTF_8)).getAsJsonObject();
    }

    private static void editHeader(Path weights, UnaryOperator<JsonObject> edit) throws IOException {
        editHeader(weights, edit, 0);
    }

    /** Rewrites the JSON header, keeping the data (offsets count from its end), with {@code extraBytes} zeros appended. */
    private static void editHeader(Path weights, UnaryOperator<JsonObject> edit, long extraBytes) throws IOException {
        rewriteHeaderText(weights, text -> edit.apply(JsonParser.parseString(text).getAsJsonObject()).toString());
        if (extraBytes > 0) {
            byte[] bytes = Files.readAllBytes(weights);
            Files.write(weights, Arrays.copyOf(bytes, (int) (bytes.length + extraBytes)));
        }
    }

    private static void rewriteHeaderText(Path weights, UnaryOperator<String> edit) throws IOException {
        byte[] bytes = Files.readAllBytes(weights);
        int length = (int) ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong();
        byte[] header = edit.apply(new String(bytes, 8, length, StandardCharsets.UTF_8))
                .getBytes(StandardCharsets.UTF_8);
        ByteBuffer out = ByteBuffer.allocate(8 + header.length + bytes.length - 8 - length).order(ByteOrder.LITTLE_ENDIAN);
        out.putLong(header.length).put(header).put(bytes, 8 + length, bytes.length - 8 - length);
        Files.write(weights, out.array());
    }
}
