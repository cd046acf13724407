package dev.parlance.inference.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;

/**
 * Keys and values of every layer for the positions computed so far, allocated once for a
 * session. Layout per layer, for both: {@code [kvHeads, capacity, headDim]}, so a decoded token's
 * attention reads each head's keys and values as one sequential stream; batched attention takes
 * the keys through a transposed view, which PyTorch's batched product reads without a copy.
 * One decoded token is written straight into this memory from Java ({@link #keyData}), which costs
 * far less than the several tensor operations an indexed copy takes. Truncating it (for
 * prompt-prefix reuse) only moves {@link #length()}: entries beyond it are overwritten before they
 * are read again.
 */
public final class KvCache implements AutoCloseable {
    /** Below this many multiply-adds a token's attention stays on the calling thread. */
    private static final long MIN_PARALLEL_WORK = 1 << 15;
    /** Each thread's scratch for the scores of the query heads of one KV head. */
    private static final ThreadLocal<float[]> SCORES = ThreadLocal.withInitial(() -> new float[1024]);
    /** Each thread's room for the attention of a prompt's tokens. */
    private static final ThreadLocal<VectorKernel.AttentionScratch> ATTENTION_SCRATCH =
            ThreadLocal.withInitial(VectorKernel.AttentionScratch::new);
    /** Each thread's copy of one KV head's values, which the prompt attention reads as an array. */
    private static final ThreadLocal<float[]> VALUE_ROWS = ThreadLocal.withInitial(() -> new float[0]);

    private final NDManager manager;
    private final NDArray[] keys;
    private final NDArray[] values;
    private final MemorySegment[] keyBytes;
    private final MemorySegment[] valueBytes;
    private final FloatBuffer[] keyData;
    private final FloatBuffer[] valueData;
    private final int capacity;
    private final int headDim;
    private int length;

    public KvCache(NDManager parent, int layers, int kvHeads, int capacity, int headDim) {
        this.manager = parent.newSubManager();
        this.capacity = capacity;
        this.headDim = headDim;
        this.keys = new NDArray[layers];
        this.values = new NDArray[layers];
        this.keyBytes = new MemorySegment[layers];
        this.valueBytes = new MemorySegment[layers];
        this.keyData = new FloatBuffer[layers];
        this.valueData = new FloatBuffer[layers];
        for (int layer = 0; layer < layers; layer++) {
            // uninitialised: pages are only touched once positions are written
            keys[layer] = manager.create(new Shape(kvHeads, capacity, headDim), DataType.FLOAT32);
            values[layer] = manager.create(new Shape(kvHeads, capacity, headDim), DataType.FLOAT32);
            ByteBuffer keyBuffer = keys[layer].toByteBuffer(true).order(ByteOrder.LITTLE_ENDIAN);
            ByteBuffer valueBuffer = values[layer].toByteBuffer(true).order(ByteOrder.LITTLE_ENDIAN);
            keyBytes[layer] = MemorySegment.ofBuffer(keyBuffer);
            valueBytes[layer] = MemorySegment.ofBuffer(valueBuffer);
            keyData[layer] = keyBuffer.asFloatBuffer();
            valueData[layer] = valueBuffer.asFloatBuffer();
        }
    }

    /** Positions held. */
    public int length() {
        return length;
    }

    public int capacity() {
        return capacity;
    }

    /** Forgets every position from {@code newLength} on. */
    public void truncate(int newLength) {
        if (newLength < 0 || newLength > length) {
            throw new IllegalArgumentException("cannot truncate a cache of " + length + " to " + newLength);
        }
        length = newLength;
    }

    /**
     * Writes keys and values {@code [kvHeads, T, headDim]} of one layer at positions
     * {@code length() .. length() + T - 1}. The length advances in {@link #advance}, once every
     * layer has written.
     */
    public void write(int layer, NDArray k, NDArray v) {
        long tokens = v.getShape().get(1);
        requireRoom(tokens);
        keys[layer].set(new NDIndex(":, {}:{}, :", length, length + tokens), k);
        values[layer].set(new NDIndex(":, {}:{}, :", length, length + tokens), v);
    }

    /**
     * Writes one position's key and value of one layer from Java arrays {@code [kvHeads * headDim]},
     * starting at {@code offset} in each.
     */
    public void writeOne(int layer, float[] k, int kOffset, float[] v, int vOffset) {
        requireRoom(1);
        writeAt(layer, length, k, kOffset, v, vOffset);
    }

    /**
     * Writes the key and value of position {@code position}, at or after {@link #length()}, as
     * {@link #writeOne} does; a prompt's positions are all written before {@link #advance}.
     */
    public void writeAt(int layer, int position, float[] k, int kOffset, float[] v, int vOffset) {
        if (position < length) {
            throw new IllegalArgumentException("position " + position + " is held already: the cache holds " + length);
        }
        requireRoom(position - length + 1L);
        FloatBuffer kd = keyData[layer];
        FloatBuffer vd = valueData[layer];
        int kvHeads = (int) keys[layer].getShape().get(0);
        for (int h = 0; h < kvHeads; h++) {
            int at = (h * capacity + position) * headDim;
            kd.put(at, k, kOffset + h * headDim, headDim);
            vd.put(at, v, vOffset + h * headDim, headDim);
        }
    }

    private void requireRoom(long tokens) {
        if (length + tokens > capacity) {
            throw new IllegalStateException("KV cache full: " + capacity + " positions");
        }
    }

