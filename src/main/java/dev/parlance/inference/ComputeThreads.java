package dev.parlance.inference;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;

/** How many threads PyTorch uses inside one operation (matrix products, mostly). */
public final class ComputeThreads {
    private ComputeThreads() {}

    /** Sets the intra-op thread count, loading the engine first if needed. */
    public static void set(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be at least 1, was " + threads);
        }
        Engine.getEngine("PyTorch");
        JniUtils.setNumThreads(threads);
    }

    public static int get() {
        Engine.getEngine("PyTorch");
        return JniUtils.getNumThreads();
    }
}
