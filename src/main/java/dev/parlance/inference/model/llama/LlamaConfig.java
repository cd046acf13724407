package dev.parlance.inference.model.llama;

import com.google.gson.JsonObject;
import dev.parlance.inference.ModelLoadException;
import dev.parlance.inference.gguf.GgufFile;
import dev.parlance.inference.gguf.GgufTensor;
import dev.parlance.inference.model.ConfigJson;
import dev.parlance.inference.model.GgufWeights;
import dev.parlance.inference.model.ModelConfig;
import java.nio.file.Path;
import java.util.Map;

/**
 * Configuration of the Llama family (Llama 2/3.x, Mistral, Qwen2, Qwen3, SmolLM, TinyLlama).
 *
 * @param attentionBias q, k and v projections have biases (Qwen2; o_proj never does)
 * @param queryKeyNorm each head of q and k is RMS-normalized, with weights of its own, before
 *     RoPE (Qwen3)
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
        boolean queryKeyNorm,
        Rope rope) implements ModelConfig {

    /**
     * Rotary position embedding parameters.
     *
     * @param scaling "none", "linear" or "llama3"
     * @param frequencyFactors per rotated pair, what each frequency is divided by (a GGUF file's
     *     {@code rope_freqs} tensor, Llama 3.1's scaling computed by its converter), or null
     * @param pairing which dimensions turn together
     */
    public record Rope(double theta, String scaling, double factor, double lowFreqFactor,
            double highFreqFactor, int originalContextLength, float[] frequencyFactors, Pairing pairing) {
        public Rope(double theta, String scaling, double factor, double lowFreqFactor, double highFreqFactor,
                int originalContextLength) {
            this(theta, scaling, factor, lowFreqFactor, highFreqFactor, originalContextLength, null, Pairing.HALVES);
        }

        public static Rope plain(double theta) {
            return new Rope(theta, "none", 1, 1, 1, 0);
        }
    }

    /** Which dimensions of a head RoPE turns together, as the checkpoint's q and k rows are ordered. */
    public enum Pairing {
        /** i with i + headDim/2: Hugging Face's rotate_half, and GGUF files other than {@code llama}. */
        HALVES,
        /**
         * 2i with 2i + 1: GGUF {@code llama} files, whose converter permuted the q and k rows of
         * each head for llama.cpp's rotation. The order within a head does not change q·k when q
         * and k share it, so the permuted rows run as they are.
         */
        ADJACENT
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
        boolean qwen3 = architecture.equals("Qwen3ForCausalLM");
        int hidden = config.requireInt("hidden_size");
        int heads = config.requireInt("num_attention_heads");
        int contextLength = config.requireInt("max_position_embeddings");
        boolean slidingWindow = config.has("sliding_window") && config.optBoolean("use_sliding_window", !qwen2 && !qwen3);
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
                    qwen3,
                    rope(config));
        } catch (IllegalArgumentException e) {
            throw new ModelLoadException(file, e.getMessage(), e);
        }
    }

    /** GGUF architectures of this family, with the Hugging Face name each corresponds to. */
    private static final Map<String, String> GGUF_ARCHITECTURES =
            Map.of("llama", "LlamaForCausalLM", "qwen2", "Qwen2ForCausalLM", "qwen3", "Qwen3ForCausalLM");

    /** Whether a GGUF file's {@code general.architecture} belongs to this family. */
    public static boolean isGgufArchitecture(String architecture) {
        return GGUF_ARCHITECTURES.containsKey(architecture);
    }

    /**
     * Reads the hyper-parameters of a GGUF file from its {@code <arch>.*} keys; the vocabulary
     * size, whether the output is tied and Llama 3.1's RoPE frequency factors come from the
     * tensors.
     */
    public static LlamaConfig fromGguf(GgufWeights weights) throws ModelLoadException {
        GgufFile file = weights.file();
        String arch = file.string("general.architecture");
        if (!isGgufArchitecture(arch)) {
            throw new ModelLoadException(file.path(), "the GGUF architecture \"" + arch + "\" is not a Llama-family one");
        }
        String p = arch + ".";
        int hidden = intKey(file, p + "embedding_length");
        int heads = intKey(file, p + "attention.head_count");
        int kvHeads = (int) file.optInteger(p + "attention.head_count_kv").orElse(heads);
        int headDim = (int) file.optInteger(p + "attention.key_length").orElse(heads > 0 ? hidden / heads : 0);
        long valueDim = file.optInteger(p + "attention.value_length").orElse(headDim);
        if (valueDim != headDim) {
            throw new ModelLoadException(file.path(), "keys of " + headDim + " and values of " + valueDim
                    + " dimensions per head are not supported");
        }
        long rotated = file.optInteger(p + "rope.dimension_count").orElse(headDim);
        if (rotated != headDim) {
            throw new ModelLoadException(file.path(), "RoPE over " + rotated + " of " + headDim
                    + " dimensions per head is not supported");
        }
        GgufTensor embeddings = file.tensor("token_embd.weight");
        if (embeddings.ne().length != 2) {
            throw new ModelLoadException(file.path(), "token_embd.weight is not a matrix");
        }
        float[] frequencyFactors = weights.optionalVector("rope_freqs.weight", headDim / 2).orElse(null);
        String scaling = file.optString(p + "rope.scaling.type").orElse("none");
        double theta = file.number(p + "rope.freq_base", 10000.0);
        Rope rope = switch (scaling) {
            case "none" -> new Rope(theta, "none", 1, 1, 1, 0, frequencyFactors, pairing(arch));
            case "linear" -> new Rope(theta, "linear", file.number(p + "rope.scaling.factor", 1), 1, 1, 0,
                    frequencyFactors, pairing(arch));
            default -> throw new ModelLoadException(file.path(), "RoPE scaling \"" + scaling
                    + "\" is not supported (linear is)");
        };
        try {
            return new LlamaConfig(
                    GGUF_ARCHITECTURES.get(arch),
                    hidden,
                    intKey(file, p + "feed_forward_length"),
                    intKey(file, p + "block_count"),
                    heads,
                    kvHeads,
                    headDim,
                    embeddings.rows(),
                    intKey(file, p + "context_length"),
                    file.number(p + "attention.layer_norm_rms_epsilon", 1e-5),
                    file.findTensor("blk.0.attn_q.bias").isPresent(),
                    file.findTensor("output.weight").isEmpty(),
                    file.findTensor("blk.0.attn_q_norm.weight").isPresent(),
                    rope);
        } catch (IllegalArgumentException e) {
            throw new ModelLoadException(file.path(), e.getMessage(), e);
        }
    }

    private static Pairing pairing(String ggufArchitecture) {
        return ggufArchitecture.equals("llama") ? Pairing.ADJACENT : Pairing.HALVES;
    }

    private static int intKey(GgufFile file, String key) throws ModelLoadException {
        long value = file.integer(key);
        if (value <= 0 || value > Integer.MAX_VALUE) {
            throw new ModelLoadException(file.path(), key + " is " + value + ", which is not a usable size");
        }
        return (int) value;
    }

    private static Rope rope(ConfigJson config) throws ModelLoadException {
        // transformers 5 writes rope_parameters (theta and type together); 4.x rope_theta and rope_scaling
        JsonObject parameters = config.optObject("rope_parameters");
        double theta = parameters != null ? new ConfigJson(parameters, config.file()).optDouble("rope_theta", 10000.0)
                : config.optDouble("rope_theta", 10000.0);
        JsonObject scaling = parameters != null ? parameters : config.optObject("rope_scaling");
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
