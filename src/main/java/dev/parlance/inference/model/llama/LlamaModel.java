package dev.parlance.inference.model.llama;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.parlance.inference.ModelLoadException;
import dev.parlance.inference.model.CausalLm;
import dev.parlance.inference.model.KvCache;
import dev.parlance.inference.model.MatVec;
import dev.parlance.inference.model.Ops;
import dev.parlance.inference.model.RotaryEmbedding;
import dev.parlance.inference.model.VectorKernel;
import dev.parlance.inference.model.WeightSource;
import dev.parlance.inference.model.Weights;
import java.nio.FloatBuffer;
import java.util.List;
import java.util.function.DoubleConsumer;

/**
 * The Llama family: Llama 2/3.x, Mistral, Qwen2 (q/k/v biases), Qwen3 (q/k norms), SmolLM, TinyLlama.
 *
 * <p>References: Touvron et al., "LLaMA" (2023); transformers {@code modeling_llama.py} and
 * {@code modeling_qwen2.py}, {@code modeling_qwen3.py}; Karpathy's llama2.c {@code run.c}.
 *
 * <p>On the vector kernel, a GGUF file's or a folder's weights stay as stored (compressed, F16,
 * BF16 or F32, in the mapped file): q, k and v become one product of three stacked matrices and
 * gate and up another, with the norms and the attention scale applied to the activations. A
 * prompt and a decoded token both keep the residual stream in Java and do the norms, biases,
 * RoPE, the KV-cache writes and SwiGLU there, with the products and attention on the weights'
 * own memory. Without the Vector API, a folder's weights are prepared for few tensor operations
 * a layer: widened to float32, q, k and v fused into one matrix and gate and up into another,
 * each RMSNorm weight folded into the columns of the matrix after it and the attention scale
 * into the q rows (RoPE is linear, so scaling before it is the same); prompts take batched tensor
 * operations and decoding PyTorch's matrix-vector products.
 */
public final class LlamaModel implements CausalLm {
    private static final String LAYER = "model.layers.%d.";

    private final LlamaConfig config;
    private final NDManager manager;
    private final AutoCloseable weightSource;
    private final RotaryEmbedding rope;
    private final NDArray embedTokens; // [vocab, hidden], on the tensor path only
    private final NDArray finalNorm; // [hidden], on the tensor path only
    private final Layer[] layers;
    private final MatVec.Kernel kernel;
    private final MatVec embedRows;
    private final MatVec lmHeadProduct;
    /** What each query is multiplied by before attention, where loading did not fold it into q's rows. */
    private final float queryScale;
    private final NDArray decodeQuery; // [kvHeads, group, headDim], reused by every decode step
    private final FloatBuffer decodeQueryData;
    private final float[] decodeNormed;
    private final float[] decodeRow;
    private final float[] decodeQkv;
    private final float[] decodeAttention;
    private final float[] decodeGateUp;
    private final float[] decodeLogits;
    private final float[] finalNormWeight;

    /**
     * One block. Where loading folded a norm's weight into the columns of the matrix after it,
     * that norm is null here; a prompt's products and a token's see the same matrices.
     *
     * @param qkvBias the biases on the tensor path, or null
     * @param qkvBiasValues the same biases as Java values, or null
     * @param queryNorm the weights of each query head's RMSNorm, or null where there is none
     * @param keyNorm the weights of each key head's RMSNorm, or null where there is none
     */
    private record Layer(NDArray qkvBias, float[] qkvBiasValues, MatVec qkv, MatVec o, MatVec gateUp, MatVec down,
            float[] inputNorm, float[] postNorm, float[] queryNorm, float[] keyNorm) {
        Layer(NDArray qkv, NDArray qkvBias, NDArray o, NDArray gateUp, NDArray down, MatVec.Kernel kernel) {
            this(qkvBias, qkvBias == null ? null : qkvBias.toFloatArray(), MatVec.of(qkv, kernel), MatVec.of(o, kernel),
                    MatVec.of(gateUp, kernel), MatVec.of(down, kernel), null, null, null, null);
        }
    }

