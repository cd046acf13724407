package dev.parlance.inference.model.decoder;

import dev.parlance.inference.ModelLoadException;
import dev.parlance.inference.model.CausalLm;
import dev.parlance.inference.model.Compute;
import dev.parlance.inference.model.KvCache;
import dev.parlance.inference.model.MatVec;
import dev.parlance.inference.model.Rope;
import dev.parlance.inference.model.RotaryEmbedding;
import dev.parlance.inference.model.VectorKernel;
import dev.parlance.inference.model.WeightSource;
import dev.parlance.inference.tensor.WeightMatrix;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.DoubleConsumer;

/**
 * A decoder-only transformer on Java's Vector API, for every family whose difference from Llama
 * an {@link Architecture} describes: Llama 2/3.x, Mistral, Qwen2, Qwen3, Qwen3-MoE, Gemma 2 and 3,
 * Phi-3/Phi-4-mini, Granite, SmolLM3.
 *
 * <p>References: Touvron et al., "LLaMA" (2023); transformers {@code modeling_llama.py},
 * {@code modeling_qwen3.py}, {@code modeling_qwen3_moe.py}, {@code modeling_gemma2.py}, {@code modeling_gemma3.py},
 * {@code modeling_phi3.py}, {@code modeling_granite.py}, {@code modeling_smollm3.py}; Karpathy's
 * llama2.c {@code run.c}.
 *
 * <p>One forward pass serves a prompt of T tokens and a decoded token (T = 1) alike. A layer is
 * <pre>
 *   h   = x   + residualScale · outNorm(attention(norm(x)))     // outNorm only with sandwich norms
 *   out = h   + residualScale · outNorm(mlp(norm(h)))
 * </pre>
 * The weights stay as stored (a GGUF file's compressed blocks, a folder's F32/F16/BF16, in the
 * mapped file): q, k and v are one product of up to three stacked matrices, gate and up another.
 * The residual stream, norms, biases, RoPE, the KV-cache writes and the activation stay in Java;
 * the products ({@link MatVec#multiplyTokens}) and attention ({@link KvCache}) run on the
 * model's own {@link Compute} threads. A decoded token reuses arrays the model keeps: a decode step allocates no array, only
 * its logits' tensor and the compute threads' small task objects (and, in a layer of experts, its
 * routing and the routed tokens' arrays).
 */
public final class DecoderModel implements CausalLm {
    private final DecoderConfig config;
    private final Architecture design;
    private final WeightSource weights;
    /** The threads and scratch the products, attention and activations run on. */
    private final Compute compute;
    private final MatVec embedRows;
    private final MatVec lmHead;
    private final float[] finalNorm;
    private final Layer[] layers;
    /** Each layer's RoPE, or null for a layer without one: layers with the same frequencies share one. */
    private final RotaryEmbedding[] ropes;
    /** The distinct RoPEs of {@link #ropes}, whose angles a forward pass computes once per token. */
    private final RotaryEmbedding[] distinctRopes;
    /**
     * The same for a cache of more positions than {@link #longFrom}: longrope's long factors, or
     * the RoPE of {@link #distinctRopes} where there are none.
     */
    private final RotaryEmbedding[] distinctLongRopes;
    /** For each of {@link #distinctRopes}, the capacity above which a cache turns with its long RoPE. */
    private final int[] longFrom;
    /** For each layer, the index of its RoPE in {@link #distinctRopes}, or -1. */
    private final int[] ropeOfLayer;
    private final Scratch oneToken;

    /**
     * One block's weights; a norm that the architecture has not is null.
     *
     * @param qkvBias the q, k and v biases, or null
     * @param gateUp the dense MLP's gate and up, or null in a layer of experts
     * @param experts the layer's routed experts, or null for a dense MLP
     */
    private record Layer(MatVec qkv, float[] qkvBias, MatVec o, MatVec gateUp, MatVec down, float[] attentionNorm,
            float[] attentionOutputNorm, float[] mlpNorm, float[] mlpOutputNorm, float[] queryNorm, float[] keyNorm,
            ExpertWeights experts) {}

