package dev.parlance.store;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The one thread that writes. Callers queue writes and return at once; the thread takes whatever
 * has queued up and commits it as one transaction, so a burst of small writes costs one disk sync.
 *
 * <p>Streaming text is handled apart: {@link #stream} keeps only the latest write per key, and the
 * thread commits those at most every {@link #STREAM_INTERVAL_MILLIS}, so a model emitting fifty
 * tokens a second does not cause fifty syncs, and a crash loses under a second of text.
 *
 * <p>When a write fails for a reason that may pass (disk full, folder not writable), the writes are
 * kept in order and retried every {@link #RETRY_MILLIS}; nothing queued is dropped.
 */
final class StoreWriter implements AutoCloseable {

    /** One change to the database, run inside the writer's transaction. */
    @FunctionalInterface
    interface Write {
        void apply(Connection connection) throws SQLException;
    }

    static final long STREAM_INTERVAL_MILLIS = 500;
    private static final long RETRY_MILLIS = 2000;

    /** Completed once every write queued before it has been tried. */
    private record Barrier(CompletableFuture<Void> done, boolean durable) {}

    private static final Object STOP = new Object();

    private final Connection connection;
    private final Path file;
    private final Consumer<StoreException> errors;
    private final LinkedBlockingQueue<Object> queue = new LinkedBlockingQueue<>();
    private final Thread thread;

    /** Latest streaming write per key; guarded by itself. */
    private final Map<String, Write> streaming = new LinkedHashMap<>();
    private final Queue<CompletableFuture<Void>> streamWaiters = new ConcurrentLinkedQueue<>();

    // writer thread only
    private final List<Write> held = new ArrayList<>();
    private long lastStreamWrite;
    private long lastFailure;

    private volatile StoreException lastError;

    /**
     * @param connection the writer's own; nothing else writes through it
     * @param errors told of every failed write, on the writer thread
     */
    StoreWriter(Connection connection, Path file, Consumer<StoreException> errors) {
        this.connection = connection;
        this.file = file;
        this.errors = errors;
        this.thread = new Thread(this::run, "store-writer");
        thread.setDaemon(true);
        thread.start();
    }

    void submit(Write write) {
        queue.add(write);
    }

    /** Replaces any not yet written streaming write with the same key. */
    void stream(String key, Write write) {
        synchronized (streaming) {
            streaming.put(key, write);
        }
    }

    /** Forgets a streaming write that a queued write makes pointless (the final text, a delete). */
    void dropStream(String key) {
        synchronized (streaming) {
            streaming.remove(key);
        }
    }

    /** Waits until every write queued so far has been tried (reads then see them). */
    void awaitQueued() {
        await(new Barrier(new CompletableFuture<>(), false));
    }

    /**
     * The durability barrier: a future that completes once everything queued before it, streaming
     * text included, is committed, or fails with the {@link StoreException} that holds some of it
     * back (the writes stay queued and are retried). Does not wait.
     */
    CompletableFuture<Void> committed() {
        Barrier barrier = new Barrier(new CompletableFuture<>(), true);
        if (!thread.isAlive()) {
            barrier.done().completeExceptionally(closed());
        } else {
            queue.add(barrier);
        }
        return barrier.done();
    }

    /**
     * A future that completes at the next tick of the streaming timer after which no streaming text
     * waits (the timer wrote it, not a flush), so a test can see the timer work without guessing
     * how long it takes.
     */
    CompletableFuture<Void> nextStreamWrite() {
        CompletableFuture<Void> next = new CompletableFuture<>();
        streamWaiters.add(next);
        return next;
    }

    /**
     * Writes everything, streaming text included, and waits.
     *
     * @throws StoreException if some writes are still held back by a lasting problem
     */
    void flush() {
        await(new Barrier(new CompletableFuture<>(), true));
    }

    private static StoreException closed() {
        return new StoreException(StoreException.Reason.OTHER, "The conversation store is closed.");
    }

    /** The problem that holds writes back, or null when everything is saved. */
    StoreException pendingError() {
        return lastError;
    }

    private void await(Barrier barrier) {
        if (!thread.isAlive()) {
            throw closed();
        }
        queue.add(barrier);
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
        lastStreamWrite = System.nanoTime();
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
            long now = System.nanoTime();
            boolean streamDue = now - lastStreamWrite >= TimeUnit.MILLISECONDS.toNanos(STREAM_INTERVAL_MILLIS);
            // taken before draining the queue, so the append that made a streamed message is in
            // this batch too; a streamed write older than a queued final one is a no-op (see
            // SqliteConversationStore.updateMessage)
            List<Write> streamed = streamDue ? takeStreaming() : new ArrayList<>();
            queue.drainTo(items);
            List<Write> writes = new ArrayList<>();
            List<Barrier> barriers = new ArrayList<>();
            boolean durable = false;
            for (Object item : items) {
                if (item == STOP) {
                    stopping = true;
                } else if (item instanceof Barrier) {
                    Barrier barrier = (Barrier) item;
                    barriers.add(barrier);
                    durable |= barrier.durable();
                } else {
                    writes.add((Write) item);
                }
            }
            if (durable) {
                streamed.addAll(takeStreaming());
            }
            if (streamDue || durable) {
                lastStreamWrite = now;
            }
            writes.addAll(streamed);
            held.addAll(writes);
            boolean retryDue = durable || now - lastFailure >= TimeUnit.MILLISECONDS.toNanos(RETRY_MILLIS);
            if (!held.isEmpty() && (lastError == null || retryDue)) {
                writeHeld();
            }
            if (streamDue && held.isEmpty() && noStreamingWaits()) {
                for (CompletableFuture<Void> waiter = streamWaiters.poll(); waiter != null;
                        waiter = streamWaiters.poll()) {
                    waiter.complete(null);
                }
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
        // a reader that queued a barrier while the store was closing must not wait forever
        List<Object> late = new ArrayList<>();
        queue.drainTo(late);
        for (Object item : late) {
            if (item instanceof Barrier) {
                ((Barrier) item).done().completeExceptionally(closed());
            }
        }
    }

    private boolean noStreamingWaits() {
        synchronized (streaming) {
            return streaming.isEmpty();
        }
    }

    private List<Write> takeStreaming() {
        synchronized (streaming) {
            List<Write> writes = new ArrayList<>(streaming.values());
            streaming.clear();
            return writes;
        }
    }

    /** Commits the held writes as one transaction; on failure, sorts out which to keep. */
    private void writeHeld() {
        try {
            connection.setAutoCommit(false);
            for (Write write : held) {
                write.apply(connection);
            }
            connection.commit();
            held.clear();
            lastError = null;
        } catch (SQLException | RuntimeException e) {
            rollback();
            StoreException problem = problem(e);
            if (problem.isTemporary()) {
                hold(problem);
            } else {
                writeOneByOne();
            }
        } finally {
            autoCommit();
        }
    }

    /**
     * One write in the batch is at fault (a bug, not the disk). Writing each alone keeps the
     * others; the faulty one is reported and dropped, since retrying it can never succeed.
     */
    private void writeOneByOne() {
        List<Write> writes = new ArrayList<>(held);
        held.clear();
        for (int i = 0; i < writes.size(); i++) {
            try {
                connection.setAutoCommit(false);
                writes.get(i).apply(connection);
                connection.commit();
            } catch (SQLException | RuntimeException e) {
                rollback();
                StoreException problem = problem(e);
                if (problem.isTemporary()) {
                    held.addAll(writes.subList(i, writes.size()));
                    hold(problem);
                    return;
                }
                errors.accept(problem);
            } finally {
                autoCommit();
            }
        }
        lastError = null;
    }

    private void hold(StoreException problem) {
        lastFailure = System.nanoTime();
        boolean news = lastError == null || lastError.reason() != problem.reason();
        lastError = problem;
        if (news) {
            errors.accept(problem);
        }
    }

    private StoreException problem(Exception e) {
        if (e instanceof SQLException) {
            return StoreException.from((SQLException) e, "save your conversations", file);
        }
        if (e instanceof StoreException) {
            return (StoreException) e;
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
