import dev.parlance.chat.ChatListener;
import dev.parlance.chat.Message;
import dev.parlance.inference.FinishReason;
import dev.parlance.service.ConversationService;
import dev.parlance.store.ConversationExport;
import dev.parlance.store.ConversationSettings;
import dev.parlance.store.SqliteConversationStore;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;

/**
 * Writes version2.db as the release before answer versions and branches wrote it (see README.md).
 * Run from the repository root at that release, with the test class path:
 * java -cp target/classes:$(cat cp.txt) src/test/resources/store/MakeVersion2Database.java <folder>
 */
public class MakeVersion2Database {
    public static void main(String[] args) {
        Path folder = Path.of(args[0]);
        Deque<String[]> answers = new ArrayDeque<>(List.of(
                new String[] {"", "Armadillos are mammals with a leathery shell."},
                new String[] {"", "An armadillo is a small armoured mammal of the Americas."},
                new String[] {"", "Nine-banded armadillos almost always have identical quadruplets."},
                new String[] {"", "Young armadillos are called pups."},
                new String[] {"", "They can hold their breath for six minutes."},
                new String[] {"The user wants a number; 7 times 6 is 42.", "7 times 6 is 42."},
                new String[] {"", "Pangolins eat ants and termites."},
                new String[] {"", "Aardvarks dig burrows at night."}));
        ConversationService.Answerer answerer = (List<Message> prompt, java.util.function.BooleanSupplier stop,
                ChatListener listener) -> {
            String[] next = answers.removeFirst();
            if (!next[0].isEmpty()) {
                listener.onReasoning(next[0]);
            }
            listener.onText(next[1]);
            listener.onFinished(FinishReason.STOP, null, 0);
            return () -> { };
        };
        try (SqliteConversationStore store = SqliteConversationStore.open(folder)) {
            var settings = new ConversationSettings[] {ConversationSettings.DEFAULTS};
            var service = new ConversationService(store, answerer, () -> "stories260K", () -> settings[0]);

            // 1: an answer regenerated once, then an edited follow-up question
            service.open(null);
            service.send("Tell me about armadillos", delta -> { });
            service.regenerate(delta -> { });
            var exchange = service.send("What about their babies?", delta -> { });
            service.editAndResend(exchange.userMessageId(), "What about their young?", delta -> { });
            service.send("How long can they stay under water?", delta -> { });

            // 2: a reasoning answer, with a system prompt and sampling settings saved
            settings[0] = new ConversationSettings("Answer briefly.", 0.7, 0.9, 40, null, 1.1, 256, 2048, 42L);
            service.open(null);
            service.send("What is 7 times 6?", delta -> { });

            // 3: an answer deleted from the middle, so two user messages follow each other
            settings[0] = ConversationSettings.DEFAULTS;
            service.open(null);
            var dropped = service.send("Tell me about pangolins", delta -> { });
            service.send("And aardvarks?", delta -> { });
            service.delete(dropped.answerId());

            // 4: an imported plain Chat Completion file
            store.importConversation(ConversationExport.fromJson("""
                    {"title": "Imported tapirs", "messages": [
                      {"role": "system", "content": "You are a zoologist."},
                      {"role": "user", "content": "What is a tapir?"},
                      {"role": "assistant", "content": "A tapir is a large browsing mammal with a short trunk."}
                    ]}"""));
            store.flush();
        }
    }
}
