package dev.parlance.inference.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Arrays;

/**
 * Keys and values of every layer for the positions computed so far, allocated once for a
 * session, in native memory of the cache's own: the Java path never loads PyTorch for it. Layout
 * per layer, for both: {@code [kvHeads, rows, headDim]}, so a decoded token's attention reads each
 * head's keys and values as one sequential stream. A model on PyTorch ({@link #KvCache(NDManager,
 * int, int, int, int)}) sees the same memory as tensors, without a copy; its batched attention
 * takes the keys through a transposed view, which PyTorch's batched product reads as they are.
 * One decoded token is written straight into this memory from Java ({@link #keyData}), which costs
 * far less than the several tensor operations an indexed copy takes.
 *
 * <p>A layer holds every position ({@code rows = capacity}, position p in row p), or, for a
 * sliding-window layer of window W, only the last ones in a ring of {@code R = W + RING_CHUNK - 1}
 * positions: position p in row {@code p % R} and again in row {@code p % R + R}, so that any
 * {@code R} consecutive positions are consecutive rows, as the attention kernels read them. A
 * prompt's tokens go through such a layer {@link #RING_CHUNK} at a time
 * ({@link #writeAndAttendInWindow}), so that none overwrites a position that a token of its chunk
 * still sees.
 *
 * <p>Truncating (for prompt-prefix reuse) only moves {@link #length()}: entries beyond it are
 * overwritten before they are read again. Where a ring has already overwritten what the new end
 * needs, positions are recomputed: {@link #takeReplay()} hands their tokens (recorded by
 * {@link #record}) back to the model's next forward pass. A position's keys in a sliding layer
 * depend on the windows of the sliding layers below it, so with S ring layers of window W the
 * last {@code S * (W - 1)} positions are recomputed; the layers that hold every position keep
 * theirs, which are exact, and skip those writes.
 */
public final class KvCache implements AutoCloseable {
    /** Below this many multiply-adds a token's attention stays on the calling thread. */
    private static final long MIN_PARALLEL_WORK = 1 << 15;
    private final Arena arena;
    /** The threads a model in Java attends on; null for a model on PyTorch. */
    private final Compute compute;
    /** For a model on PyTorch: the memory of {@link #keyBytes} and {@link #valueBytes} as tensors; otherwise null. */
    private final NDManager manager;
    private final NDArray[] keys;
    private final NDArray[] values;
    private final int kvHeads;
    private final MemorySegment[] keyBytes;
    private final MemorySegment[] valueBytes;
    private final FloatBuffer[] keyData;
    private final FloatBuffer[] valueData;
    /** Tokens that a sliding-window layer's ring takes at once from a prompt: its room beyond the window. */
    static final int RING_CHUNK = 64;
    private static final int[] NO_TOKENS = new int[0];

    private final int capacity;
    private final int headDim;
    /** {@code c} of {@code c * tanh(score / c)} on every attention score before the softmax, or 0. */
    private final float scoreSoftCap;
    /** Per layer, the rows of each KV head. */
    private final int[] rows;
    /** Per layer, the positions its ring holds, or 0 where every position is held. */
    private final int[] ring;
    /** How far back a truncation that a ring cannot serve recomputes: the ring layers times their widest window less one. */
    private final int replayDepth;
    /** The token of each position, where the model records them (to recompute a window). */
    private final int[] tokens;
    private int length;
    /** Where truncation left positions that rings no longer hold: from here to {@link #length} they are recomputed. */
    private int replayFrom = Integer.MAX_VALUE;
    /** Positions below this are exact in the layers that hold every position: recomputing them writes nothing there. */
    private int keptByFullLayers;

    /**
     * A cache that holds every position of every layer, for a model on PyTorch: its memory is
     * also seen as tensors of {@code parent}'s engine ({@link #write}, {@link #keysTransposed},
     * {@link #values}).
     */
    public KvCache(NDManager parent, int layers, int kvHeads, int capacity, int headDim) {
        this(null, parent, new int[layers], kvHeads, capacity, headDim, 0);
    }

    /**
     * A cache for a model that computes in Java, on {@code compute}'s threads.
     *
     * @param windows per layer, its sliding window, or 0 for a layer that sees every position:
     *     a windowed layer holds only a ring of its last positions where that is smaller
     */
    public KvCache(Compute compute, int[] windows, int kvHeads, int capacity, int headDim) {
        this(compute, null, windows, kvHeads, capacity, headDim, 0);
    }

    /**
     * A cache for a model that computes in Java and soft-caps its attention scores (Gemma 2).
     *
     * @param scoreSoftCap {@code c} of {@code c * tanh(score / c)} on every scaled attention score
     *     before the softmax, or 0 for none
     */
    public KvCache(Compute compute, int[] windows, int kvHeads, int capacity, int headDim, float scoreSoftCap) {
        this(compute, null, windows, kvHeads, capacity, headDim, scoreSoftCap);
    }

