package dev.parlance.inference.model;

/** A decoder-only language model: tokens in, next-token logits out. */
public interface CausalLm extends AutoCloseable {
    ModelConfig config();

    /** How the products and attention of a prompt and of a decoded token are computed. */
    MatVec.Kernel decodeKernel();

    /**
     * Bytes of weights one decoded token reads: every matrix but the embedding table (one row of
     * it), in the format it is stored in.
     */
    default long weightBytesPerToken() {
        return config().parameterCount() * Float.BYTES;
    }

    /** Computes on {@code threads} threads (the caller's included) from the next forward pass on. */
    void useThreads(int threads);

    /** The threads a forward pass computes on. */
    int threads();

    /** A key/value cache for up to {@code maxTokens} positions (at most the context length). */
    KvCache newCache(int maxTokens);

    /**
     * Runs {@code tokens} at positions {@code cache.length() ..}, appending their keys and values
     * to the cache.
     *
     * @param tokens token ids, at least one
     * @param cache mutated: grows by {@code tokens.length}
     * @param allPositions whether to return logits of every position or only the last
     * @return logits {@code [T, vocab]} or {@code [1, vocab]}, row after row, owned by the caller
     */
    float[] forward(int[] tokens, KvCache cache, boolean allPositions);

    /**
     * The attention weights the query at {@code position} gives each position up to it, per layer
     * and averaged over the query heads, computed on request by running the tokens again; a model
     * that cannot report them throws {@link UnsupportedOperationException}.
     *
     * @param tokens token ids, at least {@code position + 1} of them; not mutated
     * @param contextTokens the capacity of the cache the tokens were generated in, which some
     *     models' RoPE depends on (longrope chooses its factors by it)
     * @return {@code [layers][position + 1]}; each row sums to 1
     */
    default float[][] attentionAt(int[] tokens, int position, int contextTokens) {
        throw new UnsupportedOperationException("this model family does not report its attention weights");
    }

    @Override
    void close();
}