    /**
     * A layer's mixture of experts: the router {@code [experts, hidden]} and each expert's stacked
     * gate and up {@code [2I, hidden]} and down {@code [hidden, I]}, read in the mapped file only
     * for the tokens routed to it.
     */
    private record ExpertWeights(MatVec router, MatVec[] gateUp, MatVec[] down) {}

    /** A forward pass's activations for {@code tokens} tokens: one set is kept for decoding. */
    private static final class Scratch {
        final int tokens;
        final float[] x; // [T, hidden], the residual stream
        final float[] normed; // [T, hidden]
        final float[] qkv; // [T, (H+2KV)*hd]
        final float[] attention; // [T, H*hd]
        final float[] gateUp; // [T, 2I]
        final float[] out; // [T, hidden]
        final float[] angles; // [ropes, T, rotated]
        final float[] logits; // [T or 1, vocab]

        Scratch(DecoderConfig config, int ropes, int tokens, int logitRows) {
            int hidden = config.hiddenSize();
            this.tokens = tokens;
            x = new float[tokens * hidden];
            normed = new float[tokens * hidden];
            qkv = new float[tokens * (config.numHeads() + 2 * config.numKvHeads()) * config.headDim()];
            attention = new float[tokens * config.numHeads() * config.headDim()];
            gateUp = new float[tokens * 2 * config.intermediateSize()];
            out = new float[tokens * hidden];
            angles = new float[ropes * tokens * config.design().rotaryDims()];
            logits = new float[logitRows * config.vocabSize()];
        }
    }

    private DecoderModel(DecoderConfig config, WeightSource weights, Compute compute, MatVec embedRows,
            MatVec lmHead, float[] finalNorm, Layer[] layers) {
        this.config = config;
        this.design = config.design();
        this.weights = weights;
        this.compute = compute;
        this.embedRows = embedRows;
        this.lmHead = lmHead;
        this.finalNorm = finalNorm;
        this.layers = layers;
        Map<Rope, Integer> index = new IdentityHashMap<>();
        List<Rope> distinct = new ArrayList<>();
        this.ropeOfLayer = new int[layers.length];
        for (int i = 0; i < layers.length; i++) {
            Rope rope = design.layers().get(i).rope();
            ropeOfLayer[i] = rope == null ? -1 : index.computeIfAbsent(rope, r -> {
                distinct.add(r);
                return distinct.size() - 1;
            });
        }
        int count = distinct.size();
        this.distinctRopes = new RotaryEmbedding[count];
        this.distinctLongRopes = new RotaryEmbedding[count];
        this.longFrom = new int[count];
        for (int r = 0; r < count; r++) {
            Rope rope = distinct.get(r);
            distinctRopes[r] = new RotaryEmbedding(rope, config.headDim(), design.rotaryDims());
            distinctLongRopes[r] = rope.hasLongContext()
                    ? new RotaryEmbedding(rope.longContext(), config.headDim(), design.rotaryDims()) : distinctRopes[r];
            longFrom[r] = rope.hasLongContext() ? rope.originalContextLength() : Integer.MAX_VALUE;
        }
        this.ropes = new RotaryEmbedding[layers.length];
        for (int i = 0; i < layers.length; i++) {
            ropes[i] = ropeOfLayer[i] < 0 ? null : distinctRopes[ropeOfLayer[i]];
        }
        this.oneToken = new Scratch(config, distinctRopes.length, 1, 1);
    }

