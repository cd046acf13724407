package dev.parlance.inference.model.llama;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.parlance.inference.ModelLoadException;
import dev.parlance.inference.model.KvCache;
import dev.parlance.inference.model.TorchMatVec;
import dev.parlance.inference.model.Ops;
import dev.parlance.inference.model.PyTorchLm;
import dev.parlance.inference.model.Rope;
import dev.parlance.inference.model.RotaryEmbedding;
import dev.parlance.inference.model.Weights;
import dev.parlance.inference.model.decoder.Architecture;
import dev.parlance.inference.model.decoder.DecoderConfig;
import java.nio.FloatBuffer;
import java.util.List;
import java.util.function.DoubleConsumer;

/**
 * The Llama family (Llama, Mistral, Qwen2) on PyTorch's tensors, for a JVM without the Vector
 * API module; with it, {@link dev.parlance.inference.model.decoder.DecoderModel} runs every family.
 * Derived from DecoderModel; differs in: the weights are widened to float32 and prepared for few
 * tensor operations a layer: q, k and v fused into one matrix and gate and up into another, each
 * RMSNorm weight folded into the columns of the matrix after it and the attention scale into the
 * q rows (RoPE is linear, so scaling before it is the same). Prompts take batched tensor
 * operations, decoding PyTorch's matrix-vector products with the residual stream in Java.
 *
 * <p>References: Touvron et al., "LLaMA" (2023); transformers {@code modeling_llama.py} and
 * {@code modeling_qwen2.py}.
 */
public final class TorchLlamaModel implements PyTorchLm {
    private static final String LAYER = "model.layers.%d.";

    private final DecoderConfig config;
    private final NDManager manager;
    private final RotaryEmbedding rope;
    private final NDArray embedTokens; // [vocab, hidden]
    private final NDArray finalNorm; // [hidden]
    private final float[] finalNormWeight;
    private final Layer[] layers;
    private final TorchMatVec lmHeadProduct;
    private final NDArray decodeQuery; // [kvHeads, group, headDim], reused by every decode step
    private final FloatBuffer decodeQueryData;
    private final float[] decodeNormed;
    private final float[] decodeRow;
    private final float[] decodeQkv;
    private final float[] decodeAttention;
    private final float[] decodeGateUp;
    private final float[] decodeLogits;
    private final float[] decodeAngles;

    /**
     * One block, its norms folded into {@code qkv} and {@code gateUp}.
     *
     * @param qkvBias the biases, or null
     * @param qkvBiasValues the same biases as Java values, or null
     */
    private record Layer(NDArray qkvBias, float[] qkvBiasValues, TorchMatVec qkv, TorchMatVec o, TorchMatVec gateUp,
            TorchMatVec down) {}

    private TorchLlamaModel(DecoderConfig config, NDManager manager, NDArray embedTokens, NDArray finalNorm,
            TorchMatVec lmHeadProduct, Layer[] layers) {
        this.config = config;
        this.manager = manager;
        this.rope = new RotaryEmbedding(config.design().layers().get(0).rope(), config.headDim());
        this.embedTokens = embedTokens;
        this.finalNorm = finalNorm;
        this.finalNormWeight = finalNorm.toFloatArray();
        this.layers = layers;
        this.lmHeadProduct = lmHeadProduct;
        this.decodeQuery = manager.create(new Shape(config.numKvHeads(), config.groupSize(), config.headDim()),
                DataType.FLOAT32);
        this.decodeQueryData = decodeQuery.toByteBuffer(true).asFloatBuffer();
        this.decodeNormed = new float[config.hiddenSize()];
        this.decodeRow = new float[config.hiddenSize()];
        this.decodeQkv = new float[(config.numHeads() + 2 * config.numKvHeads()) * config.headDim()];
        this.decodeAttention = new float[config.numHeads() * config.headDim()];
        this.decodeGateUp = new float[2 * config.intermediateSize()];
        this.decodeLogits = new float[config.vocabSize()];
        this.decodeAngles = new float[rope.anglesLength()];
    }

