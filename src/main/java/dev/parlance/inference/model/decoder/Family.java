package dev.parlance.inference.model.decoder;

import com.google.gson.JsonObject;
import dev.parlance.inference.ModelLoadException;
import dev.parlance.inference.model.GgufWeights;
import java.nio.file.Path;
import java.util.List;

/**
 * One family of decoder-only models that {@link DecoderModel} runs: which architectures it
 * answers for, how it reads their configuration and what its tensors are called.
 */
public interface Family {
    /** The {@code architectures[0]} values of config.json this family reads. */
    List<String> huggingFaceArchitectures();

    /** The {@code general.architecture} values of GGUF files this family reads. */
    List<String> ggufArchitectures();

    /** Parses a Hugging Face {@code config.json} ({@code file}, named in errors). */
    DecoderConfig fromHuggingFace(JsonObject json, Path file) throws ModelLoadException;

    /** Reads a GGUF file's hyper-parameters from its {@code <arch>.*} keys and its tensors. */
    DecoderConfig fromGguf(GgufWeights weights) throws ModelLoadException;

    /** The tensor names of a folder of this family. */
    TensorNames huggingFaceNames();

    /** The tensor names of a GGUF file of this family. */
    TensorNames ggufNames();
}
