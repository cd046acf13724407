package dev.parlance.inference.model.gpt2;

import com.google.gson.JsonObject;
import dev.parlance.inference.ModelLoadException;
import dev.parlance.inference.model.ConfigJson;
import dev.parlance.inference.model.ModelConfig;
import java.nio.file.Path;

/** Configuration of GPT-2 ({@code GPT2LMHeadModel}). */
public record Gpt2Config(int hiddenSize, int innerSize, int numLayers, int numHeads, int vocabSize,
        int contextLength, double layerNormEps) implements ModelConfig {

    public Gpt2Config {
        if (numHeads <= 0 || hiddenSize % numHeads != 0 || (hiddenSize / numHeads) % 2 != 0) {
            throw new IllegalArgumentException("n_embd (" + hiddenSize + ") must split into n_head (" + numHeads
                    + ") heads of even size");
        }
        if (numLayers <= 0 || vocabSize <= 0 || contextLength <= 0 || innerSize <= 0) {
            throw new IllegalArgumentException("sizes must be positive");
        }
    }

    @Override
    public String architecture() {
        return "GPT2LMHeadModel";
    }

    @Override
    public int numKvHeads() {
        return numHeads;
    }

    @Override
    public int headDim() {
        return hiddenSize / numHeads;
    }

    @Override
    public long parameterCount() {
        long perLayer = 4L * hiddenSize * hiddenSize + 2L * hiddenSize * innerSize + 9L * hiddenSize + innerSize;
        return numLayers * perLayer + (long) (vocabSize + contextLength) * hiddenSize + 2L * hiddenSize;
    }

    @Override
    public long prefillParametersPerToken() {
        return parameterCount() - (long) (vocabSize + contextLength) * hiddenSize;
    }

    /** Parses a Hugging Face {@code config.json}. */
    public static Gpt2Config fromHuggingFace(JsonObject json, Path file) throws ModelLoadException {
        var config = new ConfigJson(json, file);
        String act = config.optString("activation_function", "gelu_new");
        if (!act.equals("gelu_new") && !act.equals("gelu_pytorch_tanh")) {
            throw new ModelLoadException(file, "activation_function \"" + act
                    + "\" is not supported (gelu_new is)");
        }
        int hidden = config.requireInt("n_embd");
        try {
            return new Gpt2Config(hidden, config.optInt("n_inner", 4 * hidden), config.requireInt("n_layer"),
                    config.requireInt("n_head"), config.requireInt("vocab_size"),
                    config.optInt("n_positions", config.optInt("n_ctx", 1024)),
                    config.optDouble("layer_norm_epsilon", 1e-5));
        } catch (IllegalArgumentException e) {
            throw new ModelLoadException(file, e.getMessage(), e);
        }
    }
}
