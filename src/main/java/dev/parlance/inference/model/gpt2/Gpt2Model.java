package dev.parlance.inference.model.gpt2;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import dev.parlance.inference.ModelLoadException;
import dev.parlance.inference.model.KvCache;
import dev.parlance.inference.model.Ops;
import dev.parlance.inference.model.PyTorchLm;
import dev.parlance.inference.model.Weights;
import java.util.function.DoubleConsumer;

/**
 * GPT-2. Derived from LlamaModel; differs in: learned absolute positions, LayerNorm with bias,
 * biased Conv1D projections stored {@code [in, out]}, a GELU (tanh) MLP, no GQA.
 *
 * <p>References: Radford et al., "Language Models are Unsupervised Multitask Learners" (2019);
 * transformers {@code modeling_gpt2.py}; nanoGPT {@code model.py}.
 */
public final class Gpt2Model implements PyTorchLm {
    private static final float GELU_C = (float) Math.sqrt(2 / Math.PI);

    private final Gpt2Config config;
    private final NDManager manager;
    private final NDArray wte; // [vocab, E]
    private final NDArray wpe; // [positions, E]
    private final NDArray lnFWeight;
    private final NDArray lnFBias;
    private final Block[] blocks;

    private record Block(NDArray ln1W, NDArray ln1B, NDArray attnW, NDArray attnB, NDArray projW, NDArray projB,
            NDArray ln2W, NDArray ln2B, NDArray fcW, NDArray fcB, NDArray fcProjW, NDArray fcProjB) {}

    private Gpt2Model(Gpt2Config config, NDManager manager, NDArray wte, NDArray wpe, NDArray lnFWeight,
            NDArray lnFBias, Block[] blocks) {
        this.config = config;
        this.manager = manager;
        this.wte = wte;
        this.wpe = wpe;
        this.lnFWeight = lnFWeight;
        this.lnFBias = lnFBias;
        this.blocks = blocks;
    }

    /** Loads checkpoints with or without the {@code transformer.} key prefix. */
    public static Gpt2Model load(Gpt2Config config, Weights weights, NDManager manager, DoubleConsumer progress)
            throws ModelLoadException {
        String p = weights.has("transformer.wte.weight") ? "transformer." : "";
        long e = config.hiddenSize();
        long inner = config.innerSize();
        Block[] blocks = new Block[config.numLayers()];
        for (int i = 0; i < blocks.length; i++) {
            String b = p + "h." + i + ".";
            // Conv1D weights are [in, out]; a transposed view is what Ops.linear() expects, without a copy
            blocks[i] = new Block(
                    weights.get(b + "ln_1.weight", e), weights.get(b + "ln_1.bias", e),
                    weights.get(b + "attn.c_attn.weight", e, 3 * e).transpose(), weights.get(b + "attn.c_attn.bias", 3 * e),
                    weights.get(b + "attn.c_proj.weight", e, e).transpose(), weights.get(b + "attn.c_proj.bias", e),
                    weights.get(b + "ln_2.weight", e), weights.get(b + "ln_2.bias", e),
                    weights.get(b + "mlp.c_fc.weight", e, inner).transpose(), weights.get(b + "mlp.c_fc.bias", inner),
                    weights.get(b + "mlp.c_proj.weight", inner, e).transpose(), weights.get(b + "mlp.c_proj.bias", e));
            progress.accept((i + 1.0) / blocks.length);
        }
        return new Gpt2Model(config, manager,
                weights.get(p + "wte.weight", config.vocabSize(), e),
                weights.get(p + "wpe.weight", config.contextLength(), e),
                weights.get(p + "ln_f.weight", e), weights.get(p + "ln_f.bias", e), blocks);
    }

    @Override
    public Gpt2Config config() {
        return config;
    }

    /** Always PyTorch's: the Conv1D weights are {@code [in, out]}, and the Java kernel reads rows. */
    @Override
    public KvCache newCache(int maxTokens) {
        int capacity = Math.min(maxTokens, config.contextLength());
        return new KvCache(manager, config.numLayers(), config.numHeads(), capacity, config.headDim());
    }

    @Override
    public float[] forward(int[] tokens, KvCache cache, boolean allPositions) {
        try (NDArray logits = Ops.inOwnScope(() -> forwardInScope(tokens, cache, allPositions))) {
            return logits.toFloatArray();
        }
    }

    private NDArray forwardInScope(int[] tokens, KvCache cache, boolean allPositions) {
        int n = tokens.length;
        int start = cache.length();
        NDArray x = wte.get(manager.create(tokens)).add(wpe.get(new NDIndex("{}:{}", start, start + n))); // [T, E]
        NDArray mask = n > 1 ? Ops.causalMask(manager, Math.min(n, Ops.ATTENTION_BLOCK)) : null;
        for (int i = 0; i < blocks.length; i++) {
            Block b = blocks[i];
            int index = i;
            NDArray input = x;
            x = Ops.inOwnScope(() -> {
                NDArray h = input.add(attention(index, b, layerNorm(input, b.ln1W(), b.ln1B()), cache, mask)); // residual
                return h.add(mlp(b, layerNorm(h, b.ln2W(), b.ln2B()))); // residual
            });
        }
        cache.advance(n);
        NDArray last = allPositions ? x : x.get(new NDIndex("{}:", n - 1));
        return Ops.linear(layerNorm(last, lnFWeight, lnFBias), wte, null); // tied output projection
    }

    private NDArray attention(int index, Block b, NDArray x, KvCache cache, NDArray mask) {
        int heads = config.numHeads();
        int headDim = config.headDim();
        long n = x.getShape().get(0);
        NDArray qkv = Ops.linear(x, b.attnW(), b.attnB()).reshape(n, 3L * heads, headDim); // [T, 3H, hd]
        NDArray q = qkv.get(":, :{}, :", heads).transpose(1, 0, 2).mul((float) (1 / Math.sqrt(headDim))); // [H, T, hd]
        NDArray k = qkv.get(":, {}:{}, :", heads, 2 * heads).transpose(1, 0, 2); // [H, T, hd]
        NDArray v = qkv.get(":, {}:, :", 2 * heads).transpose(1, 0, 2); // [H, T, hd]
        cache.write(index, k, v);
        NDArray y = Ops.causalAttention(q.reshape(heads, 1, n, headDim), cache, index, cache.length(), mask)
                .reshape(heads, n, headDim).transpose(1, 0, 2).reshape(n, (long) heads * headDim); // [T, E]
        return Ops.linear(y, b.projW(), b.projB());
    }

    private NDArray mlp(Block b, NDArray x) {
        NDArray h = Ops.linear(x, b.fcW(), b.fcB()); // [T, 4E]
        // gelu_new: 0.5 h (1 + tanh(sqrt(2/pi) (h + 0.044715 h^3)))
        NDArray inner = h.add(h.mul(h).mul(h).mul(0.044715f)).mul(GELU_C);
        NDArray gelu = h.mul(inner.getNDArrayInternal().tanh().add(1f)).mul(0.5f);
        return Ops.linear(gelu, b.fcProjW(), b.fcProjB());
    }

    private NDArray layerNorm(NDArray x, NDArray weight, NDArray bias) {
        return x.getNDArrayInternal()
                .layerNorm(x, new Shape(config.hiddenSize()), weight, bias, (float) config.layerNormEps())
                .singletonOrThrow();
    }

    @Override
    public void close() {
        manager.close();
    }
}
