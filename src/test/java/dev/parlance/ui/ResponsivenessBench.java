package dev.parlance.ui;

import dev.parlance.chat.Role;
import dev.parlance.store.ConversationRecord;
import dev.parlance.store.ConversationSettings;
import dev.parlance.store.InMemoryConversationStore;
import dev.parlance.ui.chat.ChatViewModel;
import dev.parlance.ui.models.ModelsViewModel;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import javafx.animation.AnimationTimer;
import javafx.application.Platform;
import javafx.scene.control.skin.VirtualFlow;
import javafx.stage.Stage;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.testfx.framework.junit5.ApplicationExtension;
import org.testfx.framework.junit5.Start;
import org.testfx.util.WaitForAsyncUtils;

/**
 * Not a timed test: measures how the FX thread fares while a scripted engine streams a long
 * Markdown answer at 250 tokens/s into the real window (Monocle, software rendering). Reports the
 * longest gap between two pulses, runLater calls per second (every call the window makes through
 * its {@code fxThread}), the time to open a conversation of 1,000 messages and the frame rate
 * while scrolling through it; writes them to {@code target/bench/ui-responsiveness.txt}. Run with
 * {@code mvn -o test -Dtest=ResponsivenessBench -Dtest.excluded.groups=none}; add
 * {@code -Dbench.tokenView=true} to stream the long answer below an answer shown token by token
 * (the warm-up's, in the same conversation) and to time switching the long answer to its tokens.
 */
@Tag("bench")
@ExtendWith(ApplicationExtension.class)
class ResponsivenessBench {
    static {
        Headless.configure();
    }

    private static final int TOKENS = 2500;
    private static final int TOKENS_PER_SECOND = 250;
    private static final boolean TOKEN_VIEW = Boolean.getBoolean("bench.tokenView");

    @TempDir Path dir;
    private final AtomicLong runLaterCalls = new AtomicLong();
    private final AtomicLong longestRunnableNanos = new AtomicLong();
    private final InMemoryConversationStore store = new InMemoryConversationStore();
    private FakeInferenceService inference;
    private MainWindow window;
    private Stage stage;

    @Start
    void start(Stage stage) throws IOException {
        this.stage = stage;
        Path model = dir.resolve("models/bench");
        Files.createDirectories(model);
        Files.writeString(model.resolve("config.json"), "{}");
        Files.writeString(model.resolve("tokenizer.json"), "{}");
        AppPreferences prefs = AppPreferences.load(dir.resolve("settings.properties"));
        prefs.setModelsDirectory(dir.resolve("models"));
        prefs.setLocale(Locale.ENGLISH);
        inference = new FakeInferenceService();
        Executor counting = r -> {
            runLaterCalls.incrementAndGet();
            Platform.runLater(() -> {
                long t0 = System.nanoTime();
                r.run();
                longestRunnableNanos.accumulateAndGet(System.nanoTime() - t0, Math::max);
            });
        };
        window = new MainWindow(inference, store, prefs, Theme.LIGHT, counting, Runnable::run, w -> dialogs());
        window.show(stage);
    }

    private static DialogService dialogs() {
        return new ScriptedDialogs();
    }

    /** A long answer with every kind of block, cut into 1-4 character tokens as a tokenizer would. */
    static List<String> markdownTokens(int count) {
        String[] pieces = {"## Section\n\n", "Some **bold** text, some *italic* and `code`. ",
            "More words in a long paragraph that wraps. ", "\n\n- item one\n- item two\n\n",
            "```java\nint x = 42;\nSystem.out.println(x);\n```\n\n", "| a | b |\n|---|---|\n| 1 | 2 |\n\n",
            "> a quote\n\n"};
        List<String> tokens = new ArrayList<>();
        int p = 0;
        while (tokens.size() < count) {
            String piece = pieces[p++ % pieces.length];
            for (int i = 0; i < piece.length() && tokens.size() < count; i += 3) {
                tokens.add(piece.substring(i, Math.min(piece.length(), i + 3)));
            }
        }
        return tokens;
    }

