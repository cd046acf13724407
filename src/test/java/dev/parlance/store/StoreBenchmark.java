package dev.parlance.store;

import dev.parlance.chat.Role;
import dev.parlance.inference.FinishReason;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.function.Supplier;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Times the operations the UI waits on. Not an assertion, because timings depend on the machine:
 * run it with {@code mvn -o test -Dtest=StoreBenchmark -Dtest.excluded.groups=none} and copy the
 * figures into {@code docs/store.md}.
 */
@Tag("bench")
class StoreBenchmark {
    private static final int RUNS = 30;

    @TempDir
    Path dir;

    @Test
    void searchAndOpeningALongConversation() {
        String longId;
        try (var store = SqliteConversationStore.open(dir)) {
            long start = System.nanoTime();
            for (int c = 0; c < 50; c++) {
                var conversation = store.create("Conversation " + c, "m", null);
                fill(store, conversation.id(), 100, c * 100);
            }
            var longOne = store.create("The long one", "m", null);
            fill(store, longOne.id(), 5000, 1_000_000);
            store.flush();
            longId = longOne.id();
            report("write 10,000 messages (queued, then flush)", (System.nanoTime() - start) / 1e6);
        }

        long openStart = System.nanoTime();
        var store = SqliteConversationStore.open(dir);
        report("open the store (quick_check, migrations, tidy)", (System.nanoTime() - openStart) / 1e6);
        try (store) {
            time("search a rare word (10 hits max)", () -> store.search("quetzalcoatl", 10));
            time("search a common word (20 best of ~6,000)", () -> store.search("weather", 20));
            time("search two words, the last one a prefix", () -> store.search("garden rec", 20));
            time("open the 5,000-message conversation: first 100", () -> store.messages(longId, 0, 100));
            time("open the 5,000-message conversation: last 100", () -> store.messages(longId, 4900, 100));
            time("read all 5,000 messages (10 pages of 500)",
                    () -> ConversationExport.read(store, longId).messages().size());
            time("list conversations", store::conversations);
            var answer = store.append(longId, Role.ASSISTANT, "");
            time("streaming update (coalesced, not waited for)", () -> {
                store.updateMessage(answer.id(), "partial text", "", MessageStats.NONE, null);
                return null;
            });
            time("final update + flush (one durable commit)", () -> {
                store.updateMessage(answer.id(), "final text", "", new MessageStats(2, 1, 1), FinishReason.STOP);
                store.flush();
                return null;
            });
        }
    }

    private static void fill(SqliteConversationStore store, String conversationId, int count, int seed) {
        for (int m = 0; m < count; m++) {
            String text = Filler.sentence(seed + m) + (seed + m == 1_002_345 ? " quetzalcoatl" : "");
            store.append(conversationId, m % 2 == 0 ? Role.USER : Role.ASSISTANT, text);
        }
    }

    private static void time(String what, Supplier<?> operation) {
        operation.get();
        double[] millis = new double[RUNS];
        for (int i = 0; i < RUNS; i++) {
            long start = System.nanoTime();
            operation.get();
            millis[i] = (System.nanoTime() - start) / 1e6;
        }
        Arrays.sort(millis);
        System.out.printf(Locale.ROOT, "| %s | %.2f ms | %.2f ms |%n", what, millis[RUNS / 2], millis[RUNS - 1]);
    }

    private static void report(String what, double millis) {
        System.out.printf(Locale.ROOT, "| %s | %.1f ms (once) | |%n", what, millis);
    }
}