    /**
     * Builds the model on tensors as they are stored (a GGUF file's, compressed, or a folder's
     * F32/F16/BF16): q, k and v become one product of stacked matrices and gate and up another;
     * the norms stay vectors (Gemma's {@code (1 + w)} added up at load) and the attention scale is
     * applied to the queries, since a stored matrix is read, never rewritten. The model computes on
     * one thread per core until {@link #useThreads} says otherwise, and closes {@code weights}.
     *
     * @param progress told the fraction of layers loaded
     */
    public static DecoderModel load(DecoderConfig config, WeightSource weights, TensorNames names,
            DoubleConsumer progress) throws ModelLoadException {
        if (MatVec.Kernel.best() != MatVec.Kernel.VECTOR) {
            throw new ModelLoadException(weights.path(), "this model runs on Java's Vector API: start Parlance "
                    + "with --add-modules jdk.incubator.vector (its launcher does)");
        }
        Compute compute = new Compute(Compute.defaultThreads());
        try {
            return build(compute, config, weights, names, progress);
        } catch (ModelLoadException | RuntimeException | Error e) {
            compute.close();
            throw e;
        }
    }

    private static DecoderModel build(Compute compute, DecoderConfig config, WeightSource weights, TensorNames names,
            DoubleConsumer progress) throws ModelLoadException {
        Architecture design = config.design();
        int hidden = config.hiddenSize();
        int inter = config.intermediateSize();
        int headDim = config.headDim();
        int qRows = config.numHeads() * headDim;
        int kvRows = config.numKvHeads() * headDim;
        MatVec embedRows = MatVec.stacked(compute, weights.matrix(names.embed(), config.vocabSize(), hidden));
        MatVec head = config.tieWordEmbeddings() || !weights.has(names.output()) ? embedRows
                : MatVec.stacked(compute, weights.matrix(names.output(), config.vocabSize(), hidden));
        Layer[] layers = new Layer[config.numLayers()];
        for (int i = 0; i < layers.length; i++) {
            String p = String.format(names.layer(), i);
            List<String> qkv = names.qkv();
            MatVec qkvProduct = qkv.size() == 1
                    ? MatVec.stacked(compute, weights.matrix(p + qkv.get(0) + ".weight", qRows + 2L * kvRows, hidden))
                    : MatVec.stacked(compute, weights.matrix(p + qkv.get(0) + ".weight", qRows, hidden),
                            weights.matrix(p + qkv.get(1) + ".weight", kvRows, hidden),
                            weights.matrix(p + qkv.get(2) + ".weight", kvRows, hidden));
            float[] qkvBias = null;
            if (config.attentionBias()) {
                qkvBias = qkv.size() == 1 ? weights.vector(p + qkv.get(0) + ".bias", qRows + 2 * kvRows)
                        : concat(weights.vector(p + qkv.get(0) + ".bias", qRows),
                                weights.vector(p + qkv.get(1) + ".bias", kvRows),
                                weights.vector(p + qkv.get(2) + ".bias", kvRows));
            }
            List<String> gateUp = names.gateUp();
            boolean sparse = design.experts() != null && design.experts().sparse(i);
            ExpertWeights experts = sparse ? experts(compute, weights, design.experts(), names.experts(), p, hidden) : null;
            MatVec gateUpProduct = sparse ? null : gateUp.size() == 1
                    ? MatVec.stacked(compute, weights.matrix(p + gateUp.get(0) + ".weight", 2L * inter, hidden))
                    : MatVec.stacked(compute, weights.matrix(p + gateUp.get(0) + ".weight", inter, hidden),
                            weights.matrix(p + gateUp.get(1) + ".weight", inter, hidden));
            boolean sandwich = design.sandwichNorms();
            boolean headNorms = design.queryKeyNorm();
            layers[i] = new Layer(qkvProduct, qkvBias,
                    MatVec.stacked(compute, weights.matrix(p + names.o() + ".weight", hidden, qRows)),
                    gateUpProduct,
                    sparse ? null : MatVec.stacked(compute, weights.matrix(p + names.down() + ".weight", hidden, inter)),
                    norm(weights, design, p + names.attentionNorm() + ".weight", hidden),
                    sandwich ? norm(weights, design, p + names.attentionOutputNorm() + ".weight", hidden) : null,
                    norm(weights, design, p + names.mlpNorm() + ".weight", hidden),
                    sandwich ? norm(weights, design, p + names.mlpOutputNorm() + ".weight", hidden) : null,
                    headNorms ? norm(weights, design, p + names.queryNorm() + ".weight", headDim) : null,
                    headNorms ? norm(weights, design, p + names.keyNorm() + ".weight", headDim) : null, experts);
            progress.accept((i + 1.0) / layers.length);
        }
        float[] finalNorm = norm(weights, design, names.finalNorm(), hidden);
        return new DecoderModel(config, weights, compute, embedRows, head, finalNorm, layers);
    }

