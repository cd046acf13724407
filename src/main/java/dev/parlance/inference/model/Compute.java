package dev.parlance.inference.model;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * The threads and scratch memory one model computes with. Its products, attention and
 * activations split their rows over {@link #threads()} threads (the calling thread and helpers
 * of its own, {@link RowWorkers}), and each thread keeps its scratch arrays from one call to the
 * next. A model owns one and closes it with itself, so two models loaded side by side share
 * neither threads nor scratch, and one model's thread count is its own.
 */
public final class Compute implements AutoCloseable {
    /** The threads and their scratch; replaced when the thread count changes. */
    private RowWorkers workers; // guarded by this
    /** The calling thread's tokens laid out for {@link VectorKernel#matMul}, kept for its next prompt. */
    private float[] packedTokens = new float[0];

    /** Computes on {@code threads} threads, the caller's included. */
    public Compute(int threads) {
        workers = new RowWorkers(requirePositive(threads));
    }

    /** One thread per core, as PyTorch's own default. */
    public static int defaultThreads() {
        return Runtime.getRuntime().availableProcessors();
    }

    /** Uses {@code threads} threads (the caller's included) from the next product on. */
    public synchronized void useThreads(int threads) {
        if (requirePositive(threads) != workers.threads()) {
            workers.stop();
            workers = new RowWorkers(threads);
        }
    }

    public synchronized int threads() {
        return workers.threads();
    }

    /**
     * Runs {@code task} over rows {@code 0 .. rows - 1}, split into contiguous shares whose
     * boundaries are multiples of {@code align}, and returns once every share is done.
     */
    void forRows(int rows, int align, RowWorkers.RowTask task) {
        RowWorkers current;
        synchronized (this) {
            current = workers;
        }
        current.run(rows, align, task);
    }

    /** Runs {@code task} over rows {@code 0 .. rows - 1} on the calling thread alone. */
    void onCaller(int rows, RowWorkers.RowTask task) {
        RowWorkers current;
        synchronized (this) {
            current = workers;
        }
        current.runOnCaller(rows, task);
    }

    /** The calling thread's room for {@code size} packed token values; one prompt product at a time. */
    float[] packedTokens(int size) {
        if (packedTokens.length < size) {
            packedTokens = new float[size];
        }
        return packedTokens;
    }

    /** Stops the helper threads. */
    @Override
    public synchronized void close() {
        workers.stop();
    }

    private static int requirePositive(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be at least 1, was " + threads);
        }
        return threads;
    }

    /**
     * One compute thread's scratch, reused from one task to the next; only that thread touches it.
     */
    static final class Scratch {
        private float[] scores = new float[1024];
        private float[] valueRows = new float[0];
        private float[] dequantizedRows = new float[0];
        private MemorySegment nativeRows = MemorySegment.NULL;
        private final VectorKernel.AttentionScratch attention = new VectorKernel.AttentionScratch();

        /** Room for the scores of the query heads of one KV head. */
        float[] scores(int length) {
            if (scores.length < length) {
                scores = new float[Math.max(length, 2 * scores.length)];
            }
            return scores;
        }

        /** Room for a copy of one KV head's values, which the prompt attention reads as an array. */
        float[] valueRows(int length) {
            if (valueRows.length < length) {
                valueRows = new float[Math.max(length, 2 * valueRows.length)];
            }
            return valueRows;
        }

        /** Room for the attention of a prompt's tokens. */
        VectorKernel.AttentionScratch attention(int tokens, int group, int seen, int headDim) {
            return attention.fit(tokens, group, seen, headDim);
        }

        /** Room for rows of a compressed matrix, dequantized for a prompt's product. */
        float[] dequantizedRows(int length) {
            if (dequantizedRows.length < length) {
                dequantizedRows = new float[length];
            }
            return dequantizedRows;
        }

        /** The same rows in native memory, which the product kernel reads faster than an array's. */
        MemorySegment nativeRows(long bytes) {
            if (nativeRows.byteSize() < bytes) {
                nativeRows = Arena.ofAuto().allocate(bytes, 64);
            }
            return nativeRows;
        }
    }
}
