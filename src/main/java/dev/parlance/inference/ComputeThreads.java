package dev.parlance.inference;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;
import dev.parlance.inference.model.MatVec;

/**
 * How many threads the engine computes with. {@link #set} is the user's choice; every matrix
 * product and attention runs on that many threads: {@link MatVec}'s row workers on the vector
 * kernel, PyTorch's intra-op threads on the tensor path. PyTorch is told only once a model that
 * computes with it loads ({@link #applyToPyTorch}): a model on the Vector API never loads libtorch.
 */
public final class ComputeThreads {
    private static volatile int chosen = Runtime.getRuntime().availableProcessors();
    private static volatile boolean pyTorchLoaded;

    private ComputeThreads() {}

    /** Sets the thread count for the products from now on. */
    public static synchronized void set(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be at least 1, was " + threads);
        }
        MatVec.useThreads(threads);
        chosen = threads;
        if (pyTorchLoaded) {
            JniUtils.setNumThreads(threads);
        }
    }

    /** The chosen thread count: one per core until set. */
    public static int get() {
        return chosen;
    }

    /** Loads PyTorch's engine, if it is not yet, and gives it the chosen thread count. */
    public static synchronized void applyToPyTorch() {
        Engine.getEngine("PyTorch");
        JniUtils.setNumThreads(chosen);
        pyTorchLoaded = true;
    }
}