    /** The experts of the layer whose names start with {@code p}: one tensor per expert, or one for all. */
    private static ExpertWeights experts(Compute compute, WeightSource weights, Architecture.Experts experts,
            TensorNames.ExpertNames names, String p, int hidden) throws ModelLoadException {
        int count = experts.count();
        int inter = experts.intermediateSize();
        MatVec[] gateUp = new MatVec[count];
        MatVec[] down = new MatVec[count];
        if (names.stacked()) {
            WeightMatrix[] gates = weights.stackedMatrices(p + names.gate() + ".weight", count, inter, hidden);
            WeightMatrix[] ups = weights.stackedMatrices(p + names.up() + ".weight", count, inter, hidden);
            WeightMatrix[] downs = weights.stackedMatrices(p + names.down() + ".weight", count, hidden, inter);
            for (int e = 0; e < count; e++) {
                gateUp[e] = MatVec.stacked(compute, gates[e], ups[e]);
                down[e] = MatVec.stacked(compute, downs[e]);
            }
        } else {
            for (int e = 0; e < count; e++) {
                gateUp[e] = MatVec.stacked(compute, weights.matrix(p + names.gate().formatted(e) + ".weight", inter, hidden),
                        weights.matrix(p + names.up().formatted(e) + ".weight", inter, hidden));
                down[e] = MatVec.stacked(compute, weights.matrix(p + names.down().formatted(e) + ".weight", hidden, inter));
            }
        }
        return new ExpertWeights(MatVec.stacked(compute, weights.matrix(p + names.router() + ".weight", count, hidden)),
                gateUp, down);
    }

    /** A norm's weight as the forward pass multiplies by it: Gemma's stored offsets plus one. */
    private static float[] norm(WeightSource weights, Architecture design, String name, int length)
            throws ModelLoadException {
        float[] w = weights.vector(name, length);
        if (design.norm() == Architecture.Norm.TIMES_ONE_PLUS_WEIGHT) {
            for (int i = 0; i < w.length; i++) {
                w[i] = 1 + w[i];
            }
        }
        return w;
    }

    private static float[] concat(float[]... parts) {
        int length = 0;
        for (float[] part : parts) {
            length += part.length;
        }
        float[] all = new float[length];
        int at = 0;
        for (float[] part : parts) {
            System.arraycopy(part, 0, all, at, part.length);
            at += part.length;
        }
        return all;
    }

    @Override
    public DecoderConfig config() {
        return config;
    }

    @Override
    public long weightBytesPerToken() {
        long bytes = lmHead.byteSize();
        for (Layer layer : layers) {
            bytes += layer.qkv().byteSize() + layer.o().byteSize();
            if (layer.experts() == null) {
                bytes += layer.gateUp().byteSize() + layer.down().byteSize();
            } else { // the experts a token is routed to
                ExpertWeights experts = layer.experts();
                bytes += experts.router().byteSize() + design.experts().used()
                        * (experts.gateUp()[0].byteSize() + experts.down()[0].byteSize());
            }
        }
        return bytes;
    }

    @Override
    public MatVec.Kernel decodeKernel() {
        return MatVec.Kernel.VECTOR;
    }

    /**
     * A cache whose sliding-window layers hold only a ring of their last positions. Its capacity
     * also chooses longrope's factors: the long ones when it holds more positions than the
     * original context, for every position, as llama.cpp chooses them by its context size.
     * (transformers chooses by the length of the sequence so far and recomputes its cache when
     * the sequence grows past the original context; the two agree wherever a conversation's
     * length and its cache's capacity are on the same side of it.)
     */
    @Override
    public KvCache newCache(int maxTokens) {
        int capacity = Math.min(maxTokens, config.contextLength());
        int[] windows = design.layers().stream().mapToInt(Architecture.LayerAttention::window).toArray();
        return new KvCache(compute, windows, config.numKvHeads(), capacity, config.headDim(), design.attentionSoftCap());
    }

