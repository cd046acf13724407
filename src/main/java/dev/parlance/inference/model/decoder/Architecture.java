package dev.parlance.inference.model.decoder;

import dev.parlance.inference.model.Rope;
import java.util.List;

/**
 * What sets one decoder-only family apart from another, for {@link DecoderModel}: every field a
 * number or a closed choice that the one forward pass reads, with Llama's value as the plain case.
 *
 * @param norm how an RMSNorm's stored weight multiplies the normalized vector
 * @param sandwichNorms whether the attention's and the MLP's outputs are RMS-normalized again
 *     before they join the residual stream (Gemma 2 and 3), besides the norms before them
 * @param queryKeyNorm whether each query and key head is RMS-normalized, with weights of its own,
 *     before RoPE (Qwen3, Gemma 3)
 * @param activation the MLP's gate
 * @param embeddingScale what the token embeddings are multiplied by (Gemma: sqrt(hidden); Granite's
 *     embedding_multiplier)
 * @param residualScale what each block's attention and MLP outputs are multiplied by before they
 *     join the residual stream (Granite's residual_multiplier)
 * @param attentionScale what q·k is multiplied by before the softmax: 1/sqrt(headDim), Gemma's
 *     query_pre_attn_scalar^-0.5, Granite's attention_multiplier
 * @param attentionSoftCap {@code c} of {@code c * tanh(s / c)} on each scaled score {@code s}
 *     before the softmax (Gemma 2's attn_logit_softcapping), or 0
 * @param logitScale what the logits are multiplied by (Granite: 1 / logits_scaling)
 * @param logitSoftCap {@code c} of {@code c * tanh(logits / c)} on the logits (Gemma 2 and 3), or 0
 * @param rotaryDims how many leading dimensions of each head RoPE turns (Phi-3's partial rotary)
 * @param layers each layer's attention, first layer first
 * @param experts the routed experts that replace the MLP of some layers (Qwen3-MoE), or null
 */
public record Architecture(Norm norm, boolean sandwichNorms, boolean queryKeyNorm, Activation activation,
        float embeddingScale, float residualScale, float attentionScale, float attentionSoftCap, float logitScale,
        float logitSoftCap, int rotaryDims, List<LayerAttention> layers, Experts experts) {

    public Architecture {
        layers = List.copyOf(layers);
        if (layers.isEmpty()) {
            throw new IllegalArgumentException("a decoder needs at least one layer");
        }
        if (experts != null && experts.sparseLayers().size() != layers.size()) {
            throw new IllegalArgumentException("experts are placed for " + experts.sparseLayers().size()
                    + " layers of " + layers.size());
        }
        if (!(attentionScale > 0) || !Float.isFinite(embeddingScale) || !Float.isFinite(residualScale)
                || !Float.isFinite(logitScale) || !(logitSoftCap >= 0) || !(attentionSoftCap >= 0)) {
            throw new IllegalArgumentException("scales must be finite, the attention scale positive and the soft caps "
                    + "0 or positive");
        }
    }

    /** How an RMSNorm's weight {@code w} applies to {@code x / rms(x)}. */
    public enum Norm {
        /** {@code x * w}. */
        TIMES_WEIGHT,
        /** {@code x * (1 + w)}: Gemma's checkpoints store the offset from one. */
        TIMES_ONE_PLUS_WEIGHT
    }

    /** The gate of the MLP {@code down(act(gate(x)) * up(x))}. */
    public enum Activation {
        /** SiLU: {@code g * sigmoid(g)}. */
        SWIGLU,
        /** GELU with its tanh approximation (Gemma's {@code gelu_pytorch_tanh}). */
        GEGLU_TANH
    }

    /**
     * A mixture of experts in place of the MLP: a router's softmax over {@code count} experts
     * picks the {@code used} most likely for each token, whose SwiGLU MLPs of
     * {@code intermediateSize} add up weighted by those probabilities (divided by their sum with
     * {@code normalizeTopK}).
     *
     * @param sparseLayers per layer, whether its MLP is the experts (else the dense MLP)
     */
    public record Experts(int count, int used, int intermediateSize, boolean normalizeTopK,
            List<Boolean> sparseLayers) {
        public Experts {
            sparseLayers = List.copyOf(sparseLayers);
            if (count <= 0 || used <= 0 || used > count || intermediateSize <= 0) {
                throw new IllegalArgumentException("a mixture of " + count + " experts cannot route to " + used
                        + " of intermediate size " + intermediateSize);
            }
        }

        public boolean sparse(int layer) {
            return sparseLayers.get(layer);
        }
    }

    /**
     * One layer's attention.
     *
     * @param rope its RoPE frequencies (Gemma 3's local and global layers have different bases), or
     *     null for a layer whose queries and keys carry no position (SmolLM3's NoPE layers)
     * @param window how many positions a query sees, itself included (a sliding window), or 0
     *     for every position before it
     */
    public record LayerAttention(Rope rope, int window) {
        public LayerAttention {
            if (window < 0) {
                throw new IllegalArgumentException("a sliding window cannot be negative: " + window);
            }
        }
    }
}
