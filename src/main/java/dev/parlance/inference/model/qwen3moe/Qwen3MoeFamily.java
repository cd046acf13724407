package dev.parlance.inference.model.qwen3moe;

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
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Qwen3's mixtures of experts ({@code Qwen3MoeForCausalLM}, such as Qwen3-30B-A3B; GGUF
 * {@code qwen3moe}). As Qwen3 (q and k norms, explicit head_dim), but the MLP of each sparse layer
 * is a router over {@code num_experts} SwiGLU experts of {@code moe_intermediate_size}, of which
 * each token takes the {@code num_experts_per_tok} most likely, weighted by their router
 * probabilities (renormalized to sum to one with {@code norm_topk_prob}). A layer is sparse unless
 * {@code mlp_only_layers} lists it or {@code decoder_sparse_step} skips it; llama.cpp's
 * {@code qwen3moe} files have experts in every layer ({@code ffn_gate_inp}, {@code ffn_gate_exps},
 * {@code ffn_up_exps}, {@code ffn_down_exps}) and always renormalize.
 *
 * <p>References: Qwen Team, "Qwen3 Technical Report" (2025); transformers
 * {@code modeling_qwen3_moe.py}; llama.cpp {@code src/models/qwen3moe.cpp}.
 */
public final class Qwen3MoeFamily implements Family {
    private static final String ARCHITECTURE = "Qwen3MoeForCausalLM";

    @Override
    public List<String> huggingFaceArchitectures() {
        return List.of(ARCHITECTURE);
    }

    @Override
    public List<String> ggufArchitectures() {
        return List.of("qwen3moe");
    }

    @Override
    public TensorNames huggingFaceNames() {
        return TensorNames.HUGGING_FACE_LLAMA.withExperts(new TensorNames.ExpertNames("mlp.gate",
                "mlp.experts.%d.gate_proj", "mlp.experts.%d.up_proj", "mlp.experts.%d.down_proj"));
    }

    @Override
    public TensorNames ggufNames() {
        return TensorNames.GGUF.withExperts(new TensorNames.ExpertNames("ffn_gate_inp", "ffn_gate_exps",
                "ffn_up_exps", "ffn_down_exps"));
    }

    @Override
    public DecoderConfig fromHuggingFace(JsonObject json, Path file) throws ModelLoadException {
        var config = new ConfigJson(json, file);
        HuggingFaceConfigReader.requireSwiGlu(config);
        if (config.optBoolean("use_sliding_window", false)) {
            throw new ModelLoadException(file, "Qwen3-MoE's sliding window is not supported");
        }
        int layers = config.requireInt("num_hidden_layers");
        int count = config.optInt("num_experts", config.optInt("num_local_experts", 0));
        int step = config.optInt("decoder_sparse_step", 1);
        Set<Integer> denseOnly = new HashSet<>();
        JsonArray mlpOnly = json.has("mlp_only_layers") && json.get("mlp_only_layers").isJsonArray()
                ? json.getAsJsonArray("mlp_only_layers") : new JsonArray();
        mlpOnly.forEach(layer -> denseOnly.add(layer.getAsInt()));
        List<Boolean> sparse = new ArrayList<>();
        for (int i = 0; i < layers; i++) {
            sparse.add(!denseOnly.contains(i) && count > 0 && step > 0 && (i + 1) % step == 0);
        }
        Architecture.Experts experts;
        try {
            experts = new Architecture.Experts(count, config.requireInt("num_experts_per_tok"),
                    config.requireInt("moe_intermediate_size"), config.optBoolean("norm_topk_prob", false), sparse);
        } catch (IllegalArgumentException e) {
            throw new ModelLoadException(file, e.getMessage(), e);
        }
        int headDim = HuggingFaceConfigReader.headDim(config);
        return HuggingFaceConfigReader.config(config, ARCHITECTURE, config.requireInt("max_position_embeddings"),
                config.optBoolean("attention_bias", false),
                design(layers, headDim, HuggingFaceConfigReader.rope(config), experts));
    }

    @Override
    public DecoderConfig fromGguf(GgufWeights weights) throws ModelLoadException {
        var gguf = new GgufConfigReader(weights, Map.of("qwen3moe", ARCHITECTURE));
        int layers = gguf.size("block_count");
        Architecture.Experts experts;
        try {
            experts = new Architecture.Experts(gguf.size("expert_count"), gguf.size("expert_used_count"),
                    gguf.size("expert_feed_forward_length"),
                    gguf.file().bool(gguf.prefix() + "expert_weights_norm", true),
                    Collections.nCopies(layers, true));
        } catch (IllegalArgumentException e) {
            throw new ModelLoadException(gguf.file().path(), e.getMessage(), e);
        }
        return gguf.config(ARCHITECTURE, design(layers, gguf.headDim(), gguf.rope(Rope.Pairing.HALVES), experts));
    }

    private static Architecture design(int layers, int headDim, Rope rope, Architecture.Experts experts) {
        return new Architecture(Architecture.Norm.TIMES_WEIGHT, false, true, Architecture.Activation.SWIGLU, 1, 1,
                (float) (1 / Math.sqrt(headDim)), 0, 1, 0, headDim,
                Collections.nCopies(layers, new Architecture.LayerAttention(rope, 0)), experts);
    }
}
