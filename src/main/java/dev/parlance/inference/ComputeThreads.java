package dev.parlance.inference;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;
import dev.parlance.inference.model.MatVec;

/**
 * How many threads the engine computes with. {@link #set} is the user's choice; every matrix
 * product and attention runs on that many threads: {@link MatVec}'s row workers on the vector
 * kernel, PyTorch's intra-op threads on the tensor path.
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
        MatVec.useThreads(threads);
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
