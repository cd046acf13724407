package dev.parlance.inference.model.phi3;

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
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * Phi-3 and Phi-4-mini ({@code Phi3ForCausalLM}; GGUF {@code phi3}). Differs from Llama in: q, k
 * and v stored as one matrix ({@code qkv_proj}, GGUF {@code attn_qkv}) and gate and up as another
 * ({@code gate_up_proj}, GGUF {@code ffn_up}), and partial rotary: RoPE turns the first
 * {@code head_dim * partial_rotary_factor} dimensions of each head, with frequencies
 * {@code theta^(-2i/rotated)}. The long-context {@code longrope} scaling is not supported yet.
 *
 * <p>References: Abdin et al., "Phi-3 Technical Report" (2024); transformers {@code modeling_phi3.py};
 * llama.cpp {@code src/models/phi3.cpp}.
 */
public final class Phi3Family implements Family {
    private static final String ARCHITECTURE = "Phi3ForCausalLM";

    @Override
    public List<String> huggingFaceArchitectures() {
        return List.of(ARCHITECTURE);
    }

    @Override
    public List<String> ggufArchitectures() {
        return List.of("phi3");
    }

    @Override
    public TensorNames huggingFaceNames() {
        TensorNames llama = TensorNames.HUGGING_FACE_LLAMA;
        return new TensorNames(llama.embed(), llama.output(), llama.finalNorm(), llama.layer(),
                List.of("self_attn.qkv_proj"), llama.o(), List.of("mlp.gate_up_proj"), llama.down(),
                llama.attentionNorm(), null, llama.mlpNorm(), null, null, null);
    }

    @Override
    public TensorNames ggufNames() {
        TensorNames gguf = TensorNames.GGUF;
        return new TensorNames(gguf.embed(), gguf.output(), gguf.finalNorm(), gguf.layer(), List.of("attn_qkv"),
                gguf.o(), List.of("ffn_up"), gguf.down(), gguf.attentionNorm(), null, gguf.mlpNorm(), null, null, null);
    }

    @Override
    public DecoderConfig fromHuggingFace(JsonObject json, Path file) throws ModelLoadException {
        var config = new ConfigJson(json, file);
        String act = config.optString("hidden_act", "silu");
        if (!act.equals("silu")) {
            throw new ModelLoadException(file, "hidden_act \"" + act + "\" is not supported (silu is)");
        }
        JsonObject parameters = config.optObject("rope_parameters");
        JsonObject scaling = parameters != null ? parameters : config.optObject("rope_scaling");
        String type = scaling == null ? "default"
                : new ConfigJson(scaling, file).optString("rope_type", new ConfigJson(scaling, file).optString("type",
                        "default"));
        if (!type.equals("default")) {
            throw new ModelLoadException(file, "Phi-3's RoPE scaling \"" + type + "\" is not supported yet");
        }
        int headDim = HuggingFaceConfigReader.headDim(config);
        double partial = parameters != null && parameters.has("partial_rotary_factor")
                ? new ConfigJson(parameters, file).optDouble("partial_rotary_factor", 1)
                : config.optDouble("partial_rotary_factor", 1);
        int rotaryDims = (int) (headDim * partial);
        if (config.has("sliding_window")) {
            throw new ModelLoadException(file, "Phi-3's sliding window is not supported");
        }
        Architecture design = design(config.requireInt("num_hidden_layers"), headDim, rotaryDims,
                HuggingFaceConfigReader.rope(config));
        return HuggingFaceConfigReader.config(config, ARCHITECTURE, config.requireInt("max_position_embeddings"),
                config.optBoolean("attention_bias", false), design);
    }

    @Override
    public DecoderConfig fromGguf(GgufWeights weights) throws ModelLoadException {
        var gguf = new GgufConfigReader(weights, Map.of("phi3", ARCHITECTURE));
        if (gguf.file().findTensor("rope_factors_long.weight").isPresent()) {
            throw new ModelLoadException(gguf.file().path(), "Phi-3's long-context RoPE factors are not supported yet");
        }
        Architecture design = design(gguf.size("block_count"), gguf.headDim(), gguf.rotaryDims(),
                gguf.rope(Rope.Pairing.HALVES));
        return gguf.config(ARCHITECTURE, design);
    }

    private static Architecture design(int layers, int headDim, int rotaryDims, Rope rope) {
        return new Architecture(Architecture.Norm.TIMES_WEIGHT, false, false, Architecture.Activation.SWIGLU, 1, 1,
                (float) (1 / Math.sqrt(headDim)), 1, 0, rotaryDims,
                Collections.nCopies(layers, new Architecture.LayerAttention(rope, 0)));
    }
}