    @Override
    public float[] forward(int[] tokens, KvCache cache, boolean allPositions) {
        int[] replay = cache.takeReplay(); // positions whose windows a truncation took from the cache's rings
        int[] all = tokens;
        if (replay.length > 0) {
            all = Arrays.copyOf(replay, replay.length + tokens.length);
            System.arraycopy(tokens, 0, all, replay.length, tokens.length);
        }
        cache.record(all);
        return forward(all, cache, allPositions ? tokens.length : 1);
    }

    /** Runs {@code tokens}, returning the logits of the last {@code rows} of them. */
    private float[] forward(int[] tokens, KvCache cache, int rows) {
        int n = tokens.length;
        Scratch s = n == 1 ? oneToken : new Scratch(config, distinctRopes.length, n, rows);
        int hidden = config.hiddenSize();
        int start = cache.length();
        embed(tokens, s, cache);
        for (int i = 0; i < layers.length; i++) {
            attentionBlock(i, s, cache, start);
            mlpBlock(layers[i], s);
        }
        cache.advance(n);
        int first = n - rows;
        normalizeRows(s.x, first * hidden, rows, finalNorm, s.normed);
        lmHead.multiplyTokens(s.normed, hidden, rows, null, s.logits); // [T or 1, vocab]
        int count = rows * config.vocabSize();
        scale(s.logits, count, design.logitScale());
        if (design.logitSoftCap() > 0) {
            float cap = design.logitSoftCap();
            for (int i = 0; i < count; i++) {
                s.logits[i] = cap * (float) Math.tanh(s.logits[i] / cap);
            }
        }
        return Arrays.copyOf(s.logits, count); // [T or 1, vocab]: a decode step's scratch is reused
    }

    /** The scaled embeddings of {@code tokens} into {@code s.x}, and their RoPE angles at the cache's next positions. */
    private void embed(int[] tokens, Scratch s, KvCache cache) {
        int n = tokens.length;
        int hidden = config.hiddenSize();
        int start = cache.length();
        for (int t = 0; t < n; t++) {
            embedRows.copyRow(tokens[t], s.x, t * hidden);
        }
        scale(s.x, n * hidden, design.embeddingScale());
        int rotated = design.rotaryDims();
        for (int r = 0; r < distinctRopes.length; r++) {
            RotaryEmbedding rope = cache.capacity() > longFrom[r] ? distinctLongRopes[r] : distinctRopes[r];
            for (int t = 0; t < n; t++) {
                rope.angles(start + t, s.angles, (r * n + t) * rotated);
            }
        }
    }

    /**
     * The attention the query at {@code position} gives each position up to it, per layer and
     * averaged over the query heads: what the model looked at when it chose the token that follows
     * {@code tokens[position]}. It runs {@code tokens[0 .. position]} again, as one prompt in a
     * cache of its own, and computes each layer's weights from the queries and keys that pass
     * left in its activations; the decode path and every session's cache stay as they are, so
     * this costs one prefill, only when asked. The weights are the ones the model uses: zero
     * before a sliding window, after the attention soft-cap (Gemma 2), with the RoPE a cache of
     * {@code contextTokens} positions turns by (longrope's short or long factors; the cache's
     * memory is only touched where positions are written).
     *
     * @param tokens token ids, at least {@code position + 1} of them; not mutated
     * @param contextTokens the capacity of the cache the tokens were generated in
     * @return {@code [layers][position + 1]}; each row sums to 1
     */
    @Override
    public float[][] attentionAt(int[] tokens, int position, int contextTokens) {
        if (position < 0 || position >= tokens.length || position >= config.contextLength()) {
            throw new IllegalArgumentException("position " + position + " is outside the " + tokens.length
                    + " tokens or the model's context");
        }
        int[] seen = Arrays.copyOf(tokens, position + 1);
        float[][] weights = new float[layers.length][];
        try (KvCache cache = newCache(Math.max(seen.length, contextTokens))) {
            cache.record(seen);
            Scratch s = new Scratch(config, distinctRopes.length, seen.length, 1);
            embed(seen, s, cache);
            for (int i = 0; i < layers.length; i++) {
                attentionBlock(i, s, cache, 0);
                weights[i] = attentionOfLast(i, s);
                mlpBlock(layers[i], s);
            }
        }
        return weights;
    }

