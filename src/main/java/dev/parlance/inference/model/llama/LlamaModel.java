package dev.parlance.inference.model.llama;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import dev.parlance.inference.ModelLoadException;
import dev.parlance.inference.model.CausalLm;
import dev.parlance.inference.model.KvCache;
import dev.parlance.inference.model.Ops;
import dev.parlance.inference.model.RotaryEmbedding;
import dev.parlance.inference.model.Weights;
import java.util.List;

/**
 * The Llama family: Llama 2/3.x, Mistral, Qwen2 (q/k/v biases), SmolLM, TinyLlama.
 *
 * <p>References: Touvron et al., "LLaMA" (2023); transformers {@code modeling_llama.py} and
 * {@code modeling_qwen2.py}; Karpathy's llama2.c {@code run.c}.
 *
 * <p>Loading fuses q, k and v into one matrix and gate and up into another, so a layer costs
 * four matrix products, and folds the attention scale 1/sqrt(headDim) into the q rows (RoPE is
 * linear, so scaling before or after it is the same).
 */
public final class LlamaModel implements CausalLm {
    private static final String LAYER = "model.layers.%d.";

    private final LlamaConfig config;
    private final NDManager manager;
    private final RotaryEmbedding rope;
    private final NDArray embedTokens; // [vocab, hidden]
    private final NDArray lmHead; // [vocab, hidden]
    private final NDArray finalNorm; // [hidden]
    private final Layer[] layers;

    private record Layer(NDArray inputNorm, NDArray qkv, NDArray qkvBias, NDArray o,
            NDArray postNorm, NDArray gateUp, NDArray down) {}

    private LlamaModel(LlamaConfig config, NDManager manager, NDArray embedTokens, NDArray lmHead,
            NDArray finalNorm, Layer[] layers) {
        this.config = config;
        this.manager = manager;
        this.rope = new RotaryEmbedding(config.rope(), config.headDim());
        this.embedTokens = embedTokens;
        this.lmHead = lmHead;
        this.finalNorm = finalNorm;
        this.layers = layers;
    }

    /**
     * Loads the weights into {@code manager}, which the model then owns.
     *
     * @param progress told the fraction of layers loaded
     */
    public static LlamaModel load(LlamaConfig config, Weights weights, NDManager manager,
            java.util.function.DoubleConsumer progress) throws ModelLoadException {
        long hidden = config.hiddenSize();
        long inter = config.intermediateSize();
        long qRows = (long) config.numHeads() * config.headDim();
        long kvRows = (long) config.numKvHeads() * config.headDim();
        float scale = (float) (1.0 / Math.sqrt(config.headDim()));
        NDArray embed = weights.get("model.embed_tokens.weight", config.vocabSize(), hidden);
        NDArray head = config.tieWordEmbeddings() || !weights.has("lm_head.weight")
                ? embed : weights.get("lm_head.weight", config.vocabSize(), hidden);
        Layer[] layers = new Layer[config.numLayers()];
        for (int i = 0; i < layers.length; i++) {
            String p = String.format(LAYER, i);
            NDArray qkv = weights.stackRows(
                    List.of(p + "self_attn.q_proj.weight", p + "self_attn.k_proj.weight", p + "self_attn.v_proj.weight"),
                    List.of(new long[] {qRows, hidden}, new long[] {kvRows, hidden}, new long[] {kvRows, hidden}));
            scaleRows(qkv, qRows, scale);
            NDArray qkvBias = null;
            if (config.attentionBias()) {
                qkvBias = weights.stackRows(
                        List.of(p + "self_attn.q_proj.bias", p + "self_attn.k_proj.bias", p + "self_attn.v_proj.bias"),
                        List.of(new long[] {qRows}, new long[] {kvRows}, new long[] {kvRows}));
                scaleRows(qkvBias, qRows, scale);
            }
            layers[i] = new Layer(
                    weights.get(p + "input_layernorm.weight", hidden),
                    qkv,
                    qkvBias,
                    weights.get(p + "self_attn.o_proj.weight", hidden, qRows),
                    weights.get(p + "post_attention_layernorm.weight", hidden),
                    weights.stackRows(List.of(p + "mlp.gate_proj.weight", p + "mlp.up_proj.weight"),
                            List.of(new long[] {inter, hidden}, new long[] {inter, hidden})),
                    weights.get(p + "mlp.down_proj.weight", hidden, inter));
            progress.accept((i + 1.0) / layers.length);
        }
        NDArray norm = weights.get("model.norm.weight", hidden);
        return new LlamaModel(config, manager, embed, head, norm, layers);
    }

