package dev.parlance.inference.model;

import java.util.concurrent.locks.LockSupport;

/**
 * Splits the rows of a one-token matrix product over the compute threads: the calling thread
 * takes the first share, and helper threads the others. A decode step makes over a hundred
 * products of 50–500 µs each, with Java work between them, so a helper that finished one spins
 * for the next instead of sleeping (waking a parked thread costs tens of microseconds); it
 * parks after {@link #SPIN_NANOS} without work, so an idle app uses no CPU. A {@link Compute}
 * owns one set.
 */
final class RowWorkers {
    /** How long a helper waits for the next product before it parks. */
    private static final long SPIN_NANOS = 2_000_000;

    /** Computes rows {@code from .. to - 1} of a product, with the scratch of the thread it runs on. */
    interface RowTask {
        void run(Compute.Scratch scratch, int from, int to);
    }

    private final Helper[] helpers;
    /** The calling thread's scratch; each helper has its own. */
    private final Compute.Scratch callerScratch = new Compute.Scratch();

    /** Starts {@code threads - 1} helpers: the calling thread is the first of the threads. */
    RowWorkers(int threads) {
        helpers = new Helper[threads - 1];
        for (int i = 0; i < helpers.length; i++) {
            helpers[i] = new Helper(i + 1);
            helpers[i].thread.start();
        }
    }

    int threads() {
        return helpers.length + 1;
    }

    /**
     * Runs {@code task} over rows {@code 0 .. rows - 1}, split into contiguous shares whose
     * boundaries are multiples of {@code align}, and returns once every share is done.
     */
    synchronized void run(int rows, int align, RowTask task) {
        int parts = helpers.length + 1;
        int share = (rows / parts + align - 1) / align * align;
        if (parts == 1 || share == 0 || share >= rows) {
            task.run(callerScratch, 0, rows);
            return;
        }
        for (int i = 0; i < helpers.length; i++) {
            int from = Math.min(rows, (i + 1) * share);
            int to = i == helpers.length - 1 ? rows : Math.min(rows, (i + 2) * share);
            helpers[i].submit(task, from, to);
        }
        Throwable failure = null;
        try {
            task.run(callerScratch, 0, share);
        } catch (RuntimeException | Error e) {
            failure = e;
        }
        for (Helper helper : helpers) {
            Throwable helperFailure = helper.awaitDone();
            if (failure == null) {
                failure = helperFailure;
            }
        }
        if (failure instanceof RuntimeException e) {
            throw e;
        }
        if (failure instanceof Error e) {
            throw e;
        }
    }

    /** Runs {@code task} over rows {@code 0 .. rows - 1} on the calling thread, with its scratch. */
    synchronized void runOnCaller(int rows, RowTask task) {
        task.run(callerScratch, 0, rows);
    }

    /** Ends the helper threads once they finish what they run. */
    synchronized void stop() {
        for (Helper helper : helpers) {
            helper.submit(null, 0, 0);
        }
    }

    /** One helper thread; {@code posted} and {@code finished} count the tasks handed to it and done. */
    private static final class Helper implements Runnable {
        final Thread thread;
        private volatile long posted;
        private volatile long finished;
        private volatile boolean parked;
        private RowTask task;
        private int from;
        private int to;
        private Throwable failure;
        private final Compute.Scratch scratch = new Compute.Scratch();

        Helper(int index) {
            thread = new Thread(this, "parlance-rows-" + index);
            thread.setDaemon(true);
        }

        /** A null task stops the thread. */
        void submit(RowTask next, int rowsFrom, int rowsTo) {
            task = next;
            from = rowsFrom;
            to = rowsTo;
            failure = null;
            posted = posted + 1; // publishes the fields above
            if (parked) {
                LockSupport.unpark(thread);
            }
        }

        Throwable awaitDone() {
            while (finished != posted) {
                Thread.onSpinWait();
            }
            return failure;
        }

        @Override
        public void run() {
            long seen = 0;
            while (true) {
                awaitPosted(seen);
                seen = posted;
                RowTask current = task;
                if (current == null) {
                    return;
                }
                try {
                    current.run(scratch, from, to);
                } catch (RuntimeException | Error e) {
                    failure = e;
                }
                finished = seen; // publishes failure
            }
        }

        private void awaitPosted(long seen) {
            long spinUntil = System.nanoTime() + SPIN_NANOS;
            while (posted == seen) {
                if (System.nanoTime() < spinUntil) {
                    Thread.onSpinWait();
                } else {
                    parked = true;
                    if (posted == seen) {
                        LockSupport.park(this);
                    }
                    parked = false;
                    spinUntil = System.nanoTime() + SPIN_NANOS;
                }
            }
        }
    }
}
