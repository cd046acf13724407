package dev.parlance.inference.model.decoder;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.parlance.inference.ModelLoadException;
import dev.parlance.inference.model.gemma3.Gemma3Family;
import dev.parlance.inference.model.granite.GraniteFamily;
import dev.parlance.inference.model.phi3.Phi3Family;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The family readers on config.json variants the fixtures do not have: transformers 4.x keys, refusals. */
class FamilyConfigTest {
    private static final Path FILE = Path.of("config.json");
    private static final String SIZES = "\"hidden_size\": 64, \"intermediate_size\": 128, \"num_attention_heads\": 4,"
            + " \"num_key_value_heads\": 1, \"vocab_size\": 100, \"max_position_embeddings\": 256, ";

    private static JsonObject json(String architecture, String fields) {
        return JsonParser.parseString("{\"architectures\": [\"" + architecture + "\"], " + SIZES + fields + "}")
                .getAsJsonObject();
    }

    @Test
    void gemma3WrittenByTransformers4SlidesAllButEverySixthLayerWithTheLocalBase() throws Exception {
        // transformers 4.x Gemma3TextConfig: layer i slides unless (i + 1) % sliding_window_pattern == 0
        DecoderConfig config = new Gemma3Family().fromHuggingFace(json("Gemma3ForCausalLM",
                "\"num_hidden_layers\": 7, \"head_dim\": 16, \"sliding_window\": 32, \"sliding_window_pattern\": 6, "
                        + "\"rope_theta\": 1000000.0, \"rope_local_base_freq\": 10000.0, \"query_pre_attn_scalar\": 16"),
                FILE);
        var layers = config.design().layers();
        for (int i = 0; i < 7; i++) {
            boolean global = i == 5;
            assertThat(layers.get(i).window()).as("layer %d", i).isEqualTo(global ? 0 : 32);
            assertThat(layers.get(i).rope().theta()).as("layer %d", i).isEqualTo(global ? 1e6 : 1e4);
        }
        assertThat(config.design().attentionScale()).isEqualTo(0.25f);
        assertThat(config.design().embeddingScale()).isEqualTo(8f);
        assertThat(config.design().norm()).isEqualTo(Architecture.Norm.TIMES_ONE_PLUS_WEIGHT);
    }

    @Test
    void gemma3LayerTypesOfAnotherLengthAreRefused() {
        assertThatThrownBy(() -> new Gemma3Family().fromHuggingFace(json("Gemma3ForCausalLM",
                "\"num_hidden_layers\": 3, \"sliding_window\": 16, "
                        + "\"layer_types\": [\"sliding_attention\", \"full_attention\"]"), FILE))
                .isInstanceOf(ModelLoadException.class).hasMessageContaining("layer_types lists 2 layers, not 3");
    }

    @Test
    void phi3LongRopeScalingIsRefusedByName() {
        assertThatThrownBy(() -> new Phi3Family().fromHuggingFace(json("Phi3ForCausalLM",
                "\"num_hidden_layers\": 2, \"rope_scaling\": {\"type\": \"longrope\", \"short_factor\": [1.0], "
                        + "\"long_factor\": [2.0]}"), FILE))
                .isInstanceOf(ModelLoadException.class).hasMessageContaining("\"longrope\"");
    }

    @Test
    void phi3WrittenByTransformers4TakesItsPartialRotaryFactorFromTheTopLevel() throws Exception {
        DecoderConfig config = new Phi3Family().fromHuggingFace(json("Phi3ForCausalLM",
                "\"num_hidden_layers\": 2, \"partial_rotary_factor\": 0.5, \"rope_theta\": 10000.0"), FILE);
        assertThat(config.design().rotaryDims()).isEqualTo(8); // half of 64 / 4
    }

    @Test
    void graniteMultipliersBecomeTheArchitecturesScales() throws Exception {
        DecoderConfig config = new GraniteFamily().fromHuggingFace(json("GraniteForCausalLM",
                "\"num_hidden_layers\": 2, \"embedding_multiplier\": 12.0, \"residual_multiplier\": 0.22, "
                        + "\"attention_multiplier\": 0.0078125, \"logits_scaling\": 8.0"), FILE);
        Architecture design = config.design();
        assertThat(design.embeddingScale()).isEqualTo(12f);
        assertThat(design.residualScale()).isCloseTo(0.22f, within(1e-7f));
        assertThat(design.attentionScale()).isEqualTo(0.0078125f);
        assertThat(design.logitScale()).isEqualTo(0.125f);
    }
}
