package dev.parlance.ui.models;

import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * A stand-in for the FX thread: tasks queue up and run on the test's thread when it drains them,
 * so the test sees exactly what the view model does on its UI thread, without a toolkit.
 */
final class FxQueue implements Executor {
    private static final long SLICE_NANOS = TimeUnit.MILLISECONDS.toNanos(10);

    private final BlockingQueue<Runnable> tasks = new LinkedBlockingQueue<>();

    @Override
    public void execute(Runnable task) {
        tasks.add(task);
    }

    /** Runs queued tasks (waiting for more) until the condition holds; fails after the timeout. */
    void runUntil(BooleanSupplier condition, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            Runnable task;
            while ((task = tasks.poll()) != null) {
                task.run();
            }
            if (condition.getAsBoolean()) {
                return;
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new AssertionError("the condition did not hold within " + timeout);
            }
            task = tasks.poll(Math.min(left, SLICE_NANOS), TimeUnit.NANOSECONDS);   // conditions on disk change without a task
            if (task != null) {
                task.run();
            }
        }
    }

    /** Waits, running nothing, until the condition holds; fails after the timeout. */
    void waitWithoutRunning(BooleanSupplier condition, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("the condition did not hold within " + timeout);
            }
            TimeUnit.NANOSECONDS.sleep(SLICE_NANOS);
        }
    }

    /** How many tasks wait to run. */
    int queued() {
        return tasks.size();
    }

    /** Runs the tasks queued so far. */
    void drain() {
        Runnable task;
        while ((task = tasks.poll()) != null) {
            task.run();
        }
    }
}
