package dev.parlance.inference.model.smollm3;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.parlance.inference.ModelLoadException;
import dev.parlance.inference.model.ConfigJson;
import dev.parlance.inference.model.GgufWeights;
import dev.parlance.inference.model.Rope;
import dev.parlance.inference.model.decoder.Architecture;
import dev.parlance.inference.model.decoder.DecoderConfig;
import dev.parlance.inference.model.decoder.Family;
import dev.parlance.inference.model.decoder.GgufConfigReader;
import dev.parlance.inference.model.decoder.HuggingFaceConfigReader;
import dev.parlance.inference.model.decoder.TensorNames;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Hugging Face's SmolLM3 ({@code SmolLM3ForCausalLM}; GGUF {@code smollm3}). Differs from Llama
 * in one thing: some layers have no RoPE (NoPE), their queries and keys carrying no position;
 * config.json lists which in {@code no_rope_layers} (1 = RoPE, 0 = none), by default every fourth
 * layer ({@code no_rope_layer_interval}). llama.cpp fixes that interval at 4 for {@code smollm3}
 * files and, as for {@code llama}, its converter permutes the q and k rows.
 *
 * <p>References: Hugging Face, "SmolLM3: smol, multilingual, long-context reasoner" (2025);
 * Kazemnejad et al., "The Impact of Positional Encoding on Length Generalization in Transformers"
 * (2023); transformers {@code modeling_smollm3.py}; llama.cpp {@code src/models/smollm3.cpp}.
 */
public final class SmolLM3Family implements Family {
    private static final String ARCHITECTURE = "SmolLM3ForCausalLM";
    /** Every this many layers, the last has no RoPE: transformers' default, llama.cpp's only choice. */
    private static final int NO_ROPE_INTERVAL = 4;

    @Override
    public List<String> huggingFaceArchitectures() {
        return List.of(ARCHITECTURE);
    }

    @Override
    public List<String> ggufArchitectures() {
        return List.of("smollm3");
    }

    @Override
    public TensorNames huggingFaceNames() {
        return TensorNames.HUGGING_FACE_LLAMA;
    }

    @Override
    public TensorNames ggufNames() {
        return TensorNames.GGUF;
    }

    /**
     * Parses a {@code config.json}: which layers turn from {@code no_rope_layers} (else every
     * layer but each {@code no_rope_layer_interval}-th), which slide from {@code layer_types}.
     */
    @Override
    public DecoderConfig fromHuggingFace(JsonObject json, Path file) throws ModelLoadException {
        var config = new ConfigJson(json, file);
        HuggingFaceConfigReader.requireSwiGlu(config);
        int layers = config.requireInt("num_hidden_layers");
        JsonArray noRope = json.has("no_rope_layers") && json.get("no_rope_layers").isJsonArray()
                ? json.getAsJsonArray("no_rope_layers") : null;
        if (noRope != null && noRope.size() != layers) {
            throw new ModelLoadException(file, "no_rope_layers lists " + noRope.size() + " layers, not " + layers);
        }
        JsonArray types = json.has("layer_types") && json.get("layer_types").isJsonArray()
                ? json.getAsJsonArray("layer_types") : null;
        if (types != null && types.size() != layers) {
            throw new ModelLoadException(file, "layer_types lists " + types.size() + " layers, not " + layers);
        }
        int interval = config.optInt("no_rope_layer_interval", NO_ROPE_INTERVAL);
        Rope rope = HuggingFaceConfigReader.rope(config);
        List<Architecture.LayerAttention> attention = new ArrayList<>();
        for (int i = 0; i < layers; i++) {
            boolean turns = noRope != null ? noRope.get(i).getAsInt() != 0 : (i + 1) % interval != 0;
            String type = types == null ? "full_attention" : types.get(i).getAsString();
            int window = switch (type) {
                case "full_attention" -> 0;
                case "sliding_attention" -> config.requireInt("sliding_window");
                default -> throw new ModelLoadException(file, "layer type \"" + type + "\" is not supported");
            };
            attention.add(new Architecture.LayerAttention(turns ? rope : null, window));
        }
        int headDim = HuggingFaceConfigReader.headDim(config);
        return HuggingFaceConfigReader.config(config, ARCHITECTURE, config.requireInt("max_position_embeddings"),
                config.optBoolean("attention_bias", false), design(headDim, attention));
    }

    /** Reads a GGUF file as llama.cpp does: every fourth layer without RoPE, q and k rows in adjacent pairs. */
    @Override
    public DecoderConfig fromGguf(GgufWeights weights) throws ModelLoadException {
        var gguf = new GgufConfigReader(weights, Map.of("smollm3", ARCHITECTURE));
        Rope rope = gguf.rope(Rope.Pairing.ADJACENT);
        List<Architecture.LayerAttention> attention = new ArrayList<>();
        for (int i = 0; i < gguf.size("block_count"); i++) {
            attention.add(new Architecture.LayerAttention((i + 1) % NO_ROPE_INTERVAL != 0 ? rope : null, 0));
        }
        return gguf.config(ARCHITECTURE, design(gguf.headDim(), attention));
    }

    private static Architecture design(int headDim, List<Architecture.LayerAttention> attention) {
        return new Architecture(Architecture.Norm.TIMES_WEIGHT, false, false, Architecture.Activation.SWIGLU, 1, 1,
                (float) (1 / Math.sqrt(headDim)), 0, 1, 0, headDim, attention, null);
    }
}