    /**
     * The last token's attention weights in layer {@code index}, averaged over its query heads,
     * from the scaled, rotated queries and keys that the layer's pass left in {@code s.qkv}.
     */
    private float[] attentionOfLast(int index, Scratch s) {
        int heads = config.numHeads();
        int headDim = config.headDim();
        int qkvWidth = (heads + 2 * config.numKvHeads()) * headDim;
        int position = s.tokens - 1;
        int window = design.layers().get(index).window();
        int from = window > 0 ? Math.max(0, position + 1 - window) : 0;
        float cap = design.attentionSoftCap();
        float[] row = new float[s.tokens];
        double[] scores = new double[position + 1 - from];
        for (int h = 0; h < heads; h++) {
            int q = position * qkvWidth + h * headDim;
            int kv = h / config.groupSize();
            double max = Double.NEGATIVE_INFINITY;
            for (int p = from; p <= position; p++) {
                int k = p * qkvWidth + (heads + kv) * headDim;
                double score = 0;
                for (int d = 0; d < headDim; d++) {
                    score += s.qkv[q + d] * s.qkv[k + d];
                }
                if (cap > 0) {
                    score = cap * Math.tanh(score / cap);
                }
                scores[p - from] = score;
                max = Math.max(max, score);
            }
            double sum = 0;
            for (int j = 0; j < scores.length; j++) {
                scores[j] = Math.exp(scores[j] - max);
                sum += scores[j];
            }
            for (int j = 0; j < scores.length; j++) {
                row[from + j] += (float) (scores[j] / sum / heads);
            }
        }
        return row;
    }

    /** {@code x += residualScale · outNorm(attention(norm(x)))} for every token of {@code s}. */
    private void attentionBlock(int index, Scratch s, KvCache cache, int start) {
        Layer layer = layers[index];
        int n = s.tokens;
        int hidden = config.hiddenSize();
        int heads = config.numHeads();
        int kvHeads = config.numKvHeads();
        int headDim = config.headDim();
        int qkvWidth = (heads + 2 * kvHeads) * headDim;
        normalizeRows(s.x, 0, n, layer.attentionNorm(), s.normed);
        layer.qkv().multiplyTokens(s.normed, hidden, n, layer.qkvBias(), s.qkv); // [T, (H+2KV)*hd]
        RotaryEmbedding rope = ropes[index]; // turns by the angles of the forward pass, long or short
        int anglesAt = ropeOfLayer[index] * n * design.rotaryDims();
        int window = design.layers().get(index).window();
        boolean windowed = n > 1 && window > 0 && start + n > window; // some token's window leaves out a position
        for (int t = 0; t < n; t++) {
            int row = t * qkvWidth;
            if (layer.queryNorm() != null) {
                normalizeHeads(s.qkv, row, heads, layer.queryNorm());
                normalizeHeads(s.qkv, row + heads * headDim, kvHeads, layer.keyNorm());
            }
            scale(s.qkv, row, heads * headDim, design.attentionScale());
            if (rope != null) {
                rope.rotate(s.qkv, row, heads + kvHeads, s.angles, anglesAt + t * design.rotaryDims()); // RoPE on q and k
            }
            if (!windowed) {
                cache.writeAt(index, start + t, s.qkv, row + heads * headDim, s.qkv, row + (heads + kvHeads) * headDim);
            }
        }
        if (n == 1) {
            int upTo = start + 1;
            int from = window > 0 ? Math.max(0, upTo - window) : 0;
            cache.attend(index, from, upTo, s.qkv, 0, heads, config.groupSize(), s.attention);
        } else if (windowed) {
            cache.writeAndAttendInWindow(index, n, window, s.qkv, qkvWidth, heads, config.groupSize(), s.attention);
        } else {
            cache.attendPrompt(index, n, s.qkv, qkvWidth, heads, config.groupSize(), s.attention); // [T, H*hd]
        }
        layer.o().multiplyTokens(s.attention, heads * headDim, n, null, s.out); // [T, hidden]
        if (layer.attentionOutputNorm() != null) {
            normalizeRows(s.out, 0, n, layer.attentionOutputNorm(), s.out);
        }
        addScaled(s.x, s.out, n * hidden); // residual
    }

