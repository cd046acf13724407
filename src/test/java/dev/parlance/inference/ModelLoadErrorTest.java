package dev.parlance.inference;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.parlance.inference.model.SafeTensors;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Every kind of unusable folder gets a typed error that names the file and the problem. */
class ModelLoadErrorTest {
    @TempDir
    Path dir;

    private Path folder;

    @BeforeEach
    void writeModel() {
        folder = TinyModels.write(dir.resolve("model"), SafeTensors.DType.F32, 1);
    }

    private void editConfig(Consumer<JsonObject> edit) throws IOException {
        Path file = folder.resolve("config.json");
        JsonObject config = JsonParser.parseString(Files.readString(file)).getAsJsonObject();
        edit.accept(config);
        Files.writeString(file, config.toString());
    }

    @Test
    void aMissingFolderIsNamed() {
        assertThatThrownBy(() -> TinyModels.load(dir.resolve("nowhere")))
                .isInstanceOf(ModelLoadException.class).hasMessageContaining("nowhere").hasMessageContaining("no such file or folder");
    }

    @Test
    void aMissingConfigIsNamed() throws IOException {
        Files.delete(folder.resolve("config.json"));
        assertThatThrownBy(() -> TinyModels.load(folder))
                .isInstanceOf(ModelLoadException.class).hasMessageContaining("config.json").hasMessageContaining("missing");
    }

    @Test
    void aConfigThatIsNotJsonIsNamed() throws IOException {
        Files.writeString(folder.resolve("config.json"), "{ not json");
        assertThatThrownBy(() -> TinyModels.load(folder))
                .isInstanceOf(ModelLoadException.class).hasMessageContaining("config.json").hasMessageContaining("not valid JSON")
                .hasMessageContaining("line 1 column").hasMessageNotContaining("gson");
    }

    @Test
    void anUnknownArchitectureListsTheSupportedOnes() throws IOException {
        editConfig(c -> c.add("architectures", JsonParser.parseString("[\"BertForMaskedLM\"]")));
        assertThatThrownBy(() -> TinyModels.load(folder))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("BertForMaskedLM is not supported").hasMessageContaining("Qwen2ForCausalLM");
    }

    @Test
    void missingWeightsAreNamed() throws IOException {
        Files.delete(folder.resolve("model.safetensors"));
        assertThatThrownBy(() -> TinyModels.load(folder))
                .isInstanceOf(ModelLoadException.class).hasMessageContaining("no weights found");
    }

    @Test
    void aShapeMismatchNamesTheTensorAndBothShapes() throws IOException {
        editConfig(c -> c.addProperty("intermediate_size", 80));
        assertThatThrownBy(() -> TinyModels.load(folder))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("model.layers.0.mlp.gate_proj.weight has shape [64, 32]")
                .hasMessageContaining("[80, 32]");
    }

    @Test
    void aTruncatedWeightsFileIsNamed() throws IOException {
        Path weights = folder.resolve("model.safetensors");
        try (var file = new RandomAccessFile(weights.toFile(), "rw")) {
            file.setLength(file.length() - 100);
        }
        assertThatThrownBy(() -> TinyModels.load(folder))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("model.safetensors").hasMessageContaining("truncated");
    }

    @Test
    void anUnsupportedDtypeIsNamed() throws IOException {
        Path weights = folder.resolve("model.safetensors");
        byte[] bytes = Files.readAllBytes(weights);
        long headerLength = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong();
        String header = new String(bytes, 8, (int) headerLength, StandardCharsets.UTF_8);
        // "I32" is as long as "F32", so every offset stays valid
        String edited = header.replaceFirst("\"F32\"", "\"I32\"");
        System.arraycopy(edited.getBytes(StandardCharsets.UTF_8), 0, bytes, 8, (int) headerLength);
        Files.write(weights, bytes);
        assertThatThrownBy(() -> TinyModels.load(folder))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("dtype I32, which is not supported");
    }

    @Test
    void aMissingTokenizerIsNamed() throws IOException {
        Files.delete(folder.resolve("tokenizer.json"));
        assertThatThrownBy(() -> TinyModels.load(folder))
                .isInstanceOf(ModelLoadException.class).hasMessageContaining("missing tokenizer.json");
    }

    @Test
    void aModelTooLargeForFreeMemoryIsRefusedWithTheNumbersBeforeLoading() throws IOException {
        editConfig(c -> {
            c.addProperty("hidden_size", 65536);
            c.addProperty("intermediate_size", 262144);
            c.addProperty("num_hidden_layers", 200);
            c.addProperty("num_attention_heads", 512);
            c.addProperty("num_key_value_heads", 512);
        });
        assertThatThrownBy(() -> TinyModels.load(folder))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("this model needs about").hasMessageContaining("GB is free");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "{\"max_new_tokens\": -1} | max new tokens must be >= 0",
        "{\"eos_token_id\": \"x\"} | eos_token_id must be a token id or a list of them, not \"x\"",
        "{\"repetition_penalty\": 0} | repeat penalty must be > 0",
        "{\"do_sample\": \"yes\"} | do_sample must be true or false",
        "{\"do_sample\": true, \"temperature\": \"hot\"} | temperature must be a number"})
    void unusableGenerationSettingsAreNamedInOneLine(String generationConfig, String problem) throws IOException {
        Files.writeString(folder.resolve("generation_config.json"), generationConfig);
        assertThatThrownBy(() -> TinyModels.load(folder))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("generation settings cannot be used").hasMessageContaining(problem);
    }

    @Test
    void aConfigLinkedToADeviceIsRefusedAtOnce() throws IOException {
        Path device = Path.of("/dev/zero");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.exists(device), "skipped: no /dev/zero on this system");
        Files.delete(folder.resolve("config.json"));
        Files.createSymbolicLink(folder.resolve("config.json"), device);
        assertThatThrownBy(() -> TinyModels.load(folder))
                .isInstanceOf(ModelLoadException.class).hasMessageContaining("config.json")
                .hasMessageContaining("is not a regular file");
    }

    @Test
    void aHugeConfigIsRefusedBeforeItIsRead() throws IOException {
        try (RandomAccessFile file = new RandomAccessFile(folder.resolve("config.json").toFile(), "rw")) {
            file.setLength(64L << 20); // sparse: no disk is written
        }
        assertThatThrownBy(() -> TinyModels.load(folder))
                .isInstanceOf(ModelLoadException.class).hasMessageContaining("64 MB");
    }
}
