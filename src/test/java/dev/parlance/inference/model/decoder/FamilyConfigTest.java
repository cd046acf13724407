package dev.parlance.inference.model.decoder;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.parlance.inference.ModelLoadException;
import dev.parlance.inference.model.Rope;
import dev.parlance.inference.model.gemma2.Gemma2Family;
import dev.parlance.inference.model.gemma3.Gemma3Family;
import dev.parlance.inference.model.granite.GraniteFamily;
import dev.parlance.inference.model.phi3.Phi3Family;
import dev.parlance.inference.model.qwen3moe.Qwen3MoeFamily;
import dev.parlance.inference.model.smollm3.SmolLM3Family;
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
    void phi35MiniWrittenByTransformers4TakesTheTopLevelOriginalContextDerivesTheAttentionFactorAndSlides()
            throws Exception {
        // Phi-3.5-mini's shape: max_position_embeddings / original = 131072 / 4096 = 32
        DecoderConfig config = new Phi3Family().fromHuggingFace(JsonParser.parseString("{\"architectures\": "
                + "[\"Phi3ForCausalLM\"], \"hidden_size\": 64, \"intermediate_size\": 128, "
                + "\"num_attention_heads\": 4, \"num_hidden_layers\": 2, \"vocab_size\": 100, "
                + "\"max_position_embeddings\": 131072, \"original_max_position_embeddings\": 4096, "
                + "\"sliding_window\": 262144, "
                + "\"rope_theta\": 10000.0, \"rope_scaling\": {\"type\": \"su\", "
                + "\"short_factor\": [1, 1, 1, 1, 1, 1, 1, 1], \"long_factor\": [1, 2, 3, 4, 5, 6, 7, 8]}}")
                .getAsJsonObject(), FILE);
        Rope rope = config.design().layers().get(0).rope();
        assertThat(rope.originalContextLength()).isEqualTo(4096);
        assertThat(rope.attentionFactor()).isCloseTo(Math.sqrt(1 + Math.log(32) / Math.log(4096)), within(1e-12));
        assertThat(rope.longContext().frequencyFactors()).containsExactly(1, 2, 3, 4, 5, 6, 7, 8);
        assertThat(config.contextLength()).isEqualTo(131072);
        assertThat(config.design().layers().get(1).window()).isEqualTo(262144);
    }

    @Test
    void phi3LongRopeFactorsOfTheWrongLengthAreRefused() {
        assertThatThrownBy(() -> new Phi3Family().fromHuggingFace(json("Phi3ForCausalLM",
                "\"num_hidden_layers\": 2, \"rope_scaling\": {\"type\": \"longrope\", \"short_factor\": [1.0], "
                        + "\"long_factor\": [2.0]}"), FILE))
                .isInstanceOf(ModelLoadException.class).hasMessageContaining("8 values in short_factor");
    }

    @Test
    void phi3YarnScalingIsRefusedByName() {
        assertThatThrownBy(() -> new Phi3Family().fromHuggingFace(json("Phi3ForCausalLM",
                "\"num_hidden_layers\": 2, \"rope_scaling\": {\"type\": \"yarn\", \"factor\": 4.0}"), FILE))
                .isInstanceOf(ModelLoadException.class).hasMessageContaining("\"yarn\"");
    }

    @Test
    void smolLM3LayersListedWithZeroInNoRopeLayersTurnWithoutRope() throws Exception {
        DecoderConfig config = new SmolLM3Family().fromHuggingFace(json("SmolLM3ForCausalLM",
                "\"num_hidden_layers\": 4, \"no_rope_layers\": [1, 0, 1, 1], \"rope_theta\": 5000.0"), FILE);
        var layers = config.design().layers();
        assertThat(layers.get(1).rope()).isNull();
        assertThat(layers.get(0).rope().theta()).isEqualTo(5000.0);
        assertThat(layers.get(2).rope()).isNotNull();
        assertThat(layers.get(3).rope()).isNotNull();
    }

    @Test
    void smolLM3WithoutNoRopeLayersLeavesRopeOutOfEveryFourthLayer() throws Exception {
        DecoderConfig config = new SmolLM3Family().fromHuggingFace(json("SmolLM3ForCausalLM",
                "\"num_hidden_layers\": 8"), FILE);
        for (int i = 0; i < 8; i++) {
            assertThat(config.design().layers().get(i).rope() == null).as("layer %d", i).isEqualTo(i % 4 == 3);
        }
    }

    @Test
    void qwen3MoeLayersListedInMlpOnlyLayersOrSkippedBySparseStepKeepTheDenseMlp() throws Exception {
        DecoderConfig config = new Qwen3MoeFamily().fromHuggingFace(json("Qwen3MoeForCausalLM",
                "\"num_hidden_layers\": 6, \"num_experts\": 8, \"num_experts_per_tok\": 2, "
                        + "\"moe_intermediate_size\": 32, \"decoder_sparse_step\": 2, \"mlp_only_layers\": [3]"), FILE);
        assertThat(config.design().experts().sparseLayers()).containsExactly(false, true, false, false, false, true);
        assertThat(config.design().experts().normalizeTopK()).isFalse(); // transformers' default
    }

    @Test
    void qwen3Moe30bA3bHasThirtyBillionParametersOfWhichThreeAreActive() throws Exception {
        // Qwen3-30B-A3B's config.json; its model card: 30.5B parameters, 3.3B activated
        DecoderConfig config = new Qwen3MoeFamily().fromHuggingFace(JsonParser.parseString("{\"architectures\": "
                + "[\"Qwen3MoeForCausalLM\"], \"hidden_size\": 2048, \"intermediate_size\": 6144, "
                + "\"num_hidden_layers\": 48, \"num_attention_heads\": 32, \"num_key_value_heads\": 4, "
                + "\"head_dim\": 128, \"vocab_size\": 151936, \"max_position_embeddings\": 40960, "
                + "\"num_experts\": 128, \"num_experts_per_tok\": 8, \"moe_intermediate_size\": 768, "
                + "\"norm_topk_prob\": true, \"decoder_sparse_step\": 1, \"mlp_only_layers\": [], "
                + "\"tie_word_embeddings\": false, \"rope_theta\": 1000000.0}").getAsJsonObject(), FILE);
        long embeddings = 2L * 151936 * 2048;
        assertThat(config.parameterCount()).isBetween(30_400_000_000L, 30_600_000_000L);
        // 3.35B counting the input and the output embeddings
        assertThat(config.prefillParametersPerToken() + embeddings).isBetween(3_250_000_000L, 3_400_000_000L);
        // what a GGUF file of it must hold in memory: the experts a token is not routed to stay on disk
        assertThat(config.routedParameterCount()).isBetween(3_250_000_000L, 3_400_000_000L);
    }

    @Test
    void gemma2WithoutLayerTypesSlidesItsEvenLayersAndSoftCapsScoresAndLogits() throws Exception {
        DecoderConfig config = new Gemma2Family().fromHuggingFace(json("Gemma2ForCausalLM",
                "\"num_hidden_layers\": 4, \"head_dim\": 16, \"sliding_window\": 4096, \"query_pre_attn_scalar\": 256, "
                        + "\"attn_logit_softcapping\": 50.0, \"final_logit_softcapping\": 30.0"), FILE);
        Architecture design = config.design();
        for (int i = 0; i < 4; i++) {
            assertThat(design.layers().get(i).window()).as("layer %d", i).isEqualTo(i % 2 == 0 ? 4096 : 0);
        }
        assertThat(design.attentionScale()).isEqualTo(0.0625f);
        assertThat(design.attentionSoftCap()).isEqualTo(50f);
        assertThat(design.logitSoftCap()).isEqualTo(30f);
        assertThat(design.queryKeyNorm()).isFalse();
        assertThat(design.sandwichNorms()).isTrue();
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