    /**
     * One token's attention in Java ({@link VectorKernel}), over positions {@code from .. upTo - 1}
     * of one layer (from 0, or the first of a sliding window), its query heads split over the
     * compute threads: {@code out[h * headDim ..]} for query head h, which reads KV head
     * {@code h / group}.
     *
     * @param q the {@code heads * headDim} scaled queries, from {@code qOffset}
     */
    public void attend(int layer, int from, int upTo, float[] q, int qOffset, int heads, int group, float[] out) {
        MemorySegment k = keyBytes[layer];
        MemorySegment v = valueBytes[layer];
        int seen = upTo - from;
        RowWorkers.RowTask task = (first, last) -> {
            float[] scores = scores(group * seen);
            for (int h = first; h < last; ) {
                int kv = h / group;
                int end = Math.min(last, (kv + 1) * group); // the heads of this share that read KV head kv
                int base = (kv * capacity + from) * headDim;
                VectorKernel.attend(q, qOffset + h * headDim, end - h, k, v, base, headDim, seen, scores,
                        out, h * headDim);
                h = end;
            }
        };
        if ((long) heads * seen * headDim < MIN_PARALLEL_WORK) {
            task.run(0, heads);
        } else {
            RowWorkers.forRows(heads, 1, task);
        }
    }

    /**
     * {@link #attendPrompt} for a layer with a sliding window: token t, at position
     * {@code p = length() + t}, sees positions {@code max(0, p - window + 1) .. p}. Each token is
     * one {@link VectorKernel#attend} per KV head over at most {@code window} positions, the
     * tokens split over the compute threads.
     */
    public void attendPromptInWindow(int layer, int tokens, int window, float[] q, int qStride, int heads, int group,
            float[] out) {
        requireRoom(tokens);
        MemorySegment k = keyBytes[layer];
        MemorySegment v = valueBytes[layer];
        int start = length;
        int kvHeads = heads / group;
        RowWorkers.forRows(tokens, 1, (from, to) -> {
            float[] scores = scores(group * window);
            for (int t = from; t < to; t++) {
                int position = start + t;
                int first = Math.max(0, position + 1 - window);
                for (int kv = 0; kv < kvHeads; kv++) {
                    int head = kv * group;
                    VectorKernel.attend(q, t * qStride + head * headDim, group, k, v, (kv * capacity + first) * headDim,
                            headDim, position + 1 - first, scores, out, (t * heads + head) * headDim);
                }
            }
        });
    }

    /**
     * The attention of a prompt's {@code tokens} tokens, at positions {@code length() ..}, in Java
     * ({@link VectorKernel#attendTokens}) over one layer whose keys and values for them are already
     * written: token t sees positions {@code 0 .. length() + t}. {@code out[(t * heads + h) * headDim ..]}
     * for query head h of token t, which reads KV head {@code h / group}. The tokens go in blocks
     * whose queries for one KV head fill a panel of the product kernel, the blocks split over the
     * compute threads; later tokens see more positions, so each share takes blocks from both ends
     * of the prompt to even out their work.
     *
     * @param q scaled queries: token t's {@code heads * headDim} from {@code t * qStride}
     */
    public void attendPrompt(int layer, int tokens, float[] q, int qStride, int heads, int group, float[] out) {
        requireRoom(tokens);
        MemorySegment k = keyBytes[layer];
        FloatBuffer v = valueData[layer];
        int start = length;
        int seen = start + tokens;
        int kvHeads = heads / group;
        int perBlock = Math.max(1, VectorKernel.TOKEN_PANEL / group);
        int blocks = (tokens + perBlock - 1) / perBlock;
        RowWorkers.forRows(blocks, 1, (from, to) -> {
            VectorKernel.AttentionScratch scratch = ATTENTION_SCRATCH.get().fit(perBlock, group, seen, headDim);
            float[] valueRows = atLeast(VALUE_ROWS, seen * headDim + VectorKernel.TOKEN_PANEL);
            for (int kv = 0; kv < kvHeads; kv++) {
                v.get(kv * capacity * headDim, valueRows, 0, seen * headDim);
                int head = kv * group;
                for (int i = from; i < to; i++) {
                    int block = i % 2 == 0 ? i / 2 : blocks - 1 - i / 2;
                    int first = block * perBlock;
                    int count = Math.min(perBlock, tokens - first);
                    VectorKernel.attendTokens(q, first * qStride + head * headDim, qStride, count, group, k,
                            kv * capacity, valueRows, headDim, start + first + count, scratch, out,
                            (first * heads + head) * headDim, heads * headDim);
                }
            }
        });
    }

    private static float[] scores(int length) {
        return atLeast(SCORES, length);
    }

    private static float[] atLeast(ThreadLocal<float[]> scratch, int length) {
        float[] values = scratch.get();
        if (values.length < length) {
            values = new float[Math.max(length, 2 * values.length)];
            scratch.set(values);
        }
        return values;
    }

    /** Keys of one layer for positions {@code 0 .. upTo - 1}, as a transposed view: {@code [kvHeads, headDim, upTo]}. */
    public NDArray keysTransposed(int layer, int upTo) {
        return Ops.slice(keys[layer], 1, 0, upTo).transpose(0, 2, 1);
    }

    /** Values of one layer for positions {@code 0 .. upTo - 1}: {@code [kvHeads, upTo, headDim]}. */
    public NDArray values(int layer, int upTo) {
        return Ops.slice(values[layer], 1, 0, upTo);
    }

    /** Marks {@code tokens} more positions as held, after every layer wrote them. */
    public void advance(int tokens) {
        length += tokens;
    }

    @Override
    public void close() {
        manager.close();
    }
}
