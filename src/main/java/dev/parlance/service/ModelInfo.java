package dev.parlance.service;

import dev.parlance.inference.SamplingConfig;
import java.nio.file.Path;

/**
 * What the app shows about a loaded model.
 *
 * @param folder where it was loaded from
 * @param name a display name (the folder name)
 * @param architecture the Hugging Face architecture, such as {@code LlamaForCausalLM}
 * @param parameters number of parameters
 * @param contextLength the context window a chat gets unless the user sets one (the model's own,
 *     capped by free memory)
 * @param defaults sampling defaults from {@code generation_config.json}
 * @param loadMillis how long loading took
 * @param supportsThinking whether the model's chat template has a thinking switch
 *     ({@code enable_thinking}, as Qwen3's and SmolLM3's)
 */
public record ModelInfo(
        Path folder,
        String name,
        String architecture,
        long parameters,
        int contextLength,
        SamplingConfig defaults,
        double loadMillis,
        boolean supportsThinking) {

    /** A model whose template has no thinking switch. */
    public ModelInfo(Path folder, String name, String architecture, long parameters, int contextLength,
            SamplingConfig defaults, double loadMillis) {
        this(folder, name, architecture, parameters, contextLength, defaults, loadMillis, false);
    }
}
