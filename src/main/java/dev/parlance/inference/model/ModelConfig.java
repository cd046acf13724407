package dev.parlance.inference.model;

/** What the engine needs to know of any architecture's configuration. */
public interface ModelConfig {
    /** The Hugging Face architecture name, such as {@code LlamaForCausalLM}. */
    String architecture();

    /** Rows of the output projection (may exceed the tokenizer's vocabulary; extra ids are never chosen). */
    int vocabSize();

    /** The longest sequence the model supports. */
    int contextLength();

    /** Width of the residual stream: the input size of most matrices. */
    int hiddenSize();

    int numLayers();

    int numKvHeads();

    int headDim();

    /** Parameters, counting tied matrices once. */
    long parameterCount();

    /** Parameters a prompt token multiplies: all but the embeddings and the output projection. */
    long prefillParametersPerToken();

    /** Bytes of float32 key and value cache per token. */
    default long kvBytesPerToken() {
        return 2L * numLayers() * numKvHeads() * headDim() * Float.BYTES;
    }
}
