package dev.parlance.ui;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class FxTextBufferTest {
    private final List<Runnable> queued = new ArrayList<>();
    private final List<String> received = new ArrayList<>();

    @Test
    void manyAppendsBeforeAFlushQueueOneUpdate() {
        var buffer = new FxTextBuffer(queued::add, received::add, Duration.ZERO);
        for (int i = 0; i < 1000; i++) {
            buffer.append("x");
        }
        assertThat(queued).hasSize(1);
        queued.get(0).run();
        assertThat(received).containsExactly("x".repeat(1000));
    }

    @Test
    void anAppendAfterAFlushQueuesTheNextUpdate() {
        var buffer = new FxTextBuffer(queued::add, received::add, Duration.ZERO);
        buffer.append("a");
        queued.get(0).run();
        buffer.append("b");
        buffer.append("c");
        assertThat(queued).hasSize(2);
        queued.get(1).run();
        assertThat(received).containsExactly("a", "bc");
    }

    @Test
    void aFlushWithNothingPendingSendsNothing() {
        var buffer = new FxTextBuffer(queued::add, received::add, Duration.ZERO);
        buffer.append("a");
        buffer.flush();
        queued.get(0).run();
        assertThat(received).containsExactly("a");
    }

    @Test
    void updatesComeNoFasterThanTheMinimumInterval() throws InterruptedException {
        List<Long> flushTimes = new CopyOnWriteArrayList<>();
        var done = new CountDownLatch(1);
        var text = new StringBuilder();
        var buffer = new FxTextBuffer(Runnable::run, delta -> {
            flushTimes.add(System.nanoTime());
            synchronized (text) {
                text.append(delta);
                if (text.length() == 200) {
                    done.countDown();
                }
            }
        }, Duration.ofMillis(20));
        long start = System.nanoTime();
        for (int i = 0; i < 200; i++) {
            buffer.append("t");
            Thread.sleep(1);
        }
        assertThat(done.await(2, TimeUnit.SECONDS)).isTrue();
        long elapsedMillis = (flushTimes.get(flushTimes.size() - 1) - start) / 1_000_000;
        // one flush at once, then at most one per 20 ms
        assertThat(flushTimes.size()).isLessThanOrEqualTo(1 + (int) (elapsedMillis / 20) + 1);
        assertThat(flushTimes.size()).isGreaterThan(1);
    }
}
