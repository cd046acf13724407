package dev.parlance.inference;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;

/**
 * How many threads the engine computes with. {@link #set} is the user's choice; prompts run
 * PyTorch's own matrix products on that many threads, while one-token decoding switches PyTorch
 * to one thread and spreads its products itself ({@code RowParallel}): PyTorch's idle worker
 * threads spin between operations and would take the cores the decoder's helpers need.
 */
public final class ComputeThreads {
    private static volatile int chosen;
    private static int active;

    private ComputeThreads() {}

    /** Sets the thread count, loading the engine first if needed. */
    public static synchronized void set(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be at least 1, was " + threads);
        }
        Engine.getEngine("PyTorch");
        JniUtils.setNumThreads(threads);
        chosen = threads;
        active = threads;
    }

    /** The chosen thread count (PyTorch's default, the number of cores, until set). */
    public static int get() {
        if (chosen == 0) {
            Engine.getEngine("PyTorch");
            chosen = JniUtils.getNumThreads();
        }
        return chosen;
    }

    /** Lets PyTorch use {@code threads} threads from now on, without changing the choice. */
    public static synchronized void use(int threads) {
        if (active != threads) {
            JniUtils.setNumThreads(threads);
            active = threads;
        }
    }
}