    private KvCache(Compute compute, NDManager parent, int[] windows, int kvHeads, int capacity, int headDim,
            float scoreSoftCap) {
        int layers = windows.length;
        this.arena = Arena.ofShared();
        this.compute = compute;
        this.manager = parent == null ? null : parent.newSubManager();
        this.kvHeads = kvHeads;
        this.capacity = capacity;
        this.headDim = headDim;
        this.scoreSoftCap = scoreSoftCap;
        this.rows = new int[layers];
        this.ring = new int[layers];
        int widest = 0;
        int ringLayers = 0;
        for (int layer = 0; layer < layers; layer++) {
            int positions = windows[layer] + RING_CHUNK - 1;
            boolean ringed = windows[layer] > 0 && 2L * positions < capacity;
            ring[layer] = ringed ? positions : 0;
            rows[layer] = ringed ? 2 * positions : capacity;
            widest = ringed ? Math.max(widest, windows[layer]) : widest;
            ringLayers += ringed ? 1 : 0;
        }
        this.replayDepth = ringLayers * Math.max(0, widest - 1);
        this.tokens = ringLayers > 0 ? new int[capacity] : null;
        this.keys = manager == null ? null : new NDArray[layers];
        this.values = manager == null ? null : new NDArray[layers];
        this.keyBytes = new MemorySegment[layers];
        this.valueBytes = new MemorySegment[layers];
        this.keyData = new FloatBuffer[layers];
        this.valueData = new FloatBuffer[layers];
        for (int layer = 0; layer < layers; layer++) {
            long bytes = (long) kvHeads * rows[layer] * headDim * Float.BYTES;
            // pages are only touched once positions are written
            keyBytes[layer] = NativeMemory.allocate(bytes, arena);
            valueBytes[layer] = NativeMemory.allocate(bytes, arena);
            ByteBuffer keyBuffer = keyBytes[layer].asByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
            ByteBuffer valueBuffer = valueBytes[layer].asByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
            keyData[layer] = keyBuffer.asFloatBuffer();
            valueData[layer] = valueBuffer.asFloatBuffer();
            if (manager != null) {
                Shape shape = new Shape(kvHeads, rows[layer], headDim);
                keys[layer] = manager.create(keyBuffer, shape, DataType.FLOAT32);
                values[layer] = manager.create(valueBuffer, shape, DataType.FLOAT32);
            }
        }
    }

    /** Positions held. */
    public int length() {
        return length;
    }

    public int capacity() {
        return capacity;
    }

    /**
     * Forgets every position from {@code newLength} on. Where a ring no longer holds the window
     * that position {@code newLength} will see, the model's next forward pass recomputes it
     * ({@link #takeReplay()}).
     */
    public void truncate(int newLength) {
        if (newLength < 0 || newLength > length) {
            throw new IllegalArgumentException("cannot truncate a cache of " + length + " to " + newLength);
        }
        // the oldest position the next one sees is newLength - window + 1; a ring has overwritten
        // it once a position R later was written
        boolean lost = false;
        for (int layer = 0; layer < ring.length; layer++) {
            int window = ring[layer] - RING_CHUNK + 1;
            lost |= ring[layer] > 0 && length - 1 >= newLength - window + 1 + ring[layer];
        }
        length = newLength;
        keptByFullLayers = Math.min(keptByFullLayers, newLength);
        if (lost) {
            replayFrom = Math.min(replayFrom, Math.max(0, newLength - replayDepth));
            keptByFullLayers = newLength;
        }
        if (replayFrom >= length) {
            replayFrom = Integer.MAX_VALUE;
        }
    }

    /**
     * Records the tokens of positions {@code length() ..}, which a forward pass is about to
     * compute, so that a sliding window can be recomputed after {@link #truncate}.
     */
    public void record(int[] next) {
        requireRoom(next.length);
        if (tokens != null) {
            System.arraycopy(next, 0, tokens, length, next.length);
        }
    }

    /**
     * The tokens of the positions that truncation left without their sliding windows, oldest
     * first, with the cache cut back to the first of them; none when there are none. The caller
     * runs them again before its own tokens.
     */
    public int[] takeReplay() {
        if (replayFrom >= length) {
            return NO_TOKENS;
        }
        int[] replay = Arrays.copyOfRange(tokens, replayFrom, length);
        length = replayFrom;
        replayFrom = Integer.MAX_VALUE;
        return replay;
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
        if (ring[layer] == 0 && position < keptByFullLayers) {
            return; // recomputed for a ring: this layer's entry is exact already
        }
        FloatBuffer kd = keyData[layer];
        FloatBuffer vd = valueData[layer];
        int row = row(layer, position);
        for (int h = 0; h < kvHeads; h++) {
            int at = (h * rows[layer] + row) * headDim;
            kd.put(at, k, kOffset + h * headDim, headDim);
            vd.put(at, v, vOffset + h * headDim, headDim);
            if (ring[layer] > 0) { // and its mirror
                kd.put(at + ring[layer] * headDim, k, kOffset + h * headDim, headDim);
                vd.put(at + ring[layer] * headDim, v, vOffset + h * headDim, headDim);
            }
        }
    }

