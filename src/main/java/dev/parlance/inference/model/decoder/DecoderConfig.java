package dev.parlance.inference.model.decoder;

import dev.parlance.inference.model.ModelConfig;

/**
 * The configuration of a decoder-only transformer that {@link DecoderModel} runs: sizes, and in
 * {@code design} what its family does differently. A family's reader (Llama, Gemma 2 and 3,
 * Phi-3, Granite, SmolLM3, Qwen3-MoE) makes one from a {@code config.json} or from a GGUF file's metadata.
 *
 * @param architecture the Hugging Face architecture name, such as {@code Gemma3ForCausalLM}
 * @param attentionBias q, k and v projections have biases (Qwen2; the output projection never does)
 * @param contextLength max positions
 */
public record DecoderConfig(
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
        Architecture design) implements ModelConfig {

    public DecoderConfig {
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
        if (design.layers().size() != numLayers) {
            throw new IllegalArgumentException("the attention of " + design.layers().size() + " layers is given for "
                    + numLayers + " layers");
        }
        if (design.rotaryDims() <= 0 || design.rotaryDims() % 2 != 0 || design.rotaryDims() > headDim) {
            throw new IllegalArgumentException("RoPE must turn an even number of the " + headDim
                    + " dimensions of a head, not " + design.rotaryDims());
        }
    }

    /** Query heads that share one key/value head. */
    public int groupSize() {
        return numHeads / numKvHeads;
    }

    @Override
    public long parameterCount() {
        return parameters(false);
    }

    /** {@link #parameterCount()} less, in a mixture of experts, the experts a token is not routed to. */
    public long routedParameterCount() {
        return parameters(true);
    }

    /** The parameters a token computes with: of a mixture of experts, the router and the experts it is routed to. */
    @Override
    public long prefillParametersPerToken() {
        return parameters(true) - (long) vocabSize * hiddenSize * (tieWordEmbeddings ? 1 : 2);
    }

    private long parameters(boolean routedOnly) {
        long attention = (long) hiddenSize * headDim * (2L * numHeads + 2L * numKvHeads);
        long total = (long) vocabSize * hiddenSize * (tieWordEmbeddings ? 1 : 2) + hiddenSize;
        Architecture.Experts experts = design.experts();
        for (int layer = 0; layer < numLayers; layer++) {
            long mlp = 3L * hiddenSize * intermediateSize;
            if (experts != null && experts.sparse(layer)) {
                long expert = 3L * hiddenSize * experts.intermediateSize();
                mlp = (long) experts.count() * hiddenSize + expert * (routedOnly ? experts.used() : experts.count());
            }
            total += attention + mlp + 2L * hiddenSize;
        }
        return total;
    }
}
