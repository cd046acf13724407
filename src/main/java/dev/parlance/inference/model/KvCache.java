package dev.parlance.inference.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * Keys and values of every layer for the positions computed so far, allocated once for a
 * session. Layout per layer: {@code [kvHeads, capacity, headDim]}, so that the attention of one
 * head reads a contiguous block. Truncating it (for prompt-prefix reuse) only moves
 * {@link #length()}: stale entries beyond it are overwritten before they are read again.
 */
public final class KvCache implements AutoCloseable {
    private final NDManager manager;
    private final NDArray[] keys;
    private final NDArray[] values;
    private final int capacity;
    private int length;

    public KvCache(NDManager parent, int layers, int kvHeads, int capacity, int headDim) {
        this.manager = parent.newSubManager();
        this.capacity = capacity;
        this.keys = new NDArray[layers];
        this.values = new NDArray[layers];
        Shape shape = new Shape(kvHeads, capacity, headDim);
        for (int layer = 0; layer < layers; layer++) {
            // uninitialised: pages are only touched once positions are written
            keys[layer] = manager.create(shape, DataType.FLOAT32);
            values[layer] = manager.create(shape, DataType.FLOAT32);
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
        long tokens = k.getShape().get(1);
        if (length + tokens > capacity) {
            throw new IllegalStateException("KV cache full: " + capacity + " positions");
        }
        NDIndex slots = new NDIndex(":, {}:{}, :", length, length + tokens);
        keys[layer].set(slots, k);
        values[layer].set(slots, v);
    }

    /** Keys of one layer for positions {@code 0 .. upTo - 1}: {@code [kvHeads, upTo, headDim]}. */
    public NDArray keys(int layer, int upTo) {
        return keys[layer].get(new NDIndex(":, :{}, :", upTo));
    }

    public NDArray values(int layer, int upTo) {
        return values[layer].get(new NDIndex(":, :{}, :", upTo));
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