    /**
     * Whether this path runs {@code config}: Llama's plain architecture (Qwen2's biases too), with
     * one RoPE over whole heads in the Hugging Face order and no sliding window.
     */
    public static boolean supports(DecoderConfig config) {
        Architecture design = config.design();
        Architecture.LayerAttention first = design.layers().getFirst();
        return design.norm() == Architecture.Norm.TIMES_WEIGHT && !design.sandwichNorms() && !design.queryKeyNorm()
                && design.activation() == Architecture.Activation.SWIGLU && design.embeddingScale() == 1
                && design.residualScale() == 1 && design.logitScale() == 1 && design.logitSoftCap() == 0
                && design.attentionScale() == (float) (1 / Math.sqrt(config.headDim()))
                && design.rotaryDims() == config.headDim() && first.rope().pairing() == Rope.Pairing.HALVES
                && design.layers().stream().allMatch(layer -> layer.equals(first) && layer.window() == 0);
    }

    /**
     * Loads a folder's weights into {@code manager}, which the model then owns: widened to
     * float32, fused and with the norms folded.
     *
     * @param progress told the fraction of layers loaded
     */
    public static TorchLlamaModel load(DecoderConfig config, Weights weights, NDManager manager,
            DoubleConsumer progress) throws ModelLoadException {
        if (!supports(config)) {
            throw new ModelLoadException(null, config.architecture() + " runs on Java's Vector API only: start "
                    + "Parlance with --add-modules jdk.incubator.vector (its launcher does)");
        }
        long hidden = config.hiddenSize();
        long inter = config.intermediateSize();
        long qRows = (long) config.numHeads() * config.headDim();
        long kvRows = (long) config.numKvHeads() * config.headDim();
        float scale = config.design().attentionScale();
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
            foldNorm(qkv, weights.get(p + "input_layernorm.weight", hidden));
            NDArray qkvBias = null;
            if (config.attentionBias()) {
                qkvBias = weights.stackRows(
                        List.of(p + "self_attn.q_proj.bias", p + "self_attn.k_proj.bias", p + "self_attn.v_proj.bias"),
                        List.of(new long[] {qRows}, new long[] {kvRows}, new long[] {kvRows}));
                scaleRows(qkvBias, qRows, scale);
            }
            NDArray gateUp = weights.stackRows(List.of(p + "mlp.gate_proj.weight", p + "mlp.up_proj.weight"),
                    List.of(new long[] {inter, hidden}, new long[] {inter, hidden}));
            foldNorm(gateUp, weights.get(p + "post_attention_layernorm.weight", hidden));
            layers[i] = new Layer(qkvBias, qkvBias == null ? null : qkvBias.toFloatArray(), new TorchMatVec(qkv),
                    new TorchMatVec(weights.get(p + "self_attn.o_proj.weight", hidden, qRows)),
                    new TorchMatVec(gateUp),
                    new TorchMatVec(weights.get(p + "mlp.down_proj.weight", hidden, inter)));
            progress.accept((i + 1.0) / layers.length);
        }
        NDArray norm = weights.get("model.norm.weight", hidden);
        return new TorchLlamaModel(config, manager, embed, norm, new TorchMatVec(head), layers);
    }

    /** Multiplies the first {@code rows} rows (or elements) in place, through the array's memory. */
    private static void scaleRows(NDArray array, long rows, float scale) {
        FloatBuffer data = array.toByteBuffer(true).asFloatBuffer();
        long perRow = array.getShape().size() / array.getShape().get(0);
        int n = Math.toIntExact(rows * perRow);
        for (int i = 0; i < n; i++) {
            data.put(i, data.get(i) * scale);
        }
    }

    /** {@code W · (x ⊙ w) = (W ⊙ w) · x}: multiplies every row of {@code matrix} by the norm weight, in place. */
    private static void foldNorm(NDArray matrix, NDArray normWeight) {
        float[] w = normWeight.toFloatArray();
        FloatBuffer data = matrix.toByteBuffer(true).asFloatBuffer();
        float[] row = new float[w.length];
        int rows = Math.toIntExact(matrix.getShape().get(0));
        for (int r = 0; r < rows; r++) {
            data.get(r * w.length, row);
            for (int c = 0; c < w.length; c++) {
                row[c] *= w[c];
            }
            data.put(r * w.length, row);
        }
    }

    @Override
    public DecoderConfig config() {
        return config;
    }

    @Override
    public KvCache newCache(int maxTokens) {
        int capacity = Math.min(maxTokens, config.contextLength());
        return new KvCache(manager, config.numLayers(), config.numKvHeads(), capacity, config.headDim());
    }

    @Override
    public float[] forward(int[] tokens, KvCache cache, boolean allPositions) {
        NDArray logits = tokens.length == 1
                ? Ops.inOwnScope(() -> decodeStep(tokens[0], cache))
                : Ops.inOwnScope(() -> prefill(tokens, cache, allPositions));
        try (logits) {
            return logits.toFloatArray();
        }
    }

    /**
     * One token: PyTorch's matrix-vector products straight from Java arrays into Java arrays and
     * the attention over the cache as one group of tensor operations. Between two products the
     * CPU caches hold only weights, so every tensor operation then runs in cold code and costs
     * tens of microseconds, far more than its arithmetic: the residual stream, the norms, RoPE,
     * the KV-cache write, the biases and SwiGLU stay in Java.
     */
    private NDArray decodeStep(int token, KvCache cache) {
        float[] x = new float[config.hiddenSize()];
        Ops.read(embedTokens.get(token), x, 0);
        rope.angles(cache.length(), decodeAngles, 0);
        for (int i = 0; i < layers.length; i++) {
            try (NDScope scope = new NDScope()) { // frees the layer's attention tensors
                decodeLayer(i, x, cache);
                scope.suppressNotUsedWarning();
            }
        }
        cache.advance(1);
        lmHeadProduct.multiply(normalizeToken(x, finalNormWeight), decodeLogits);
        return manager.create(decodeLogits, new Shape(1, config.vocabSize()));
    }

    /** One layer for the token at position {@code cache.length()}, adding its output to {@code x}. */
    private void decodeLayer(int index, float[] x, KvCache cache) {
        int heads = config.numHeads();
        int kvHeads = config.numKvHeads();
        int headDim = config.headDim();
        int length = cache.length() + 1;
        Layer layer = layers[index];
        float[] qkv = decodeQkv;
        layer.qkv().multiply(normalizeToken(x, null), qkv); // [(H+2KV)*hd], norm and scale folded in
        if (layer.qkvBiasValues() != null) {
            float[] bias = layer.qkvBiasValues();
            for (int i = 0; i < qkv.length; i++) {
                qkv[i] += bias[i];
            }
        }
        rope.rotate(qkv, 0, heads + kvHeads, decodeAngles); // RoPE on q and k
        cache.writeOne(index, qkv, heads * headDim, qkv, (heads + kvHeads) * headDim);
        decodeQueryData.put(0, qkv, 0, heads * headDim);
        // query heads h = kv * group + j share kv head kv
        Ops.read(decodeQuery.matMul(cache.keysTransposed(index, length)) // [KV, G, L]
                .softmax(-1)
                .matMul(cache.values(index, length)), decodeAttention, 0); // [KV, G, hd]
        layer.o().multiply(decodeAttention, decodeRow);
        addInto(x, decodeRow); // residual
        float[] gateUp = decodeGateUp;
        layer.gateUp().multiply(normalizeToken(x, null), gateUp); // [2I], norm folded in
        int inter = config.intermediateSize();
        for (int i = 0; i < inter; i++) {
            float gate = gateUp[i];
            gateUp[i] = gate / (1 + (float) Math.exp(-gate)) * gateUp[inter + i]; // SwiGLU: silu(gate) · up
        }
        layer.down().multiply(gateUp, decodeRow); // reads the first I values: the activation
        addInto(x, decodeRow); // residual
    }

    private static void addInto(float[] x, float[] y) {
        for (int i = 0; i < x.length; i++) {
            x[i] += y[i];
        }
    }

    /** Several tokens at once: batched tensor operations, with the cache written by indexed copies. */
    private NDArray prefill(int[] tokens, KvCache cache, boolean allPositions) {
        int n = tokens.length;
        int start = cache.length();
        NDArray[] cosSin = rope.tables(manager, start, n);
        NDArray mask = Ops.causalMask(manager, Math.min(n, Ops.ATTENTION_BLOCK));
        NDArray x = embedTokens.get(manager.create(tokens)); // [T, hidden]
        for (int i = 0; i < layers.length; i++) {
            Layer layer = layers[i];
            int index = i;
            NDArray input = x;
            x = Ops.inOwnScope(() -> {
                NDArray h = input.add(attention(index, layer, normalize(input), cache, cosSin, mask)); // residual
                return h.add(mlp(layer, normalize(h))); // residual
            });
        }
        cache.advance(n);
        NDArray last = allPositions ? x : x.get(new NDIndex("{}:", n - 1)); // [T or 1, hidden]
        return lmHeadProduct.linear(normalize(last).mul(finalNorm), null); // [T or 1, vocab]
    }

    private NDArray attention(int index, Layer layer, NDArray x, KvCache cache, NDArray[] cosSin, NDArray mask) {
        int heads = config.numHeads();
        int kvHeads = config.numKvHeads();
        int headDim = config.headDim();
        long n = x.getShape().get(0);
        NDArray qkv = layer.qkv().linear(x, layer.qkvBias()).reshape(n, heads + 2L * kvHeads, headDim); // [T, H+2KV, hd]
        NDArray qk = RotaryEmbedding.apply(qkv.get(":, :{}, :", heads + kvHeads), cosSin[0], cosSin[1]); // RoPE on q and k
        NDArray q = qk.get(":, :{}, :", heads).transpose(1, 0, 2); // [H, T, hd]
        NDArray k = qk.get(":, {}:, :", heads).transpose(1, 0, 2); // [KV, T, hd]
        NDArray v = qkv.get(":, {}:, :", heads + kvHeads).transpose(1, 0, 2); // [KV, T, hd]
        cache.write(index, k, v);
        // query heads h = kv * group + j share kv head kv: group them as rows of one product
        NDArray y = Ops.causalAttention(q.reshape(kvHeads, config.groupSize(), n, headDim), cache, index,
                        cache.length(), mask) // [KV, G, T, hd]
                .reshape(heads, n, headDim).transpose(1, 0, 2).reshape(n, (long) heads * headDim); // [T, H*hd]
        return layer.o().linear(y, null);
    }

    private NDArray mlp(Layer layer, NDArray x) {
        NDList gateUp = layer.gateUp().linear(x, null).split(2, 1); // [T, I] each
        return layer.down().linear(swiGlu(gateUp), null);
    }

    /** SwiGLU: silu(gate) · up. */
    private static NDArray swiGlu(NDList gateUp) {
        NDArray gate = gateUp.get(0);
        return gate.mul(gate.getNDArrayInternal().sigmoid()).mul(gateUp.get(1));
    }

    /** RMSNorm without its weight (folded into the next matrix): each row times 1/sqrt(mean(x²) + eps). */
    private NDArray normalize(NDArray x) {
        FloatBuffer data = x.toByteBuffer(true).asFloatBuffer();
        int hidden = config.hiddenSize();
        int rows = data.remaining() / hidden;
        float[] row = new float[hidden];
        float[] scales = new float[rows];
        for (int r = 0; r < rows; r++) {
            data.get(r * hidden, row);
            scales[r] = rmsScale(row);
        }
        return rows == 1 ? x.mul(scales[0]) : x.mul(manager.create(scales, new Shape(rows, 1)));
    }

    /** RMSNorm of one token, times {@code weight} unless it is null, into an array that every decode step reuses. */
    private float[] normalizeToken(float[] x, float[] weight) {
        float scale = rmsScale(x);
        for (int i = 0; i < x.length; i++) {
            decodeNormed[i] = weight == null ? x[i] * scale : x[i] * scale * weight[i];
        }
        return decodeNormed;
    }

    /** 1/sqrt(mean(x²) + eps). */
    private float rmsScale(float[] x) {
        double sum = 0;
        for (float value : x) {
            sum += value * value;
        }
        return (float) (1.0 / Math.sqrt((float) (sum / x.length) + config.rmsNormEps()));
    }

    @Override
    public void close() {
        manager.close();
    }
}
