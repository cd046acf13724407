package dev.parlance.inference.model.phi3;

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
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * Phi-3 and Phi-4-mini ({@code Phi3ForCausalLM}; GGUF {@code phi3}). Differs from Llama in: a
 * sliding window over every layer where {@code sliding_window} is set; q, k
 * and v stored as one matrix ({@code qkv_proj}, GGUF {@code attn_qkv}) and gate and up as another
 * ({@code gate_up_proj}, GGUF {@code ffn_up}), and partial rotary: RoPE turns the first
 * {@code head_dim * partial_rotary_factor} dimensions of each head, with frequencies
 * {@code theta^(-2i/rotated)}; and the long-context models' LongRoPE ({@code rope_scaling} type
 * {@code longrope}, 4.x {@code su}): each frequency divided by a short or a long factor, cos and
 * sin times an attention factor (see {@link Rope#longRope} and
 * {@link dev.parlance.inference.model.decoder.DecoderModel#newCache} for which factors apply).
 *
 * <p>References: Abdin et al., "Phi-3 Technical Report" (2024); Ding et al., "LongRoPE: Extending
 * LLM Context Window Beyond 2 Million Tokens" (2024); transformers {@code modeling_phi3.py},
 * {@code modeling_rope_utils.py}; llama.cpp {@code src/models/phi3.cpp}.
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
                llama.attentionNorm(), null, llama.mlpNorm(), null, null, null, null);
    }

    @Override
    public TensorNames ggufNames() {
        TensorNames gguf = TensorNames.GGUF;
        return new TensorNames(gguf.embed(), gguf.output(), gguf.finalNorm(), gguf.layer(), List.of("attn_qkv"),
                gguf.o(), List.of("ffn_up"), gguf.down(), gguf.attentionNorm(), null, gguf.mlpNorm(), null, null, null,
                null);
    }

    @Override
    public DecoderConfig fromHuggingFace(JsonObject json, Path file) throws ModelLoadException {
        var config = new ConfigJson(json, file);
        HuggingFaceConfigReader.requireSwiGlu(config);
        JsonObject parameters = config.optObject("rope_parameters");
        JsonObject scaling = parameters != null ? parameters : config.optObject("rope_scaling");
        var fields = scaling == null ? null : new ConfigJson(scaling, file);
        String type = fields == null ? "default" : fields.optString("rope_type", fields.optString("type", "default"));
        int headDim = HuggingFaceConfigReader.headDim(config);
        double partial = parameters != null && parameters.has("partial_rotary_factor")
                ? new ConfigJson(parameters, file).optDouble("partial_rotary_factor", 1)
                : config.optDouble("partial_rotary_factor", 1);
        int rotaryDims = (int) (headDim * partial);
        Rope rope = switch (type) {
            case "default" -> HuggingFaceConfigReader.rope(config);
            case "longrope", "su" -> longRope(config, scaling, rotaryDims);
            default -> throw new ModelLoadException(file, "Phi-3's RoPE scaling \"" + type
                    + "\" is not supported (longrope is)");
        };
        Architecture design = design(config.requireInt("num_hidden_layers"), headDim, rotaryDims, rope,
                config.optInt("sliding_window", 0));
        return HuggingFaceConfigReader.config(config, ARCHITECTURE, config.requireInt("max_position_embeddings"),
                config.optBoolean("attention_bias", false), design);
    }

    /**
     * LongRoPE as transformers reads it: {@code original_max_position_embeddings} from the top
     * level where given, else from the scaling; the attention factor as given, else
     * {@code sqrt(1 + ln(s) / ln(original))} for {@code s = factor} (or max_position_embeddings /
     * original) above 1.
     */
    private static Rope longRope(ConfigJson config, JsonObject json, int rotaryDims) throws ModelLoadException {
        var scaling = new ConfigJson(json, config.file());
        int original = config.optInt("original_max_position_embeddings",
                scaling.optInt("original_max_position_embeddings", config.requireInt("max_position_embeddings")));
        float[] shortFactors = factors(json, "short_factor", rotaryDims, config);
        float[] longFactors = factors(json, "long_factor", rotaryDims, config);
        double factor = scaling.optDouble("factor", config.requireInt("max_position_embeddings") / (double) original);
        double attentionFactor = scaling.optDouble("attention_factor",
                factor <= 1 ? 1 : Math.sqrt(1 + Math.log(factor) / Math.log(original)));
        double theta = scaling.optDouble("rope_theta", config.optDouble("rope_theta", 10000.0));
        return Rope.longRope(theta, original, shortFactors, longFactors, attentionFactor, Rope.Pairing.HALVES);
    }

    private static float[] factors(JsonObject scaling, String key, int rotaryDims, ConfigJson config)
            throws ModelLoadException {
        JsonArray array = scaling.has(key) && scaling.get(key).isJsonArray() ? scaling.getAsJsonArray(key) : null;
        if (array == null || array.size() != rotaryDims / 2) {
            throw new ModelLoadException(config.file(), "longrope needs " + rotaryDims / 2 + " values in " + key);
        }
        float[] values = new float[array.size()];
        for (int i = 0; i < values.length; i++) {
            values[i] = array.get(i).getAsFloat();
        }
        return values;
    }

    /**
     * Reads a GGUF file; a long-context one carries its LongRoPE factors as the tensors
     * {@code rope_factors_short} and {@code rope_factors_long}, with
     * {@code phi3.rope.scaling.original_context_length} and {@code phi3.rope.scaling.attn_factor}.
     * Every layer slides over {@code phi3.attention.sliding_window} positions where the file gives
     * them, as transformers does (llama.cpp ignores the key for now).
     */
    @Override
    public DecoderConfig fromGguf(GgufWeights weights) throws ModelLoadException {
        var gguf = new GgufConfigReader(weights, Map.of("phi3", ARCHITECTURE));
        int rotaryDims = gguf.rotaryDims();
        Rope rope;
        if (gguf.file().findTensor("rope_factors_long.weight").isPresent()) {
            long original = gguf.file().integer(gguf.prefix() + "rope.scaling.original_context_length");
            rope = Rope.longRope(gguf.number("rope.freq_base", 10000.0), (int) original,
                    weights.vector("rope_factors_short.weight", rotaryDims / 2),
                    weights.vector("rope_factors_long.weight", rotaryDims / 2),
                    gguf.number("rope.scaling.attn_factor", 1), Rope.Pairing.HALVES);
        } else {
            rope = gguf.rope(Rope.Pairing.HALVES);
        }
        long window = gguf.file().optInteger(gguf.prefix() + "attention.sliding_window").orElse(0);
        if (window < 0 || window > Integer.MAX_VALUE) {
            throw new ModelLoadException(gguf.file().path(), "the sliding window of " + window + " is not usable");
        }
        return gguf.config(ARCHITECTURE, design(gguf.size("block_count"), gguf.headDim(), rotaryDims, rope,
                (int) window));
    }

    /** @param window every layer's sliding window (Phi-3-mini's 2047; 262,144 in the long-context models), or 0 */
    private static Architecture design(int layers, int headDim, int rotaryDims, Rope rope, int window) {
        return new Architecture(Architecture.Norm.TIMES_WEIGHT, false, false, Architecture.Activation.SWIGLU, 1, 1,
                (float) (1 / Math.sqrt(headDim)), 0, 1, 0, rotaryDims,
                Collections.nCopies(layers, new Architecture.LayerAttention(rope, window)), null);
    }
}
