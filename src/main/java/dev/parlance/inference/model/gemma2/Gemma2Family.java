package dev.parlance.inference.model.gemma2;

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
import dev.parlance.inference.model.gemma3.Gemma3Family;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Gemma 2 ({@code Gemma2ForCausalLM}; GGUF {@code gemma2}). As {@link Gemma3Family}: {@code 1 + w}
 * RMSNorms (a GGUF file stores {@code 1 + w}), norms before and after attention and the MLP,
 * embeddings times sqrt(hidden), GeGLU with the tanh GELU, the attention scale
 * {@code query_pre_attn_scalar^-0.5}; but without q and k norms, with one RoPE base for every
 * layer, sliding-window and global layers alternating (the even ones slide), and two soft-caps:
 * each attention score {@code s} becomes {@code c * tanh(s / c)} before the softmax
 * ({@code attn_logit_softcapping}), and so does each logit ({@code final_logit_softcapping}).
 *
 * <p>References: Gemma Team, "Gemma 2: Improving Open Language Models at a Practical Size" (2024);
 * transformers {@code modeling_gemma2.py}; llama.cpp {@code src/models/gemma2-iswa.cpp}.
 */
public final class Gemma2Family implements Family {
    private static final String ARCHITECTURE = "Gemma2ForCausalLM";
    /** Gemma 2 27B's block count: llama.cpp scales its attention by hidden/heads, not head_dim. */
    private static final int GGUF_27B_BLOCKS = 46;

    @Override
    public List<String> huggingFaceArchitectures() {
        return List.of(ARCHITECTURE);
    }

    @Override
    public List<String> ggufArchitectures() {
        return List.of("gemma2");
    }

    @Override
    public TensorNames huggingFaceNames() {
        TensorNames gemma3 = new Gemma3Family().huggingFaceNames();
        return new TensorNames(gemma3.embed(), gemma3.output(), gemma3.finalNorm(), gemma3.layer(), gemma3.qkv(),
                gemma3.o(), gemma3.gateUp(), gemma3.down(), gemma3.attentionNorm(), gemma3.attentionOutputNorm(),
                gemma3.mlpNorm(), gemma3.mlpOutputNorm(), null, null, null);
    }

    @Override
    public TensorNames ggufNames() {
        return TensorNames.GGUF;
    }

    /** Parses a {@code config.json}; which layers slide comes from {@code layer_types}, else every even one. */
    @Override
    public DecoderConfig fromHuggingFace(JsonObject json, Path file) throws ModelLoadException {
        var config = new ConfigJson(json, file);
        String act = config.optString("hidden_activation", config.optString("hidden_act", "gelu_pytorch_tanh"));
        if (!act.equals("gelu_pytorch_tanh")) {
            throw new ModelLoadException(file, "hidden_activation \"" + act + "\" is not supported "
                    + "(gelu_pytorch_tanh is)");
        }
        int layers = config.requireInt("num_hidden_layers");
        JsonArray types = json.has("layer_types") && json.get("layer_types").isJsonArray()
                ? json.getAsJsonArray("layer_types") : null;
        if (types != null && types.size() != layers) {
            throw new ModelLoadException(file, "layer_types lists " + types.size() + " layers, not " + layers);
        }
        Rope rope = HuggingFaceConfigReader.rope(config);
        int window = config.requireInt("sliding_window");
        List<Architecture.LayerAttention> attention = new ArrayList<>();
        for (int i = 0; i < layers; i++) {
            String type = types != null ? types.get(i).getAsString() : i % 2 == 0 ? "sliding_attention"
                    : "full_attention";
            attention.add(switch (type) {
                case "sliding_attention" -> new Architecture.LayerAttention(rope, window);
                case "full_attention" -> new Architecture.LayerAttention(rope, 0);
                default -> throw new ModelLoadException(file, "layer type \"" + type + "\" is not supported");
            });
        }
        int headDim = HuggingFaceConfigReader.headDim(config);
        float scale = (float) Math.pow(config.optDouble("query_pre_attn_scalar", headDim), -0.5);
        Architecture design = design(config.requireInt("hidden_size"), scale,
                (float) config.optDouble("attn_logit_softcapping", 0),
                (float) config.optDouble("final_logit_softcapping", 0), headDim, attention,
                Architecture.Norm.TIMES_ONE_PLUS_WEIGHT);
        return HuggingFaceConfigReader.config(config, ARCHITECTURE, config.requireInt("max_position_embeddings"),
                config.optBoolean("attention_bias", false), design);
    }

    /**
     * Reads a GGUF file as llama.cpp does: its norms hold {@code 1 + w} already; the even layers
     * slide over {@code gemma2.attention.sliding_window} positions; the soft-caps are
     * {@code gemma2.attn_logit_softcapping} and {@code gemma2.final_logit_softcapping}; the
     * attention scale is 1/sqrt(head_dim) (the 27B's 1/sqrt(hidden/heads)), which llama.cpp fixes
     * in code.
     */
    @Override
    public DecoderConfig fromGguf(GgufWeights weights) throws ModelLoadException {
        var gguf = new GgufConfigReader(weights, Map.of("gemma2", ARCHITECTURE));
        int layers = gguf.size("block_count");
        int headDim = gguf.headDim();
        int hidden = gguf.size("embedding_length");
        Rope rope = gguf.rope(Rope.Pairing.HALVES);
        long window = gguf.file().integer(gguf.prefix() + "attention.sliding_window");
        if (window <= 0 || window > Integer.MAX_VALUE) {
            throw new ModelLoadException(gguf.file().path(), "the sliding window of " + window + " is not usable");
        }
        List<Architecture.LayerAttention> attention = new ArrayList<>();
        for (int i = 0; i < layers; i++) {
            attention.add(new Architecture.LayerAttention(rope, i % 2 == 0 ? (int) window : 0));
        }
        double scale = layers == GGUF_27B_BLOCKS ? 1 / Math.sqrt((double) hidden / gguf.heads()) : 1 / Math.sqrt(headDim);
        Architecture design = design(hidden, (float) scale, (float) gguf.number("attn_logit_softcapping", 0),
                (float) gguf.number("final_logit_softcapping", 0), headDim, attention, Architecture.Norm.TIMES_WEIGHT);
        return gguf.config(ARCHITECTURE, design);
    }

    private static Architecture design(int hidden, float attentionScale, float attentionSoftCap, float logitSoftCap,
            int headDim, List<Architecture.LayerAttention> attention, Architecture.Norm norm) {
        // the embedding scale is sqrt(hidden) cast to the model's dtype (float32 here)
        return new Architecture(norm, true, false, Architecture.Activation.GEGLU_TANH, (float) Math.sqrt(hidden), 1,
                attentionScale, attentionSoftCap, 1, logitSoftCap, headDim, attention, null);
    }
}
