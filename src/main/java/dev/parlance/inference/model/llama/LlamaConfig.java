package dev.parlance.inference.model.llama;

import com.google.gson.JsonObject;
import dev.parlance.inference.ModelLoadException;
import dev.parlance.inference.model.ConfigJson;
import dev.parlance.inference.model.ModelConfig;
import java.nio.file.Path;

/**
 * Configuration of the Llama family (Llama 2/3.x, Mistral, Qwen2, SmolLM, TinyLlama).
 *
 * @param attentionBias q, k and v projections have biases (Qwen2; o_proj never does)
 * @param rope how positions are encoded
 * @param contextLength max positions, capped at Mistral's sliding window where one is used, so
 *     that attention over the whole context stays exact
 */
public record LlamaConfig(
        String architecture,
        int hiddenSize,
        int intermediateSize,
        int numLayers,
        int numHeads,
        int numKvHeads,
        int headDim,
        int vocabSize,
        int contextLength,
        double rmsNormEps,
        boolean attentionBias,
        boolean tieWordEmbeddings,
        Rope rope) implements ModelConfig {

    /**
     * Rotary position embedding parameters.
     *
     * @param scaling "none", "linear" or "llama3"
     */
    public record Rope(double theta, String scaling, double factor, double lowFreqFactor,
            double highFreqFactor, int originalContextLength) {
        public static Rope plain(double theta) {
            return new Rope(theta, "none", 1, 1, 1, 0);
        }
    }

    public LlamaConfig {
        if (numHeads <= 0 || numKvHeads <= 0 || numHeads % numKvHeads != 0) {
            throw new IllegalArgumentException("num_attention_heads (" + numHeads
                    + ") must be a positive multiple of num_key_value_heads (" + numKvHeads + ")");
        }
        if (headDim <= 0 || headDim % 2 != 0) {
            throw new IllegalArgumentException("head_dim must be positive and even, was " + headDim);
        }
        if (hiddenSize <= 0 || intermediateSize <= 0 || numLayers <= 0 || vocabSize <= 0 || contextLength <= 0) {
            throw new IllegalArgumentException("sizes must be positive");
        }
    }

    /** Query heads that share one key/value head. */
    public int groupSize() {
        return numHeads / numKvHeads;
    }

    @Override
    public long parameterCount() {
        long attention = (long) hiddenSize * headDim * (2L * numHeads + 2L * numKvHeads);
        long mlp = 3L * hiddenSize * intermediateSize;
        long perLayer = attention + mlp + 2L * hiddenSize;
        long embeddings = (long) vocabSize * hiddenSize * (tieWordEmbeddings ? 1 : 2);
        return numLayers * perLayer + embeddings + hiddenSize;
    }

    @Override
    public long prefillParametersPerToken() {
        return parameterCount() - (long) vocabSize * hiddenSize * (tieWordEmbeddings ? 1 : 2);
    }

    /** Parses a Hugging Face {@code config.json}. */
    public static LlamaConfig fromHuggingFace(JsonObject json, Path file) throws ModelLoadException {
        var config = new ConfigJson(json, file);
        String architecture = json.getAsJsonArray("architectures").get(0).getAsString();
        boolean qwen2 = architecture.equals("Qwen2ForCausalLM");
        int hidden = config.requireInt("hidden_size");
        int heads = config.requireInt("num_attention_heads");
        int contextLength = config.requireInt("max_position_embeddings");
        boolean slidingWindow = config.has("sliding_window") && config.optBoolean("use_sliding_window", !qwen2);
        if (slidingWindow) {
            contextLength = Math.min(contextLength, config.requireInt("sliding_window"));
        }
        String act = config.optString("hidden_act", "silu");
        if (!act.equals("silu")) {
            throw new ModelLoadException(file, "hidden_act \"" + act + "\" is not supported (silu is)");
        }
        try {
            return new LlamaConfig(
                    architecture,
                    hidden,
                    config.requireInt("intermediate_size"),
                    config.requireInt("num_hidden_layers"),
                    heads,
                    config.optInt("num_key_value_heads", heads),
                    config.optInt("head_dim", heads > 0 ? hidden / heads : 0),
                    config.requireInt("vocab_size"),
                    contextLength,
                    config.optDouble("rms_norm_eps", 1e-6),
                    config.optBoolean("attention_bias", qwen2),
                    config.optBoolean("tie_word_embeddings", false),
                    rope(config));
        } catch (IllegalArgumentException e) {
            throw new ModelLoadException(file, e.getMessage(), e);
        }
    }

    private static Rope rope(ConfigJson config) throws ModelLoadException {
        double theta = config.optDouble("rope_theta", 10000.0);
        JsonObject scaling = config.optObject("rope_scaling");
        if (scaling == null) {
            return Rope.plain(theta);
        }
        var fields = new ConfigJson(scaling, config.file());
        String type = fields.optString("rope_type", fields.optString("type", "default"));
        switch (type) {
            case "default":
                return Rope.plain(theta);
            case "linear":
                return new Rope(theta, "linear", fields.optDouble("factor", 1), 1, 1, 0);
            case "llama3":
                return new Rope(theta, "llama3", fields.optDouble("factor", 8),
                        fields.optDouble("low_freq_factor", 1), fields.optDouble("high_freq_factor", 4),
                        fields.requireInt("original_max_position_embeddings"));
            default:
                throw new ModelLoadException(config.file(), "rope_scaling type \"" + type
                        + "\" is not supported (linear and llama3 are)");
        }
    }
}