    private LlamaModel(LlamaConfig config, NDManager manager, AutoCloseable weightSource, NDArray embedTokens,
            NDArray finalNorm, float[] finalNormWeight, MatVec embedRows, MatVec lmHeadProduct, Layer[] layers,
            MatVec.Kernel kernel, float queryScale) {
        this.config = config;
        this.kernel = kernel;
        this.manager = manager;
        this.weightSource = weightSource;
        this.rope = new RotaryEmbedding(config.rope(), config.headDim());
        this.embedTokens = embedTokens;
        this.finalNorm = finalNorm;
        this.layers = layers;
        this.embedRows = embedRows;
        this.lmHeadProduct = lmHeadProduct;
        this.queryScale = queryScale;
        this.decodeQuery = manager.create(new Shape(config.numKvHeads(), config.groupSize(), config.headDim()),
                DataType.FLOAT32);
        this.decodeQueryData = decodeQuery.toByteBuffer(true).asFloatBuffer();
        this.decodeNormed = new float[config.hiddenSize()];
        this.decodeRow = new float[config.hiddenSize()];
        this.decodeQkv = new float[(config.numHeads() + 2 * config.numKvHeads()) * config.headDim()];
        this.decodeAttention = new float[config.numHeads() * config.headDim()];
        this.decodeGateUp = new float[2 * config.intermediateSize()];
        this.decodeLogits = new float[config.vocabSize()];
        this.finalNormWeight = finalNormWeight;
    }