    /** {@code x += residualScale · outNorm(down(act(gate(h)) · up(h)))}, {@code h = norm(x)}. */
    private void mlpBlock(Layer layer, Scratch s) {
        int n = s.tokens;
        int hidden = config.hiddenSize();
        int inter = config.intermediateSize();
        normalizeRows(s.x, 0, n, layer.mlpNorm(), s.normed);
        if (layer.experts() != null) {
            experts(layer.experts(), s);
            addScaled(s.x, s.out, n * hidden); // residual
            return;
        }
        layer.gateUp().multiplyTokens(s.normed, hidden, n, null, s.gateUp); // [T, 2I]
        switch (design.activation()) {
            case SWIGLU -> {
                if (n == 1) {
                    VectorKernel.swiGlu(s.gateUp, 0, inter);
                } else {
                    VectorKernel.swiGluTokens(compute, s.gateUp, n, inter);
                }
            }
            case GEGLU_TANH -> {
                if (n == 1) {
                    VectorKernel.geluTanhGlu(s.gateUp, 0, inter);
                } else {
                    VectorKernel.geluTanhGluTokens(compute, s.gateUp, n, inter);
                }
            }
        }
        layer.down().multiplyTokens(s.gateUp, 2 * inter, n, null, s.out); // reads each row's first I values
        if (layer.mlpOutputNorm() != null) {
            normalizeRows(s.out, 0, n, layer.mlpOutputNorm(), s.out);
        }
        addScaled(s.x, s.out, n * hidden); // residual
    }

    /**
     * The mixture of experts of the normed tokens of {@code s} into {@code s.out}: each token's
     * router softmax picks its {@code used} most likely experts, whose probabilities (renormalized
     * with {@code normalizeTopK}) weigh their SwiGLU MLPs. Each expert runs once, on the tokens
     * routed to it; an expert no token picked is not read.
     */
    private void experts(ExpertWeights weights, Scratch s) {
        Architecture.Experts experts = design.experts();
        int n = s.tokens;
        int hidden = config.hiddenSize();
        int count = experts.count();
        int used = experts.used();
        int inter = experts.intermediateSize();
        float[] probabilities = new float[n * count]; // [T, experts]
        weights.router().multiplyTokens(s.normed, hidden, n, null, probabilities);
        int[] routedTokens = new int[count * n]; // per expert, the tokens routed to it
        float[] routedWeights = new float[count * n];
        int[] routed = new int[count];
        for (int t = 0; t < n; t++) {
            int at = t * count;
            softmax(probabilities, at, count);
            int[] top = new int[used];
            float sum = 0;
            for (int k = 0; k < used; k++) { // the k-th most likely; ties go to the lower index, as torch.topk
                int best = -1;
                for (int e = 0; e < count; e++) {
                    if (!chosen(top, k, e) && (best < 0 || probabilities[at + e] > probabilities[at + best])) {
                        best = e;
                    }
                }
                top[k] = best;
                sum += probabilities[at + best];
            }
            for (int k = 0; k < used; k++) {
                int e = top[k];
                routedTokens[e * n + routed[e]] = t;
                routedWeights[e * n + routed[e]] = experts.normalizeTopK() ? probabilities[at + e] / sum
                        : probabilities[at + e];
                routed[e]++;
            }
        }
        Arrays.fill(s.out, 0, n * hidden, 0);
        float[] x = new float[n * hidden]; // [routed, hidden]
        float[] gateUp = new float[n * 2 * inter]; // [routed, 2I]
        float[] y = new float[n * hidden]; // [routed, hidden]
        for (int e = 0; e < count; e++) {
            int tokens = routed[e];
            if (tokens == 0) {
                continue;
            }
            for (int r = 0; r < tokens; r++) {
                System.arraycopy(s.normed, routedTokens[e * n + r] * hidden, x, r * hidden, hidden);
            }
            weights.gateUp()[e].multiplyTokens(x, hidden, tokens, null, gateUp); // [routed, 2I]
            if (tokens == 1) {
                VectorKernel.swiGlu(gateUp, 0, inter);
            } else {
                VectorKernel.swiGluTokens(compute, gateUp, tokens, inter);
            }
            weights.down()[e].multiplyTokens(gateUp, 2 * inter, tokens, null, y); // [routed, hidden]
            for (int r = 0; r < tokens; r++) {
                int to = routedTokens[e * n + r] * hidden;
                float w = routedWeights[e * n + r];
                for (int i = 0; i < hidden; i++) {
                    s.out[to + i] += w * y[r * hidden + i];
                }
            }
        }
    }

