package dev.parlance.inference.model.llama;

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
 * The Llama family: Llama 2/3.x, Mistral, Qwen2 (q/k/v biases), Qwen3 (q/k norms), SmolLM,
 * TinyLlama. Everything here is the plain {@link Architecture#llama} but Qwen3's per-head norms.
 */
public final class LlamaFamily implements Family {
    /** GGUF architectures of this family, with the Hugging Face name each corresponds to. */
    private static final Map<String, String> GGUF_ARCHITECTURES =
            Map.of("llama", "LlamaForCausalLM", "qwen2", "Qwen2ForCausalLM", "qwen3", "Qwen3ForCausalLM");

    @Override
    public List<String> huggingFaceArchitectures() {
        return List.of("LlamaForCausalLM", "MistralForCausalLM", "Qwen2ForCausalLM", "Qwen3ForCausalLM");
    }

    @Override
    public List<String> ggufArchitectures() {
        return List.of("llama", "qwen2", "qwen3");
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
     * Parses a Hugging Face {@code config.json}. The context is capped at Mistral's sliding window
     * where one is used, so that attention over the whole context stays exact.
     */
    @Override
    public DecoderConfig fromHuggingFace(JsonObject json, Path file) throws ModelLoadException {
        var config = new ConfigJson(json, file);
        String architecture = json.getAsJsonArray("architectures").get(0).getAsString();
        boolean qwen2 = architecture.equals("Qwen2ForCausalLM");
        boolean qwen3 = architecture.equals("Qwen3ForCausalLM");
        int contextLength = config.requireInt("max_position_embeddings");
        boolean slidingWindow = config.has("sliding_window") && config.optBoolean("use_sliding_window", !qwen2 && !qwen3);
        if (slidingWindow) {
            contextLength = Math.min(contextLength, config.requireInt("sliding_window"));
        }
        HuggingFaceConfigReader.requireSwiGlu(config);
        int layers = config.requireInt("num_hidden_layers");
        Architecture design = design(layers, HuggingFaceConfigReader.headDim(config), qwen3,
                HuggingFaceConfigReader.rope(config), HuggingFaceConfigReader.headDim(config));
        return HuggingFaceConfigReader.config(config, architecture, contextLength,
                config.optBoolean("attention_bias", qwen2), design);
    }

    /**
     * Reads the hyper-parameters of a GGUF file; a {@code llama} file's q and k rows are in
     * llama.cpp's adjacent-pair order, a {@code qwen2} or {@code qwen3} file's in Hugging Face's.
     */
    @Override
    public DecoderConfig fromGguf(GgufWeights weights) throws ModelLoadException {
        var gguf = new GgufConfigReader(weights, GGUF_ARCHITECTURES);
        Rope.Pairing pairing = gguf.architecture().equals("llama") ? Rope.Pairing.ADJACENT : Rope.Pairing.HALVES;
        boolean queryKeyNorm = gguf.file().findTensor("blk.0.attn_q_norm.weight").isPresent();
        Architecture design = design(gguf.size("block_count"), gguf.headDim(), queryKeyNorm, gguf.rope(pairing),
                gguf.rotaryDims());
        return gguf.config(GGUF_ARCHITECTURES.get(gguf.architecture()), design);
    }

    private static Architecture design(int layers, int headDim, boolean queryKeyNorm, Rope rope, int rotaryDims) {
        return new Architecture(Architecture.Norm.TIMES_WEIGHT, false, queryKeyNorm, Architecture.Activation.SWIGLU,
                1, 1, (float) (1 / Math.sqrt(headDim)), 0, 1, 0, rotaryDims,
                Collections.nCopies(layers, new Architecture.LayerAttention(rope, 0)), null);
    }
}
