package dev.parlance.inference.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;

/**
 * Matrix-vector products split by rows over several threads. PyTorch hands a one-row product to
 * MKL, whose fp32 GEMV runs on one core whatever the thread setting, so decoding would otherwise
 * use one core's share of memory bandwidth. A decode step makes a few hundred such products of a
 * fraction of a millisecond each, so the helpers spin briefly for the next block instead of
 * sleeping (waking a parked thread costs tens of microseconds on a virtual machine), and park once
 * the step is over. The caller parks while it waits: spinning there would take execution
 * resources from a helper sharing its core.
 */
public final class RowParallel implements AutoCloseable {
    /** Matrices smaller than this are not worth a hand-off (measured on 2 cores). */
    static final long MIN_SPLIT_BYTES = 1L << 20;

    /** How long an idle helper spins before it parks. */
    private static final long SPIN_NANOS = 50_000;

    private final int parts;
    private final long minSplitBytes;
    private final Helper[] helpers;

    /** Splits into {@code parts} row blocks; 1 means every product runs on the calling thread. */
    public RowParallel(int parts) {
        this(parts, MIN_SPLIT_BYTES);
    }

    RowParallel(int parts, long minSplitBytes) {
        this.parts = Math.max(1, parts);
        this.minSplitBytes = minSplitBytes;
        this.helpers = new Helper[this.parts - 1];
        for (int i = 0; i < helpers.length; i++) {
            helpers[i] = new Helper();
            Thread thread = new Thread(helpers[i], "decode-helper-" + (i + 1));
            thread.setDaemon(true);
            helpers[i].thread = thread;
            thread.start();
        }
    }

    /** How many threads the products are spread over. */
    public int parts() {
        return parts;
    }

    /** A matrix {@code [out, in]} prepared for {@link #linear}: row blocks that are views, not copies. */
    public record Split(NDArray[] weights, NDArray[] biases) {}

    /** Row blocks of {@code weight} (and {@code bias}, which may be null) when it is big enough to split. */
    public Split split(NDArray weight, NDArray bias) {
        long rows = weight.getShape().get(0);
        long bytes = weight.getShape().size() * Float.BYTES;
        int n = bytes >= minSplitBytes && rows >= parts ? parts : 1;
        NDArray[] weights = new NDArray[n];
        NDArray[] biases = new NDArray[n];
        for (int i = 0; i < n; i++) {
            long from = rows * i / n;
            long to = rows * (i + 1) / n;
            weights[i] = n == 1 ? weight : weight.get(new NDIndex().addSliceDim(from, to));
            biases[i] = bias == null ? null : n == 1 ? bias : bias.get(new NDIndex().addSliceDim(from, to));
        }
        return new Split(weights, biases);
    }

    /** {@code x [1, in] · Wᵀ + b} as {@code [1, out]}, the row blocks computed side by side. */
    public NDArray linear(NDArray x, Split matrix) {
        int n = matrix.weights().length;
        if (n == 1) {
            return Ops.linear(x, matrix.weights()[0], matrix.biases()[0]);
        }
        for (int i = 1; i < n; i++) {
            int block = i;
            helpers[i - 1].start(() -> Ops.linear(x, matrix.weights()[block], matrix.biases()[block]));
        }
        NDList blocks = new NDList(n);
        blocks.add(Ops.linear(x, matrix.weights()[0], matrix.biases()[0]));
        try {
            for (int i = 1; i < n; i++) {
                blocks.add(helpers[i - 1].await());
            }
            return NDArrays.concat(blocks, 1);
        } finally {
            // blocks made on helper threads belong to no scope of the caller's
            for (int i = 1; i < blocks.size(); i++) {
                blocks.get(i).close();
            }
        }
    }

    @Override
    public void close() {
        for (Helper helper : helpers) {
            helper.stop();
        }
    }

    /** One helper thread with a one-task mailbox. */
    private static final class Helper implements Runnable {
        private volatile Supplier<NDArray> task;
        private volatile NDArray result;
        private volatile RuntimeException failure;
        private volatile boolean done;
        private volatile boolean running = true;
        private volatile Thread caller;
        Thread thread;

        void start(Supplier<NDArray> work) {
            done = false;
            result = null;
            failure = null;
            caller = Thread.currentThread();
            task = work;
            LockSupport.unpark(thread);
        }

        NDArray await() {
            while (!done) {
                LockSupport.parkNanos(this, 50_000);
            }
            if (failure != null) {
                throw failure;
            }
            return result;
        }

        void stop() {
            running = false;
            LockSupport.unpark(thread);
        }

        @Override
        public void run() {
            long idleSince = System.nanoTime();
            while (running) {
                Supplier<NDArray> work = task;
                if (work == null) {
                    if (System.nanoTime() - idleSince < SPIN_NANOS) {
                        Thread.onSpinWait();
                    } else {
                        LockSupport.park(this);
                        idleSince = System.nanoTime();
                    }
                    continue;
                }
                task = null;
                try {
                    result = work.get();
                } catch (RuntimeException e) {
                    failure = e;
                }
                done = true;
                LockSupport.unpark(caller);
                idleSince = System.nanoTime();
            }
        }
    }
}