    /** The row of {@code position} in {@code layer}: itself, or its place in the ring. */
    private int row(int layer, int position) {
        return ring[layer] == 0 ? position : position % ring[layer];
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
        if (ring[layer] > 0 && seen > ring[layer]) {
            throw new IllegalArgumentException("a ring of " + ring[layer] + " positions cannot attend over " + seen);
        }
        int firstRow = row(layer, from);
        int layerRows = rows[layer];
        RowWorkers.RowTask task = (scratch, first, last) -> {
            float[] scores = scratch.scores(group * seen);
            for (int h = first; h < last; ) {
                int kv = h / group;
                int end = Math.min(last, (kv + 1) * group); // the heads of this share that read KV head kv
                int base = (kv * layerRows + firstRow) * headDim;
                VectorKernel.attend(q, qOffset + h * headDim, end - h, k, v, base, headDim, seen, scores,
                        out, h * headDim, scoreSoftCap);
                h = end;
            }
        };
        if ((long) heads * seen * headDim < MIN_PARALLEL_WORK) {
            javaCompute().onCaller(heads, task);
        } else {
            javaCompute().forRows(heads, 1, task);
        }
    }

    /**
     * Writes a prompt's keys and values into a layer with a sliding window and computes their
     * attention: token t, at position {@code p = length() + t}, sees positions
     * {@code max(0, p - window + 1) .. p}. A ring takes the tokens {@link #RING_CHUNK} at a time,
     * written and then attended, a full layer all at once. Each token is one
     * {@link VectorKernel#attend} per KV head over at most {@code window} positions, the tokens
     * split over the compute threads.
     *
     * @param qkv each token's scaled, rotated queries, then keys, then values: token t's from
     *     {@code t * stride}, its key from {@code heads * headDim} on and its value after the key
     */
    public void writeAndAttendInWindow(int layer, int tokens, int window, float[] qkv, int stride, int heads,
            int group, float[] out) {
        requireRoom(tokens);
        MemorySegment k = keyBytes[layer];
        MemorySegment v = valueBytes[layer];
        int start = length;
        int kvHeads = heads / group;
        int layerRows = rows[layer];
        int chunk = ring[layer] > 0 ? RING_CHUNK : tokens;
        for (int chunkStart = 0; chunkStart < tokens; chunkStart += chunk) {
            int chunkEnd = Math.min(tokens, chunkStart + chunk);
            for (int t = chunkStart; t < chunkEnd; t++) {
                writeAt(layer, start + t, qkv, t * stride + heads * headDim, qkv, t * stride + (heads + kvHeads) * headDim);
            }
            int from = chunkStart;
            javaCompute().forRows(chunkEnd - chunkStart, 1, (scratch, first, last) -> {
                float[] scores = scratch.scores(group * window);
                for (int t = from + first; t < from + last; t++) {
                    int position = start + t;
                    int oldest = Math.max(0, position + 1 - window);
                    int firstRow = row(layer, oldest);
                    for (int kv = 0; kv < kvHeads; kv++) {
                        int head = kv * group;
                        VectorKernel.attend(qkv, t * stride + head * headDim, group, k, v,
                                (kv * layerRows + firstRow) * headDim, headDim, position + 1 - oldest, scores, out,
                                (t * heads + head) * headDim, scoreSoftCap);
                    }
                }
            });
        }
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
        if (ring[layer] > 0 && seen > ring[layer]) {
            throw new IllegalArgumentException("a ring of " + ring[layer] + " positions cannot hold " + seen);
        }
        int layerRows = rows[layer];
        int kvHeads = heads / group;
        int perBlock = Math.max(1, VectorKernel.TOKEN_PANEL / group);
        int blocks = (tokens + perBlock - 1) / perBlock;
        javaCompute().forRows(blocks, 1, (threadScratch, from, to) -> {
            VectorKernel.AttentionScratch scratch = threadScratch.attention(perBlock, group, seen, headDim);
            float[] valueRows = threadScratch.valueRows(seen * headDim + VectorKernel.TOKEN_PANEL);
            for (int kv = 0; kv < kvHeads; kv++) {
                v.get(kv * layerRows * headDim, valueRows, 0, seen * headDim);
                int head = kv * group;
                for (int i = from; i < to; i++) {
                    int block = i % 2 == 0 ? i / 2 : blocks - 1 - i / 2;
                    int first = block * perBlock;
                    int count = Math.min(perBlock, tokens - first);
                    VectorKernel.attendTokens(q, first * qStride + head * headDim, qStride, count, group, k,
                            kv * layerRows, valueRows, headDim, start + first + count, scratch, out,
                            (first * heads + head) * headDim, heads * headDim, scoreSoftCap);
                }
            }
        });
    }

    private Compute javaCompute() {
        if (compute == null) {
            throw new IllegalStateException("a cache for a model on PyTorch attends on tensors");
        }
        return compute;
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
        if (manager != null) {
            manager.close(); // the tensors first: they point into the arena
        }
        arena.close();
    }
}
