package dev.parlance.inference.model.decoder;

import com.google.gson.JsonObject;
import dev.parlance.inference.ModelLoadException;
import dev.parlance.inference.model.ConfigJson;
import dev.parlance.inference.model.Rope;

/** The fields of a {@code config.json} that every decoder family has, as transformers 4.x and 5 write them. */
public final class HuggingFaceConfigReader {
    private HuggingFaceConfigReader() {}

    /**
     * The configuration with the common sizes read from {@code config}.
     *
     * @param contextLength max positions (a family may cap max_position_embeddings)
     */
    public static DecoderConfig config(ConfigJson config, String architecture, int contextLength,
            boolean attentionBias, Architecture design) throws ModelLoadException {
        int hidden = config.requireInt("hidden_size");
        int heads = config.requireInt("num_attention_heads");
        try {
            return new DecoderConfig(
                    architecture,
                    hidden,
                    config.requireInt("intermediate_size"),
                    config.requireInt("num_hidden_layers"),
                    heads,
                    config.optInt("num_key_value_heads", heads),
                    headDim(config),
                    config.requireInt("vocab_size"),
                    contextLength,
                    config.optDouble("rms_norm_eps", 1e-6),
                    attentionBias,
                    config.optBoolean("tie_word_embeddings", false),
                    design);
        } catch (IllegalArgumentException e) {
            throw new ModelLoadException(config.file(), e.getMessage(), e);
        }
    }

    /**
     * Refuses an MLP the decoder does not compute: an activation other than SiLU (the gate of
     * SwiGLU), or biases on the MLP's matrices.
     */
    public static void requireSwiGlu(ConfigJson config) throws ModelLoadException {
        String act = config.optString("hidden_act", "silu");
        if (!act.equals("silu")) {
            throw new ModelLoadException(config.file(), "hidden_act \"" + act + "\" is not supported (silu is)");
        }
        if (config.optBoolean("mlp_bias", false)) {
            throw new ModelLoadException(config.file(), "MLP biases are not supported");
        }
    }

    /** {@code head_dim}, or hidden_size / num_attention_heads where it is absent. */
    public static int headDim(ConfigJson config) throws ModelLoadException {
        int heads = config.requireInt("num_attention_heads");
        return config.optInt("head_dim", heads > 0 ? config.requireInt("hidden_size") / heads : 0);
    }

    /**
     * The RoPE of a model with one kind of attention: transformers 5 writes {@code rope_parameters}
     * (theta and type together); 4.x {@code rope_theta} and {@code rope_scaling}.
     */
    public static Rope rope(ConfigJson config) throws ModelLoadException {
        JsonObject parameters = config.optObject("rope_parameters");
        double theta = parameters != null ? new ConfigJson(parameters, config.file()).optDouble("rope_theta", 10000.0)
                : config.optDouble("rope_theta", 10000.0);
        return rope(parameters != null ? parameters : config.optObject("rope_scaling"), theta, config);
    }

    /**
     * RoPE of base {@code theta} with the scaling that {@code scaling} (a {@code rope_scaling} or
     * {@code rope_parameters} object, or null) describes.
     */
    public static Rope rope(JsonObject scaling, double theta, ConfigJson config) throws ModelLoadException {
        if (scaling == null) {
            return Rope.plain(theta);
        }
        var fields = new ConfigJson(scaling, config.file());
        String type = fields.optString("rope_type", fields.optString("type", "default"));
        return switch (type) {
            case "default" -> Rope.plain(theta);
            case "linear" -> new Rope(theta, "linear", fields.optDouble("factor", 1), 1, 1, 0);
            case "llama3" -> new Rope(theta, "llama3", fields.optDouble("factor", 8),
                    fields.optDouble("low_freq_factor", 1), fields.optDouble("high_freq_factor", 4),
                    fields.requireInt("original_max_position_embeddings"));
            default -> throw new ModelLoadException(config.file(), "rope_scaling type \"" + type
                    + "\" is not supported (linear and llama3 are)");
        };
    }
}