    /**
     * Loads a folder's weights into {@code manager}, which the model then owns, for the tensor
     * path that runs without the Vector API: widened to float32, fused and with the norms folded.
     *
     * @param progress told the fraction of layers loaded
     */
    public static LlamaModel load(LlamaConfig config, Weights weights, NDManager manager,
            DoubleConsumer progress) throws ModelLoadException {
        if (config.queryKeyNorm()) {
            throw new ModelLoadException(null, config.architecture() + " runs on Java's Vector API only: start "
                    + "Parlance with --add-modules jdk.incubator.vector (its launcher does)");
        }
        MatVec.Kernel kernel = MatVec.Kernel.TORCH;
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
            layers[i] = new Layer(qkv, qkvBias,
                    weights.get(p + "self_attn.o_proj.weight", hidden, qRows),
                    gateUp,
                    weights.get(p + "mlp.down_proj.weight", hidden, inter), kernel);
            progress.accept((i + 1.0) / layers.length);
        }
        NDArray norm = weights.get("model.norm.weight", hidden);
        MatVec embedRows = MatVec.of(embed, kernel);
        MatVec headProduct = head == embed ? embedRows : MatVec.of(head, kernel);
        return new LlamaModel(config, manager, null, embed, norm, norm.toFloatArray(), embedRows, headProduct, layers,
                kernel, 1);
    }

    /** The Llama family's tensor names in each file format: {@code layer} takes the layer's index. */
    public enum TensorNames {
        HUGGING_FACE("model.embed_tokens.weight", "lm_head.weight", "model.norm.weight", "model.layers.%d.",
                "self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj",
                "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj", "input_layernorm", "post_attention_layernorm",
                "self_attn.q_norm", "self_attn.k_norm"),
        GGUF("token_embd.weight", "output.weight", "output_norm.weight", "blk.%d.",
                "attn_q", "attn_k", "attn_v", "attn_output", "ffn_gate", "ffn_up", "ffn_down", "attn_norm", "ffn_norm",
                "attn_q_norm", "attn_k_norm");

        private final String embed;
        private final String output;
        private final String finalNorm;
        private final String layer;
        private final String q;
        private final String k;
        private final String v;
        private final String o;
        private final String gate;
        private final String up;
        private final String down;
        private final String inputNorm;
        private final String postNorm;
        private final String qNorm;
        private final String kNorm;

        TensorNames(String embed, String output, String finalNorm, String layer, String q, String k, String v,
                String o, String gate, String up, String down, String inputNorm, String postNorm, String qNorm,
                String kNorm) {
            this.embed = embed;
            this.output = output;
            this.finalNorm = finalNorm;
            this.layer = layer;
            this.q = q;
            this.k = k;
            this.v = v;
            this.o = o;
            this.gate = gate;
            this.up = up;
            this.down = down;
            this.inputNorm = inputNorm;
            this.postNorm = postNorm;
            this.qNorm = qNorm;
            this.kNorm = kNorm;
        }
    }

    /**
     * Builds the model on tensors as they are stored (a GGUF file's, compressed, or a folder's
     * F32/F16/BF16), on the vector kernel: q, k and v become one product of three stacked
     * matrices and gate and up another; the norms stay vectors and the attention scale is
     * applied to the queries, since a stored matrix is read, never rewritten. The model closes
     * {@code weights}.
     *
     * @param progress told the fraction of layers loaded
     */
    public static LlamaModel load(LlamaConfig config, WeightSource weights, TensorNames names, NDManager manager,
            DoubleConsumer progress) throws ModelLoadException {
        if (MatVec.Kernel.best() != MatVec.Kernel.VECTOR) {
            throw new ModelLoadException(weights.path(), "this model runs on Java's Vector API: start Parlance "
                    + "with --add-modules jdk.incubator.vector (its launcher does)");
        }
        long hidden = config.hiddenSize();
        long inter = config.intermediateSize();
        int qRows = config.numHeads() * config.headDim();
        int kvRows = config.numKvHeads() * config.headDim();
        MatVec embedRows = MatVec.stacked(weights.matrix(names.embed, config.vocabSize(), hidden));
        MatVec head = config.tieWordEmbeddings() || !weights.has(names.output) ? embedRows
                : MatVec.stacked(weights.matrix(names.output, config.vocabSize(), hidden));
        Layer[] layers = new Layer[config.numLayers()];
        for (int i = 0; i < layers.length; i++) {
            String p = String.format(names.layer, i);
            float[] qkvBias = null;
            if (config.attentionBias()) {
                qkvBias = new float[qRows + 2 * kvRows];
                System.arraycopy(weights.vector(p + names.q + ".bias", qRows), 0, qkvBias, 0, qRows);
                System.arraycopy(weights.vector(p + names.k + ".bias", kvRows), 0, qkvBias, qRows, kvRows);
                System.arraycopy(weights.vector(p + names.v + ".bias", kvRows), 0, qkvBias, qRows + kvRows, kvRows);
            }
            layers[i] = new Layer(null, qkvBias,
                    MatVec.stacked(weights.matrix(p + names.q + ".weight", qRows, hidden),
                            weights.matrix(p + names.k + ".weight", kvRows, hidden),
                            weights.matrix(p + names.v + ".weight", kvRows, hidden)),
                    MatVec.stacked(weights.matrix(p + names.o + ".weight", hidden, qRows)),
                    MatVec.stacked(weights.matrix(p + names.gate + ".weight", inter, hidden),
                            weights.matrix(p + names.up + ".weight", inter, hidden)),
                    MatVec.stacked(weights.matrix(p + names.down + ".weight", hidden, inter)),
                    weights.vector(p + names.inputNorm + ".weight", (int) hidden),
                    weights.vector(p + names.postNorm + ".weight", (int) hidden),
                    config.queryKeyNorm() ? weights.vector(p + names.qNorm + ".weight", config.headDim()) : null,
                    config.queryKeyNorm() ? weights.vector(p + names.kNorm + ".weight", config.headDim()) : null);
            progress.accept((i + 1.0) / layers.length);
        }
        float[] norm = weights.vector(names.finalNorm, (int) hidden);
        return new LlamaModel(config, manager, weights, null, null, norm, embedRows, head, layers,
                MatVec.Kernel.VECTOR, (float) (1.0 / Math.sqrt(config.headDim())));
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
    public LlamaConfig config() {
        return config;
    }

    @Override
    public long weightBytesPerToken() {
        long bytes = lmHeadProduct.byteSize();
        for (Layer layer : layers) {
            bytes += layer.qkv().byteSize() + layer.o().byteSize() + layer.gateUp().byteSize() + layer.down().byteSize();
        }
        return bytes;
    }

    @Override
    public MatVec.Kernel decodeKernel() {
        return kernel;
    }

    @Override
    public KvCache newCache(int maxTokens) {
        int capacity = Math.min(maxTokens, config.contextLength());
        return new KvCache(manager, config.numLayers(), config.numKvHeads(), capacity, config.headDim());
    }

    @Override
    public NDArray forward(int[] tokens, KvCache cache, boolean allPositions) {
        if (tokens.length == 1) {
            return Ops.inOwnScope(() -> decodeStep(tokens[0], cache));
        }
        if (kernel == MatVec.Kernel.VECTOR) {
            return prefillInJava(tokens, cache, allPositions);
        }
        return Ops.inOwnScope(() -> prefill(tokens, cache, allPositions));
    }

    /**
     * One token. Its matrix products are {@link MatVec}'s, straight from Java arrays into Java
     * arrays, and with the Vector API kernel so is the attention over the cache (on PyTorch's
     * path that is the one group of tensor operations). Between two products the CPU caches hold
     * only weights, so every tensor operation then runs in cold code and costs tens of
     * microseconds, far more than its arithmetic. The residual stream stays in Java, and the
     * norms, RoPE, the KV-cache write, the biases and SwiGLU happen in Java too.
     */
    private NDArray decodeStep(int token, KvCache cache) {
        float[] x = new float[config.hiddenSize()];
        embedRows.copyRow(token, x, 0);
        float[] cosSin = rope.angles(cache.length());
        for (int i = 0; i < layers.length; i++) {
            try (NDScope scope = new NDScope()) { // frees the layer's attention tensors
                decodeLayer(i, x, cache, cosSin);
                scope.suppressNotUsedWarning();
            }
        }
        cache.advance(1);
        float[] logits = decodeLogits;
        lmHeadProduct.multiply(normalizeToken(x, finalNormWeight), logits);
        return manager.create(logits, new Shape(1, config.vocabSize()));
    }

    /** One layer for the token at position {@code cache.length()}, adding its output to {@code x}. */
    private void decodeLayer(int index, float[] x, KvCache cache, float[] cosSin) {
        int heads = config.numHeads();
        int kvHeads = config.numKvHeads();
        int headDim = config.headDim();
        int length = cache.length() + 1;
        Layer layer = layers[index];
        float[] qkv = decodeQkv;
        layer.qkv().multiply(normalizeToken(x, layer.inputNorm()), qkv); // [(H+2KV)*hd]
        if (layer.qkvBiasValues() != null) {
            float[] bias = layer.qkvBiasValues();
            for (int i = 0; i < qkv.length; i++) {
                qkv[i] += bias[i];
            }
        }
        normalizeHeads(layer, qkv, 0);
        scaleQueries(qkv, 0);
        rope.rotate(qkv, 0, heads + kvHeads, cosSin); // RoPE on q and k
        cache.writeOne(index, qkv, heads * headDim, qkv, (heads + kvHeads) * headDim);
        if (kernel == MatVec.Kernel.VECTOR) {
            cache.attend(index, length, qkv, 0, heads, config.groupSize(), decodeAttention);
        } else {
            decodeQueryData.put(0, qkv, 0, heads * headDim);
            // query heads h = kv * group + j share kv head kv
            Ops.read(decodeQuery.matMul(cache.keysTransposed(index, length)) // [KV, G, L]
                    .softmax(-1)
                    .matMul(cache.values(index, length)), decodeAttention, 0); // [KV, G, hd]
        }
        layer.o().multiply(decodeAttention, decodeRow);
        addInto(x, decodeRow); // residual
        float[] gateUp = decodeGateUp;
        layer.gateUp().multiply(normalizeToken(x, layer.postNorm()), gateUp); // [2I]
        int inter = config.intermediateSize();
        if (kernel == MatVec.Kernel.VECTOR) {
            VectorKernel.swiGlu(gateUp, 0, inter);
        } else {
            for (int i = 0; i < inter; i++) {
                float gate = gateUp[i];
                gateUp[i] = gate / (1 + (float) Math.exp(-gate)) * gateUp[inter + i]; // SwiGLU: silu(gate) · up
            }
        }
        layer.down().multiply(gateUp, decodeRow); // reads the first I values: the activation
        addInto(x, decodeRow); // residual
    }

    /** Qwen3's RMSNorm of each query and key head at {@code qkv[from ..]}, before RoPE; nothing for other models. */
    private void normalizeHeads(Layer layer, float[] qkv, int from) {
        if (layer.queryNorm() == null) {
            return;
        }
        int headDim = config.headDim();
        int heads = config.numHeads();
        for (int h = 0; h < heads + config.numKvHeads(); h++) {
            float[] weight = h < heads ? layer.queryNorm() : layer.keyNorm();
            int at = from + h * headDim;
            float scale = rmsScale(qkv, at, headDim);
            for (int i = 0; i < headDim; i++) {
                qkv[at + i] = qkv[at + i] * scale * weight[i];
            }
        }
    }

    /** Scales the query heads at {@code qkv[from ..]} where loading did not fold the scale into q's rows. */
    private void scaleQueries(float[] qkv, int from) {
        if (queryScale == 1) {
            return;
        }
        int end = from + config.numHeads() * config.headDim();
        for (int i = from; i < end; i++) {
            qkv[i] *= queryScale;
        }
    }

    private static void addInto(float[] x, float[] y) {
        for (int i = 0; i < x.length; i++) {
            x[i] += y[i];
        }
    }

    /**
     * Several tokens at once on the vector kernel, in Java as a decode step is: the residual
     * stream, norms, RoPE, the cache writes and SwiGLU per token, and the products and attention
     * of all the tokens together ({@link MatVec#multiplyTokens}, {@link KvCache#attendPrompt}),
     * split over the compute threads. PyTorch has no part in it, so its idle threads never spin
     * against the workers.
     */
    private NDArray prefillInJava(int[] tokens, KvCache cache, boolean allPositions) {
        int n = tokens.length;
        int hidden = config.hiddenSize();
        int heads = config.numHeads();
        int kvHeads = config.numKvHeads();
        int headDim = config.headDim();
        int inter = config.intermediateSize();
        int qkvWidth = (heads + 2 * kvHeads) * headDim;
        int start = cache.length();
        float[] x = new float[n * hidden];
        float[] normed = new float[n * hidden];
        float[] qkv = new float[n * qkvWidth];
        float[] attention = new float[n * heads * headDim];
        float[] gateUp = new float[n * 2 * inter];
        float[] out = new float[n * hidden];
        float[][] angles = new float[n][];
        for (int t = 0; t < n; t++) {
            embedRows.copyRow(tokens[t], x, t * hidden);
            angles[t] = rope.angles(start + t);
        }
        for (int i = 0; i < layers.length; i++) {
            Layer layer = layers[i];
            normalizeRows(x, n, layer.inputNorm(), normed);
            layer.qkv().multiplyTokens(normed, hidden, n, layer.qkvBiasValues(), qkv); // [T, (H+2KV)*hd]
            for (int t = 0; t < n; t++) {
                int row = t * qkvWidth;
                normalizeHeads(layer, qkv, row);
                scaleQueries(qkv, row);
                rope.rotate(qkv, row, heads + kvHeads, angles[t]); // RoPE on q and k
                cache.writeAt(i, start + t, qkv, row + heads * headDim, qkv, row + (heads + kvHeads) * headDim);
            }
            cache.attendPrompt(i, n, qkv, qkvWidth, heads, config.groupSize(), attention); // [T, H*hd]
            layer.o().multiplyTokens(attention, heads * headDim, n, null, out);
            addInto(x, out); // residual
            normalizeRows(x, n, layer.postNorm(), normed);
            layer.gateUp().multiplyTokens(normed, hidden, n, null, gateUp); // [T, 2I]
            VectorKernel.swiGluTokens(gateUp, n, inter);
            layer.down().multiplyTokens(gateUp, 2 * inter, n, null, out); // reads each row's first I values
            addInto(x, out); // residual
        }
        cache.advance(n);
        int first = allPositions ? 0 : n - 1;
        int rows = n - first;
        float[] last = new float[rows * hidden];
        System.arraycopy(x, first * hidden, last, 0, last.length);
        normalizeRows(last, rows, finalNormWeight, last);
        float[] logits = new float[rows * config.vocabSize()];
        lmHeadProduct.multiplyTokens(last, hidden, rows, null, logits);
        return manager.create(logits, new Shape(rows, config.vocabSize())); // [T or 1, vocab]
    }

    /** RMSNorm of each of {@code rows} rows of {@code x}, times {@code weight} unless it is null. */
    private void normalizeRows(float[] x, int rows, float[] weight, float[] into) {
        int hidden = config.hiddenSize();
        for (int r = 0; r < rows; r++) {
            int at = r * hidden;
            float scale = rmsScale(x, at, hidden);
            for (int i = 0; i < hidden; i++) {
                into[at + i] = weight == null ? x[at + i] * scale : x[at + i] * scale * weight[i];
            }
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
            scales[r] = rmsScale(row, 0, hidden);
        }
        return rows == 1 ? x.mul(scales[0]) : x.mul(manager.create(scales, new Shape(rows, 1)));
    }

    /**
     * RMSNorm of one token, times {@code weight} unless it is null, into an array that every
     * decode step reuses.
     */
    private float[] normalizeToken(float[] x, float[] weight) {
        float[] row = decodeNormed;
        normalizeRows(x, 1, weight, row);
        return row;
    }

    /** 1/sqrt(mean(x²) + eps) over {@code x[from .. from + length - 1]}. */
    private float rmsScale(float[] x, int from, int length) {
        double sum = 0;
        for (int i = from; i < from + length; i++) {
            sum += x[i] * x[i];
        }
        return (float) (1.0 / Math.sqrt((float) (sum / length) + config.rmsNormEps()));
    }

    @Override
    public void close() {
        manager.close();
        if (weightSource != null) {
            try {
                weightSource.close();
            } catch (Exception e) {
                throw new IllegalStateException("cannot close the model's weights: " + e.getMessage(), e);
            }
        }
    }
}
