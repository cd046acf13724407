package dev.parlance.inference;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;

/**
 * How many threads the engine computes with. {@link #set} is the user's choice; every matrix
 * product, of a prompt or of one decoded token, runs on that many of PyTorch's threads.
 */
public final class ComputeThreads {
    private static volatile int chosen;

    private ComputeThreads() {}

    /** Sets the thread count, loading the engine first if needed. */
    public static synchronized void set(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be at least 1, was " + threads);
        }
        Engine.getEngine("PyTorch");
        JniUtils.setNumThreads(threads);
        chosen = threads;
    }

    /** The chosen thread count (PyTorch's default, the number of cores, until set). */
    public static int get() {
        if (chosen == 0) {
            Engine.getEngine("PyTorch");
            chosen = JniUtils.getNumThreads();
        }
        return chosen;
    }
}
