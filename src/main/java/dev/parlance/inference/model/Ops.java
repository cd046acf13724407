package dev.parlance.inference.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import java.util.function.Supplier;

/** Leaf operations that every architecture shares. */
public final class Ops {
    /** Query rows per block in {@link #causalAttention}. */
    public static final int ATTENTION_BLOCK = 128;

    private Ops() {}

    /** {@code x [T, in] · weightᵀ [in, out] + bias}: one fused call into PyTorch. */
    public static NDArray linear(NDArray x, NDArray weight, NDArray bias) {
        return x.getNDArrayInternal().linear(x, weight, bias).singletonOrThrow();
    }

    /** Copies {@code array}'s values into {@code into} from {@code offset} through its memory, then frees it. */
    public static void read(NDArray array, float[] into, int offset) {
        array.toByteBuffer(true).asFloatBuffer().get(0, into, offset, Math.toIntExact(array.size()));
        array.close();
    }

    /** {@code array} viewed as {@code shape}; straight to PyTorch, sparing DJL's shape handling. */
    public static NDArray reshape(NDArray array, long... shape) {
        return JniUtils.reshape((PtNDArray) array, shape);
    }

    /** The view of {@code array} at indices {@code from .. to - 1} along {@code axis}. */
    public static NDArray slice(NDArray array, int axis, long from, long to) {
        return JniUtils.slice((PtNDArray) array, axis, from, to, 1);
    }

    /**
     * Runs {@code step} in a scope of its own and frees every intermediate array it made except
     * the result, which joins the caller's scope. Without this, a forward pass would hold every
     * layer's activations until its end (gigabytes for a long prompt).
     */
    public static NDArray inOwnScope(Supplier<NDArray> step) {
        NDArray result;
        try (NDScope scope = new NDScope()) {
            result = step.get();
            NDScope.unregister(result);
            scope.suppressNotUsedWarning();
        }
        NDScope.register(result);
        return result;
    }

    /**
     * Additive mask {@code [T, T]} for T new tokens: new token t sees new tokens 0 .. t. Every
     * new token sees all the cached positions before them, so the mask covers only the scores'
     * last T columns: adding it to those alone spares a pass over (and a copy of) a long
     * conversation's scores. The top-left corner of a mask is the mask of fewer tokens.
     */
    public static NDArray causalMask(NDManager manager, int n) {
        float[] mask = new float[n * n];
        for (int t = 0; t < n; t++) {
            for (int l = t + 1; l < n; l++) {
                mask[t * n + l] = Float.NEGATIVE_INFINITY;
            }
        }
        return manager.create(mask, new Shape(n, n));
    }

    /**
     * Causal attention of T new tokens, at positions {@code start ..}, over one layer's cache,
     * which already holds their keys and values. The queries go in blocks of
     * {@link #ATTENTION_BLOCK}, each attending to the keys up to its own last position: of the
     * scores a mask would cancel (nearly half of a fresh prompt's), only those inside a block are
     * computed, and the softmax runs over fewer of them.
     *
     * @param q {@code [KV, G, T, hd]}: the G query heads that share each KV head, already scaled
     * @param mask {@code causalMask(manager, min(T, ATTENTION_BLOCK))}, or null for one token
     * @return {@code [KV, G, T, hd]}
     */
    public static NDArray causalAttention(NDArray q, KvCache cache, int layer, int start, NDArray mask) {
        long kvHeads = q.getShape().get(0);
        long group = q.getShape().get(1);
        long n = q.getShape().get(2);
        long headDim = q.getShape().get(3);
        NDList blocks = new NDList();
        for (long from = 0; from < n; from += ATTENTION_BLOCK) {
            long rows = Math.min(n, from + ATTENTION_BLOCK) - from;
            int length = (int) (start + from + rows);
            NDArray scores = q.get(new NDIndex(":, :, {}:{}, :", from, from + rows))
                    .reshape(kvHeads, group * rows, headDim)
                    .matMul(cache.keysTransposed(layer, length)); // [KV, G*B, L]
            if (mask != null) {
                NDArray blockMask = rows == mask.getShape().get(0) ? mask : mask.get(new NDIndex(":{}, :{}", rows, rows));
                // in place on the block's own columns: every row sees all the columns before them
                scores.reshape(kvHeads, group, rows, length).get(new NDIndex(":, :, :, {}:", length - rows))
                        .addi(blockMask);
            }
            blocks.add(scores.softmax(-1).matMul(cache.values(layer, length)).reshape(kvHeads, group, rows, headDim));
        }
        return blocks.size() == 1 ? blocks.get(0) : NDArrays.concat(blocks, 2);
    }
}