    @Test
    void streamingALongMarkdownAnswerKeepsTheFxThreadResponsive() throws Exception {
        var models = window.viewModel().models();
        Platform.runLater(() -> models.load(dir.resolve("models/bench")));
        WaitForAsyncUtils.waitFor(10, TimeUnit.SECONDS, () -> models.getStatus() == ModelsViewModel.Status.READY);
        ChatViewModel chat = window.viewModel().chat();
        // warm up class loading and the JIT with one short answer, then measure the steady state
        inference.streamScript(markdownTokens(300), TimeUnit.MILLISECONDS.toNanos(1));
        WaitForAsyncUtils.asyncFx(() -> {
            chat.draftProperty().set("Warm up");
            chat.send();
        }).get();
        WaitForAsyncUtils.waitFor(60, TimeUnit.SECONDS, () -> chat.getState() == ChatViewModel.State.IDLE);
        if (TOKEN_VIEW) {
            WaitForAsyncUtils.asyncFx(() -> chat.getMessages().getLast().showingTokensProperty().set(true)).get();
        } else {
            WaitForAsyncUtils.asyncFx(() -> window.viewModel().newChat()).get();
        }
        inference.streamScript(markdownTokens(TOKENS), TimeUnit.SECONDS.toNanos(1) / TOKENS_PER_SECOND);
        List<Long> gaps = new ArrayList<>();
        long[] lastPulse = {0};
        var pulses = new AnimationTimer() {
            @Override
            public void handle(long now) {
                if (lastPulse[0] != 0) {
                    gaps.add(now - lastPulse[0]);
                }
                lastPulse[0] = now;
            }
        };
        WaitForAsyncUtils.asyncFx(() -> {
            chat.draftProperty().set("Write a long answer");
            runLaterCalls.set(0);
            longestRunnableNanos.set(0);
            pulses.start();
            chat.send();
        }).get();
        long start = System.nanoTime();
        WaitForAsyncUtils.waitFor(120, TimeUnit.SECONDS, () -> chat.getState() == ChatViewModel.State.IDLE);
        double seconds = (System.nanoTime() - start) / 1e9;
        WaitForAsyncUtils.asyncFx(pulses::stop).get();
        long calls = runLaterCalls.get();
        long longestRunnable = longestRunnableNanos.get();
        int answerLength = chat.lastAnswerText().length();
        // the first gap holds the send itself (the new conversation, its two cards, Send turning into
        // Stop), before any token arrives; the rest is the streaming
        long sendGap = gaps.get(0);
        List<Long> sorted = new ArrayList<>(gaps.subList(1, gaps.size()));
        sorted.sort(null);
        long longestGap = sorted.get(sorted.size() - 1);
        long p99 = sorted.get((int) (sorted.size() * 0.99));
        long over50 = sorted.stream().filter(g -> g > 50_000_000L).count();

        double tokenViewMillis = TOKEN_VIEW ? showTokens(chat) : 0;

        ConversationRecord big = store.create("Long conversation", "bench", ConversationSettings.DEFAULTS);
        for (int i = 0; i < 500; i++) {
            store.append(big.id(), Role.USER, "Question number " + i + " with **some** Markdown");
            store.append(big.id(), Role.ASSISTANT, "Answer " + i + ":\n\n- a list\n- of things\n\n`code` and text.");
        }
        // from the command to the end of the first layout that shows the messages
        long[] openEnd = {0};
        var shown = new CountDownLatch(1);
        Runnable afterLayout = () -> {
            if (openEnd[0] == 0 && !chat.getMessages().isEmpty()) {
                openEnd[0] = System.nanoTime();
                shown.countDown();
            }
        };
        long openStart = System.nanoTime();
        WaitForAsyncUtils.asyncFx(() -> {
            stage.getScene().addPostLayoutPulseListener(afterLayout);
            chat.open(big.id());
        }).get();
        shown.await(30, TimeUnit.SECONDS);
        WaitForAsyncUtils.asyncFx(() -> stage.getScene().removePostLayoutPulseListener(afterLayout)).get();
        double openMillis = (openEnd[0] - openStart) / 1e6;

        // scroll the long conversation from the bottom up, one step of 120 px per frame
        List<Long> scrollGaps = new ArrayList<>();
        long[] lastScrollPulse = {0};
        int[] steps = {0};
        var done = new CountDownLatch(1);
        var scroller = new AnimationTimer() {
            @Override
            public void handle(long now) {
                if (lastScrollPulse[0] != 0) {
                    scrollGaps.add(now - lastScrollPulse[0]);
                }
                lastScrollPulse[0] = now;
                VirtualFlow<?> flow = (VirtualFlow<?>) stage.getScene().lookup(".transcript .virtual-flow");
                flow.scrollPixels(-120);
                if (++steps[0] == 600) {
                    stop();
                    done.countDown();
                }
            }
        };
        WaitForAsyncUtils.asyncFx(scroller::start).get();
        done.await(60, TimeUnit.SECONDS);
        long longestScrollGap = scrollGaps.stream().mapToLong(Long::longValue).max().orElse(0);
        double scrollFps = scrollGaps.size() * 1e9 / scrollGaps.stream().mapToLong(Long::longValue).sum();

        String report = String.format(Locale.ROOT,
                "tokens streamed: %d at %d tokens/s in %.1f s%n"
                        + "answer length: %d characters%n"
                        + "frames: %d (%.1f per second)%n"
                        + "the send's own frame: %.1f ms%n"
                        + "longest gap between pulses while streaming: %.1f ms (99th percentile %.1f ms; %d gaps over 50 ms)%n"
                        + "longest single FX-thread update (append + Markdown rebuild): %.1f ms%n"
                        + "runLater calls: %d (%.1f per second)%n"
                        + "open a conversation of 1000 messages (to the end of its first layout): %.0f ms%n"
                        + "scroll it up 600 steps of 120 px, one per frame: %.1f frames per second, "
                        + "longest gap %.1f ms%n"
                        + "machine load average while measuring: %.1f on %d cores%n"
                        + (TOKEN_VIEW ? "token view on: the long answer switched to its tokens in %.0f ms (to the end of"
                                + " its first layout)%n" : "token view off%s%n"),
                TOKENS, TOKENS_PER_SECOND, seconds, answerLength, gaps.size() + 1, (gaps.size() + 1) / seconds,
                sendGap / 1e6, longestGap / 1e6, p99 / 1e6, over50, longestRunnable / 1e6, calls, calls / seconds, openMillis,
                scrollFps, longestScrollGap / 1e6,
                ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage(),
                Runtime.getRuntime().availableProcessors(), TOKEN_VIEW ? (Object) tokenViewMillis : "");
        System.out.print(report);
        Files.createDirectories(Path.of("target/bench"));
        Files.writeString(Path.of("target/bench/ui-responsiveness.txt"), report);
        inference.close();
    }

    /** Switches the last answer to its tokens; returns the time to the end of the first layout that shows them. */
    private double showTokens(ChatViewModel chat) throws Exception {
        long[] end = {0};
        var shown = new CountDownLatch(1);
        Runnable afterLayout = () -> {
            if (end[0] == 0) {
                end[0] = System.nanoTime();
                shown.countDown();
            }
        };
        long start = System.nanoTime();
        WaitForAsyncUtils.asyncFx(() -> {
            stage.getScene().addPostLayoutPulseListener(afterLayout);
            chat.getMessages().getLast().showingTokensProperty().set(true);
        }).get();
        shown.await(30, TimeUnit.SECONDS);
        WaitForAsyncUtils.asyncFx(() -> stage.getScene().removePostLayoutPulseListener(afterLayout)).get();
        return (end[0] - start) / 1e6;
    }
}
