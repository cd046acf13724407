package dev.parlance.models;

/** How a variant's weights are stored, which decides how it is installed and which architecture name the engine checks. */
public enum ModelFormat {
    /** One {@code .gguf} file, installed as that file in the models directory. */
    GGUF,
    /** A Hugging Face folder (config, tokenizer, safetensors), installed as a folder. */
    SAFETENSORS
}