    /** Multiplies the first {@code rows} rows in place, through the array's direct buffer. */
    private static void scaleRows(NDArray array, long rows, float scale) {
        var data = array.toByteBuffer(true).asFloatBuffer();
        long perRow = array.getShape().size() / array.getShape().get(0);
        int n = Math.toIntExact(rows * perRow);
        for (int i = 0; i < n; i++) {
            data.put(i, data.get(i) * scale);
        }
    }

    @Override
    public LlamaConfig config() {
        return config;
    }

    @Override
    public KvCache newCache(int maxTokens) {
        int capacity = Math.min(maxTokens, config.contextLength());
        return new KvCache(manager, config.numLayers(), config.numKvHeads(), capacity, config.headDim());
    }

    @Override
    public NDArray forward(int[] tokens, KvCache cache, boolean allPositions) {
        try (NDScope scope = new NDScope()) {
            NDArray logits = forwardInScope(tokens, cache, allPositions);
            scope.suppressNotUsedWarning();
            NDScope.unregister(logits);
            return logits;
        }
    }

    private NDArray forwardInScope(int[] tokens, KvCache cache, boolean allPositions) {
        int n = tokens.length;
        int start = cache.length();
        NDArray[] cosSin = rope.tables(manager, start, n);
        NDArray mask = n > 1 ? Ops.causalMask(manager, start, n) : null;
        NDArray ids = manager.create(tokens);
        NDArray x = embedTokens.get(ids); // [T, hidden]
        for (int i = 0; i < layers.length; i++) {
            Layer layer = layers[i];
            NDArray h = x.add(attention(i, layer, rmsNorm(x, layer.inputNorm()), cache, cosSin, mask)); // residual
            x = h.add(mlp(layer, rmsNorm(h, layer.postNorm()))); // residual
        }
        cache.advance(n);
        NDArray last = allPositions ? x : x.get(new NDIndex("{}:", n - 1)); // [T or 1, hidden]
        return Ops.linear(rmsNorm(last, finalNorm), lmHead, null); // [T or 1, vocab]
    }

    private NDArray attention(int index, Layer layer, NDArray x, KvCache cache, NDArray[] cosSin, NDArray mask) {
        int heads = config.numHeads();
        int kvHeads = config.numKvHeads();
        int headDim = config.headDim();
        long n = x.getShape().get(0);
        NDArray qkv = Ops.linear(x, layer.qkv(), layer.qkvBias()).reshape(n, heads + 2L * kvHeads, headDim); // [T, H+2KV, hd]
        NDArray qk = RotaryEmbedding.apply(qkv.get(":, :{}, :", heads + kvHeads), cosSin[0], cosSin[1]); // RoPE on q and k
        NDArray q = qk.get(":, :{}, :", heads).transpose(1, 0, 2); // [H, T, hd]
        NDArray k = qk.get(":, {}:, :", heads).transpose(1, 0, 2); // [KV, T, hd]
        NDArray v = qkv.get(":, {}:, :", heads + kvHeads).transpose(1, 0, 2); // [KV, T, hd]
        cache.write(index, k, v);
        int length = cache.length() + (int) n;
        NDArray keys = cache.keys(index, length); // [KV, L, hd]
        NDArray values = cache.values(index, length); // [KV, L, hd]
        // query heads h = kv * group + j share kv head kv: group them as rows of one product
        NDArray scores = q.reshape(kvHeads, config.groupSize() * n, headDim)
                .matMul(keys.transpose(0, 2, 1)); // [KV, G*T, L]
        if (mask != null) {
            scores = scores.reshape(kvHeads, config.groupSize(), n, length).add(mask)
                    .reshape(kvHeads, config.groupSize() * n, length); // causal
        }
        NDArray y = scores.softmax(-1).matMul(values) // [KV, G*T, hd]
                .reshape(heads, n, headDim).transpose(1, 0, 2).reshape(n, (long) heads * headDim); // [T, H*hd]
        return Ops.linear(y, layer.o(), null);
    }

    private NDArray mlp(Layer layer, NDArray x) {
        long inter = config.intermediateSize();
        NDArray gateUp = Ops.linear(x, layer.gateUp(), null); // [T, 2I]
        NDArray gate = gateUp.get(":, :{}", inter);
        NDArray up = gateUp.get(":, {}:", inter);
        return Ops.linear(gate.mul(gate.getNDArrayInternal().sigmoid()).mul(up), layer.down(), null); // SwiGLU
    }

    private NDArray rmsNorm(NDArray x, NDArray weight) {
        NDArray meanSquare = x.mul(x).mean(new int[] {-1}, true); // [T, 1]
        return x.mul(meanSquare.add((float) config.rmsNormEps()).pow(-0.5f)).mul(weight);
    }

    @Override
    public void close() {
        manager.close();
    }
}
