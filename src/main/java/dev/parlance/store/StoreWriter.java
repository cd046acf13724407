package dev.parlance.store;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * The one thread that writes. Callers queue writes and return at once with a future that
 * completes when the write is committed; the thread takes whatever has queued up and commits it
 * as one transaction, so a burst of small writes costs one disk sync.
 *
 * <p>Streamed text is one superseding write per key ({@link #stream}): a newer text replaces the
 * queued one in place, and all of them share one future. The thread commits it at most every
 * {@link #STREAM_INTERVAL_MILLIS}, so a model emitting fifty tokens a second does not cause fifty
 * syncs and a crash loses under a second of text, or at once when a read or a barrier asks for
 * what is queued; nothing but this queue holds the text.
 *
 * <p>When a write fails for a reason that may pass (disk full, folder not writable), the writes are
 * kept in order and retried every {@link #RETRY_MILLIS}; nothing queued is dropped, but their
 * futures fail with the problem, so that nobody waits for a disk to be emptied.
 */
final class StoreWriter implements AutoCloseable {

    /** One change to the database, run inside the writer's transaction. */
    @FunctionalInterface
    interface Write {
        void apply(Connection connection) throws SQLException;
    }

    static final long STREAM_INTERVAL_MILLIS = 500;
    private static final long RETRY_MILLIS = 2000;

    /** A write and the future its commit completes. */
    private record Queued(Write write, CompletableFuture<Void> done) {}

    /**
     * Completed once everything queued before it, the streamed text included, has been tried; a
     * durable one only once it is committed.
     */
    private record Barrier(CompletableFuture<Void> done, boolean durable) {}

    /** The queued streamed write of one key; guarded by {@link #streaming}. */
    private static final class Streamed {
        private final CompletableFuture<Void> done = new CompletableFuture<>();
        private Write write;
    }

    private static final Object STOP = new Object();

    private final Connection connection;
    private final Path file;
    private final Consumer<StoreException> errors;
    private final LongSupplier nanoTime;
    private final LinkedBlockingQueue<Object> queue = new LinkedBlockingQueue<>();
    private final Thread thread;

    /**
     * The streamed part of the queue, one write per key. Its lock also makes a write that
     * supersedes a key's streamed write ({@link #submit(String, Write)}) and the thread's taking of
     * a batch atomic, so that a streamed write is never committed after the one that replaced it.
     */
    private final Map<String, Streamed> streaming = new LinkedHashMap<>();

    // writer thread only
    private final List<Queued> held = new ArrayList<>();
    private long lastStreamWrite;
    private long lastFailure;

    private volatile StoreException lastError;
    private volatile boolean finished;

    /**
     * @param connection the writer's own; nothing else writes through it
     * @param errors told of every failed write, on the writer thread
     * @param nanoTime the clock of the streaming timer and the retries ({@code System::nanoTime};
     *     tests pass one they move by hand)
     */
    StoreWriter(Connection connection, Path file, Consumer<StoreException> errors, LongSupplier nanoTime) {
        this.connection = connection;
        this.file = file;
        this.errors = errors;
        this.nanoTime = nanoTime;
        // the timer starts now, not whenever the thread gets to run
        this.lastStreamWrite = nanoTime.getAsLong();
        this.thread = new Thread(this::run, "store-writer");
        thread.setDaemon(true);
        thread.start();
    }

    /**
     * Queues a write.
     *
     * @return completes once it is committed, or fails with the problem that holds it back (it
     *     stays queued and is retried) or that made it impossible (it is dropped)
     */
    CompletableFuture<Void> submit(Write write) {
        Queued queued = new Queued(write, new CompletableFuture<>());
        enqueue(queued);
        return queued.done();
    }

    /**
     * Queues a write that makes the streamed write of {@code key} pointless (the final text, a
     * delete): that one is dropped, and its future completes with this one's.
     */
    CompletableFuture<Void> submit(String key, Write write) {
        Queued queued = new Queued(write, new CompletableFuture<>());
        Streamed dropped;
        synchronized (streaming) {
            dropped = streaming.remove(key);
            enqueue(queued);
        }
        if (dropped != null) {
            queued.done().whenComplete((ok, problem) -> settle(dropped.done, problem));
        }
        return queued.done();
    }

    /**
     * Queues streamed text: replaces the key's queued streamed write if there is one.
     *
     * @return completes once this text, or a later one of the key, is committed
     */
    CompletableFuture<Void> stream(String key, Write write) {
        synchronized (streaming) {
            Streamed streamed = streaming.computeIfAbsent(key, k -> new Streamed());
            streamed.write = write;
            if (finished) {
                streaming.remove(key);
                streamed.done.completeExceptionally(closed());
            }
            return streamed.done;
        }
    }

    /**
     * Waits until every write queued so far, the streamed text included, has been tried: reads
     * then see them. It does not fail when writes are held back; reads show what is on disk.
     */
    void awaitQueued() {
        await(new Barrier(new CompletableFuture<>(), false));
    }

    /**
     * The durability barrier: a future that completes once everything queued before it, streamed
     * text included, is committed, or fails with the {@link StoreException} that holds some of it
     * back (the writes stay queued and are retried). Does not wait.
     */
    CompletableFuture<Void> committed() {
        Barrier barrier = new Barrier(new CompletableFuture<>(), true);
        enqueue(barrier);
        return barrier.done();
    }

    /**
     * Writes everything, streamed text included, and waits.
     *
     * @throws StoreException if some writes are still held back by a lasting problem
     */
    void flush() {
        await(new Barrier(new CompletableFuture<>(), true));
    }

    /** The problem that holds writes back, or null when everything is saved. */
    StoreException pendingError() {
        return lastError;
    }

    private static StoreException closed() {
        return new StoreException(StoreException.Reason.OTHER, "The conversation store is closed.");
    }

    private static void settle(CompletableFuture<Void> future, Throwable problem) {
        if (problem == null) {
            future.complete(null);
        } else {
            future.completeExceptionally(problem);
        }
    }

    private void enqueue(Object item) {
        queue.add(item);
        if (finished) {
            // the thread has ended: whoever queues after its last look settles what is left
            failLate();
        }
    }

    private void await(Barrier barrier) {
        enqueue(barrier);
        try {
            barrier.done().get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StoreException(StoreException.Reason.OTHER,
                    "Stopped waiting for conversations to be saved.", e);
        } catch (ExecutionException e) {
            throw (StoreException) e.getCause();
        }
    }

    /** Writes what is queued, stops the thread, and reports writes that could not be saved. */
    @Override
    public void close() {
        if (!thread.isAlive()) {
            return;
        }
        Barrier last = new Barrier(new CompletableFuture<>(), true);
        queue.add(last);
        queue.add(STOP);
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            last.done().get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException e) {
            throw (StoreException) e.getCause();
        }
    }

    private void run() {
        long interval = TimeUnit.MILLISECONDS.toNanos(STREAM_INTERVAL_MILLIS);
        boolean stopping = false;
        while (!stopping) {
            List<Object> items = new ArrayList<>();
            try {
                Object first = queue.poll(STREAM_INTERVAL_MILLIS / 4, TimeUnit.MILLISECONDS);
                if (first != null) {
                    items.add(first);
                }
            } catch (InterruptedException e) {
                stopping = true;
            }
            long now = nanoTime.getAsLong();
            boolean streamDue = now - lastStreamWrite >= interval;
            List<Queued> streamed;
            synchronized (streaming) {
                queue.drainTo(items);
                boolean asked = items.stream().anyMatch(item -> item instanceof Barrier);
                streamed = streamDue || asked ? takeStreaming() : List.of();
            }
            if (streamDue || !streamed.isEmpty()) {
                lastStreamWrite = now;
            }
            List<Barrier> barriers = new ArrayList<>();
            boolean durable = false;
            for (Object item : items) {
                if (item == STOP) {
                    stopping = true;
                } else if (item instanceof Barrier barrier) {
                    barriers.add(barrier);
                    durable |= barrier.durable();
                } else {
                    held.add((Queued) item);
                }
            }
            // streamed text after the queued writes: the append that made a streamed message is
            // queued before its first text, and a write that replaced the text dropped it
            held.addAll(streamed);
            boolean retryDue = durable || now - lastFailure >= TimeUnit.MILLISECONDS.toNanos(RETRY_MILLIS);
            if (!held.isEmpty() && (lastError == null || retryDue)) {
                writeHeld(now);
            } else if (!held.isEmpty()) {
                // behind a lasting problem until the next retry: nobody should wait for that
                held.forEach(queued -> queued.done().completeExceptionally(lastError));
            }
            for (Barrier barrier : barriers) {
                if (barrier.durable() && !held.isEmpty()) {
                    barrier.done().completeExceptionally(lastError);
                } else {
                    barrier.done().complete(null);
                }
            }
        }
        try {
            connection.close();
        } catch (SQLException e) {
            errors.accept(StoreException.from(e, "close the conversation database", file));
        }
        finished = true;
        failLate();
    }

    /** After the thread has ended: fails whatever was queued too late, so that nobody waits forever. */
    private void failLate() {
        List<Object> late = new ArrayList<>();
        List<Queued> streamed;
        synchronized (streaming) {
            queue.drainTo(late);
            streamed = takeStreaming();
        }
        late.addAll(streamed);
        late.addAll(held);
        for (Object item : late) {
            if (item instanceof Barrier barrier) {
                barrier.done().completeExceptionally(closed());
            } else if (item instanceof Queued queued) {
                queued.done().completeExceptionally(lastError != null ? lastError : closed());
            }
        }
    }

    /** Must hold {@link #streaming}. */
    private List<Queued> takeStreaming() {
        List<Queued> writes = new ArrayList<>();
        for (Streamed streamed : streaming.values()) {
            writes.add(new Queued(streamed.write, streamed.done));
        }
        streaming.clear();
        return writes;
    }

    /** Commits the held writes as one transaction; on failure, sorts out which to keep. */
    private void writeHeld(long now) {
        try {
            connection.setAutoCommit(false);
            for (Queued queued : held) {
                queued.write().apply(connection);
            }
            connection.commit();
            lastError = null;
            List<Queued> done = new ArrayList<>(held);
            held.clear();
            done.forEach(queued -> queued.done().complete(null));
        } catch (SQLException | RuntimeException e) {
            rollback();
            StoreException problem = problem(e);
            if (problem.isTemporary()) {
                hold(problem, now);
            } else {
                writeOneByOne(now);
            }
        } finally {
            autoCommit();
        }
    }

    /**
     * One write in the batch is at fault (a bug, not the disk). Writing each alone keeps the
     * others; the faulty one is reported and dropped, since retrying it can never succeed.
     */
    private void writeOneByOne(long now) {
        List<Queued> writes = new ArrayList<>(held);
        held.clear();
        for (int i = 0; i < writes.size(); i++) {
            Queued queued = writes.get(i);
            try {
                connection.setAutoCommit(false);
                queued.write().apply(connection);
                connection.commit();
                queued.done().complete(null);
            } catch (SQLException | RuntimeException e) {
                rollback();
                StoreException problem = problem(e);
                if (problem.isTemporary()) {
                    held.addAll(writes.subList(i, writes.size()));
                    hold(problem, now);
                    return;
                }
                errors.accept(problem);
                queued.done().completeExceptionally(problem);
            } finally {
                autoCommit();
            }
        }
        lastError = null;
    }

    private void hold(StoreException problem, long now) {
        lastFailure = now;
        boolean news = lastError == null || lastError.reason() != problem.reason();
        lastError = problem;
        for (Queued queued : held) {
            queued.done().completeExceptionally(problem);
        }
        if (news) {
            errors.accept(problem);
        }
    }

    private StoreException problem(Exception e) {
        if (e instanceof SQLException sql) {
            return StoreException.from(sql, "save your conversations", file);
        }
        if (e instanceof StoreException store) {
            return store;
        }
        return new StoreException(StoreException.Reason.OTHER, "Could not save a change: " + e, e);
    }

    private void autoCommit() {
        try {
            connection.setAutoCommit(true);
        } catch (SQLException e) {
            // only fails on a closed connection, which the next write reports
        }
    }

    private void rollback() {
        try {
            connection.rollback();
        } catch (SQLException e) {
            // the transaction is gone either way; the original failure is the one worth reporting
        }
    }
}
