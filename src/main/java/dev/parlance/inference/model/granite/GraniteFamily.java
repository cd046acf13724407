package dev.parlance.inference.model.granite;

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
 * IBM Granite 3.x ({@code GraniteForCausalLM}; GGUF {@code granite}). Differs from Llama in four
 * multipliers: embeddings times {@code embedding_multiplier}, each block's attention and MLP
 * output times {@code residual_multiplier}, q·k times {@code attention_multiplier} (instead of
 * 1/sqrt(head_dim)) and the logits divided by {@code logits_scaling}. llama.cpp's converter
 * writes them as {@code granite.embedding_scale}, {@code residual_scale}, {@code attention.scale}
 * and {@code logit_scale}, and permutes q and k rows as for {@code llama}.
 *
 * <p>References: transformers {@code modeling_granite.py}; llama.cpp {@code src/models/granite.cpp}.
 */
public final class GraniteFamily implements Family {
    private static final String ARCHITECTURE = "GraniteForCausalLM";

    @Override
    public List<String> huggingFaceArchitectures() {
        return List.of(ARCHITECTURE);
    }

    @Override
    public List<String> ggufArchitectures() {
        return List.of("granite");
    }

    @Override
    public TensorNames huggingFaceNames() {
        return TensorNames.HUGGING_FACE_LLAMA;
    }

    @Override
    public TensorNames ggufNames() {
        return TensorNames.GGUF;
    }

    @Override
    public DecoderConfig fromHuggingFace(JsonObject json, Path file) throws ModelLoadException {
        var config = new ConfigJson(json, file);
        HuggingFaceConfigReader.requireSwiGlu(config);
        int headDim = HuggingFaceConfigReader.headDim(config);
        Architecture design = design(config.requireInt("num_hidden_layers"), headDim,
                HuggingFaceConfigReader.rope(config), config.optDouble("embedding_multiplier", 1),
                config.optDouble("residual_multiplier", 1), config.optDouble("attention_multiplier", 1), config.optDouble("logits_scaling", 1));
        return HuggingFaceConfigReader.config(config, ARCHITECTURE, config.requireInt("max_position_embeddings"),
                config.optBoolean("attention_bias", false), design);
    }

    @Override
    public DecoderConfig fromGguf(GgufWeights weights) throws ModelLoadException {
        var gguf = new GgufConfigReader(weights, Map.of("granite", ARCHITECTURE));
        int headDim = gguf.headDim();
        // the converter writes each multiplier only when it is not zero; llama.cpp's defaults are these
        Architecture design = design(gguf.size("block_count"), headDim, gguf.rope(Rope.Pairing.ADJACENT),
                gguf.positiveNumber("embedding_scale", 1), gguf.positiveNumber("residual_scale", 1),
                gguf.positiveNumber("attention.scale", 1 / Math.sqrt(headDim)), gguf.positiveNumber("logit_scale", 1));
        return gguf.config(ARCHITECTURE, design);
    }

    private static Architecture design(int layers, int headDim, Rope rope, double embeddingScale,
            double residualScale, double attentionScale, double logitsScaling) {
        return new Architecture(Architecture.Norm.TIMES_WEIGHT, false, false, Architecture.Activation.SWIGLU,
                (float) embeddingScale, (float) residualScale, (float) attentionScale, 0, (float) (1 / logitsScaling), 0,
                headDim, Collections.nCopies(layers, new Architecture.LayerAttention(rope, 0)), null);
    }
}
