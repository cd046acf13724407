package dev.parlance.inference.model;

/** A model that computes on PyTorch's tensors, on the threads PyTorch shares among such models. */
public interface PyTorchLm extends CausalLm {
    @Override
    default MatVec.Kernel decodeKernel() {
        return MatVec.Kernel.TORCH;
    }

    /** Sets PyTorch's thread count, which every model on PyTorch shares. */
    @Override
    default void useThreads(int threads) {
        PyTorchThreads.set(threads);
    }

    @Override
    default int threads() {
        return PyTorchThreads.get();
    }
}
