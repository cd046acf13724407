package dev.parlance.inference.model;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;

/**
 * PyTorch's intra-op threads, on which the models that compute on tensors (GPT-2, and every model
 * when the Vector API is absent) run. PyTorch keeps one count for the whole process, so those
 * models share it; a model on the Vector API has threads of its own ({@link Compute}) and never
 * loads libtorch.
 */
public final class PyTorchThreads {
    private static int threads = Compute.defaultThreads(); // guarded by PyTorchThreads.class

    private PyTorchThreads() {}

    /** Loads PyTorch's engine, if it is not yet, and gives it the thread count last set. */
    public static synchronized void load() {
        Engine.getEngine("PyTorch");
        JniUtils.setNumThreads(threads);
    }

    /** Computes on {@code count} threads from the next operation on; {@link #load} first. */
    public static synchronized void set(int count) {
        if (count < 1) {
            throw new IllegalArgumentException("threads must be at least 1, was " + count);
        }
        JniUtils.setNumThreads(count);
        threads = count;
    }

    public static synchronized int get() {
        return threads;
    }
}
