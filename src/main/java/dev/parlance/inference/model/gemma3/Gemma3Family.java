package dev.parlance.inference.model.gemma3;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
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
 * Gemma 3's text models ({@code Gemma3ForCausalLM}, model_type {@code gemma3_text}; GGUF
 * {@code gemma3}). Differs from Llama in: RMSNorms that multiply by {@code 1 + w} (a GGUF file
 * stores {@code 1 + w}: llama.cpp's converter adds the one), norms before and after attention and
 * the MLP, q and k norms, embeddings times sqrt(hidden), GeGLU with the tanh GELU, the attention
 * scale {@code query_pre_attn_scalar^-0.5}, interleaved sliding-window and global layers with a
 * RoPE base of their own, an optional final logit soft-cap.
 *
 * <p>References: Gemma Team, "Gemma 3 Technical Report" (2025); transformers
 * {@code modeling_gemma3.py}; llama.cpp {@code src/models/gemma3.cpp}.
 */
public final class Gemma3Family implements Family {
    private static final String ARCHITECTURE = "Gemma3ForCausalLM";
    /** llama.cpp's fixed choices for Gemma 3 files, which carry no key for them. */
    private static final int GGUF_SLIDING_PATTERN = 6;
    private static final double GGUF_LOCAL_ROPE_BASE = 10000;
    /** Gemma 3 27B's block count: llama.cpp scales its attention by hidden/heads, not head_dim. */
    private static final int GGUF_27B_BLOCKS = 62;

    @Override
    public List<String> huggingFaceArchitectures() {
        return List.of(ARCHITECTURE);
    }

    @Override
    public List<String> ggufArchitectures() {
        return List.of("gemma3");
    }

    @Override
    public TensorNames huggingFaceNames() {
        TensorNames llama = TensorNames.HUGGING_FACE_LLAMA;
        return new TensorNames(llama.embed(), llama.output(), llama.finalNorm(), llama.layer(), llama.qkv(), llama.o(),
                llama.gateUp(), llama.down(), "input_layernorm", "post_attention_layernorm",
                "pre_feedforward_layernorm", "post_feedforward_layernorm", llama.queryNorm(), llama.keyNorm(), null);
    }

    @Override
    public TensorNames ggufNames() {
        return TensorNames.GGUF;
    }

    /**
     * Parses a {@code config.json} of transformers 5 ({@code rope_parameters} per layer type) or
     * 4.x ({@code rope_theta} for global and {@code rope_local_base_freq} for sliding layers).
     * Which layers slide comes from {@code layer_types}, else from {@code sliding_window_pattern}.
     */
    @Override
    public DecoderConfig fromHuggingFace(JsonObject json, Path file) throws ModelLoadException {
        var config = new ConfigJson(json, file);
        String act = config.optString("hidden_activation", config.optString("hidden_act", "gelu_pytorch_tanh"));
        if (!act.equals("gelu_pytorch_tanh")) {
            throw new ModelLoadException(file, "hidden_activation \"" + act + "\" is not supported "
                    + "(gelu_pytorch_tanh is)");
        }
        if (config.has("attn_logit_softcapping")) {
            throw new ModelLoadException(file, "attention logit soft-capping is not supported");
        }
        int layers = config.requireInt("num_hidden_layers");
        int headDim = HuggingFaceConfigReader.headDim(config);
        JsonObject parameters = config.optObject("rope_parameters");
        Rope global;
        Rope local;
        if (parameters != null && parameters.has("full_attention")) {
            global = rope(parameters.getAsJsonObject("full_attention"), config);
            local = rope(parameters.getAsJsonObject("sliding_attention"), config);
        } else {
            global = HuggingFaceConfigReader.rope(config);
            local = Rope.plain(config.optDouble("rope_local_base_freq", GGUF_LOCAL_ROPE_BASE));
        }
        int window = config.requireInt("sliding_window");
        List<Architecture.LayerAttention> attention = new ArrayList<>();
        JsonArray types = json.has("layer_types") && json.get("layer_types").isJsonArray()
                ? json.getAsJsonArray("layer_types") : null;
        if (types != null && types.size() != layers) {
            throw new ModelLoadException(file, "layer_types lists " + types.size() + " layers, not " + layers);
        }
        int pattern = config.optInt("sliding_window_pattern", GGUF_SLIDING_PATTERN);
        for (int i = 0; i < layers; i++) {
            boolean sliding = types != null ? slides(types.get(i), file) : (i + 1) % pattern != 0;
            attention.add(sliding ? new Architecture.LayerAttention(local, window)
                    : new Architecture.LayerAttention(global, 0));
        }
        float scale = (float) Math.pow(config.optDouble("query_pre_attn_scalar", headDim), -0.5);
        Architecture design = design(config.requireInt("hidden_size"), scale,
                (float) config.optDouble("final_logit_softcapping", 0), headDim, attention,
                Architecture.Norm.TIMES_ONE_PLUS_WEIGHT);
        return HuggingFaceConfigReader.config(config, ARCHITECTURE, config.requireInt("max_position_embeddings"),
                config.optBoolean("attention_bias", false), design);
    }

    private static Rope rope(JsonObject parameters, ConfigJson config) throws ModelLoadException {
        if (parameters == null) {
            throw new ModelLoadException(config.file(), "rope_parameters needs full_attention and sliding_attention");
        }
        double theta = new ConfigJson(parameters, config.file()).optDouble("rope_theta", 10000.0);
        return HuggingFaceConfigReader.rope(parameters, theta, config);
    }

    private static boolean slides(JsonElement type, Path file) throws ModelLoadException {
        return switch (type.getAsString()) {
            case "sliding_attention" -> true;
            case "full_attention" -> false;
            default -> throw new ModelLoadException(file, "layer type \"" + type.getAsString() + "\" is not supported");
        };
    }

    /**
     * Reads a GGUF file as llama.cpp does: its norms hold {@code 1 + w} already; every sixth
     * layer is global and the others slide (or the layers {@code gemma3.attention.sliding_window_pattern}
     * marks, where given); sliding layers turn with base 10,000 (or
     * {@code gemma3.rope.freq_base_swa}), global ones with {@code gemma3.rope.freq_base}; the
     * attention scale is {@code gemma3.attention.scale} where given, else llama.cpp's rule.
     */
    @Override
    public DecoderConfig fromGguf(GgufWeights weights) throws ModelLoadException {
        var gguf = new GgufConfigReader(weights, Map.of("gemma3", ARCHITECTURE));
        int layers = gguf.size("block_count");
        int headDim = gguf.headDim();
        int hidden = gguf.size("embedding_length");
        Rope global = gguf.rope(Rope.Pairing.HALVES);
        Rope local = Rope.plain(gguf.positiveNumber("rope.freq_base_swa", GGUF_LOCAL_ROPE_BASE));
        long window = gguf.file().optInteger(gguf.prefix() + "attention.sliding_window").orElse(0);
        if (window < 0 || window > Integer.MAX_VALUE) {
            throw new ModelLoadException(gguf.file().path(), "the sliding window of " + window + " is not usable");
        }
        Object pattern = gguf.file().metadata().get(gguf.prefix() + "attention.sliding_window_pattern");
        List<Architecture.LayerAttention> attention = new ArrayList<>();
        for (int i = 0; i < layers; i++) {
            boolean sliding = window > 0 && switch (pattern) {
                case null -> (i + 1) % GGUF_SLIDING_PATTERN != 0;
                case Long every when every > 0 -> (i + 1) % every != 0;
                case List<?> marks when marks.size() == layers -> Boolean.TRUE.equals(marks.get(i));
                default -> throw new ModelLoadException(gguf.file().path(), gguf.prefix()
                        + "attention.sliding_window_pattern is neither a period nor one mark per layer");
            };
            attention.add(sliding ? new Architecture.LayerAttention(local, (int) window)
                    : new Architecture.LayerAttention(global, 0));
        }
        double fallbackScale = layers == GGUF_27B_BLOCKS ? 1 / Math.sqrt((double) hidden / gguf.heads())
                : 1 / Math.sqrt(headDim);
        double softCap = gguf.number("final_logit_softcapping", 0);
        if (!(softCap >= 0) || Double.isInfinite(softCap)) {
            throw new ModelLoadException(gguf.file().path(), "metadata key " + gguf.prefix()
                    + "final_logit_softcapping must be a finite number, 0 or above, was " + softCap);
        }
        Architecture design = design(hidden, (float) gguf.positiveNumber("attention.scale", fallbackScale),
                (float) softCap, headDim, attention, Architecture.Norm.TIMES_WEIGHT);
        return gguf.config(ARCHITECTURE, design);
    }

    private static Architecture design(int hidden, float attentionScale, float softCap, int headDim,
            List<Architecture.LayerAttention> attention, Architecture.Norm norm) {
        // the embedding scale is sqrt(hidden) cast to the model's dtype (float32 here)
        return new Architecture(norm, true, true, Architecture.Activation.GEGLU_TANH, (float) Math.sqrt(hidden), 1,
                attentionScale, 0, 1, softCap, headDim, attention, null);
    }
}