    private static boolean chosen(int[] top, int k, int expert) {
        for (int j = 0; j < k; j++) {
            if (top[j] == expert) {
                return true;
            }
        }
        return false;
    }

    /** Softmax of {@code x[from .. from + length - 1]}, in place. */
    private static void softmax(float[] x, int from, int length) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = from; i < from + length; i++) {
            max = Math.max(max, x[i]);
        }
        float sum = 0;
        for (int i = from; i < from + length; i++) {
            x[i] = (float) Math.exp(x[i] - max);
            sum += x[i];
        }
        for (int i = from; i < from + length; i++) {
            x[i] /= sum;
        }
    }

    /** {@code x[i] += residualScale · y[i]} for i below {@code count}. */
    private void addScaled(float[] x, float[] y, int count) {
        float scale = design.residualScale();
        if (scale == 1) {
            for (int i = 0; i < count; i++) {
                x[i] += y[i];
            }
        } else {
            for (int i = 0; i < count; i++) {
                x[i] += scale * y[i];
            }
        }
    }

    private static void scale(float[] x, int count, float scale) {
        scale(x, 0, count, scale);
    }

    private static void scale(float[] x, int from, int count, float scale) {
        if (scale != 1) {
            for (int i = from; i < from + count; i++) {
                x[i] *= scale;
            }
        }
    }

    /**
     * RMSNorm of {@code rows} rows of {@code x} from {@code from}, times {@code weight}, into
     * {@code into} from 0 ({@code into} may be {@code x} when {@code from} is 0).
     */
    private void normalizeRows(float[] x, int from, int rows, float[] weight, float[] into) {
        int hidden = config.hiddenSize();
        for (int r = 0; r < rows; r++) {
            int at = from + r * hidden;
            int to = r * hidden;
            float scale = rmsScale(x, at, hidden);
            for (int i = 0; i < hidden; i++) {
                into[to + i] = x[at + i] * scale * weight[i];
            }
        }
    }

    /** The RMSNorm of each of {@code heads} heads at {@code x[from ..]}, in place (q and k norms). */
    private void normalizeHeads(float[] x, int from, int heads, float[] weight) {
        int headDim = config.headDim();
        for (int h = 0; h < heads; h++) {
            int at = from + h * headDim;
            float scale = rmsScale(x, at, headDim);
            for (int i = 0; i < headDim; i++) {
                x[at + i] = x[at + i] * scale * weight[i];
            }
        }
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
    public void useThreads(int threads) {
        compute.useThreads(threads);
    }

    @Override
    public int threads() {
        return compute.threads();
    }

    @Override
    public void close() {
        compute.close();
        weights.close();
    }
}
