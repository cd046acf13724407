package dev.parlance.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.parlance.chat.ChatSession;
import dev.parlance.chat.ChatTemplate;
import dev.parlance.chat.Role;
import dev.parlance.inference.FinishReason;
import dev.parlance.inference.LanguageModel;
import dev.parlance.inference.SamplingConfig;
import dev.parlance.inference.SharedData;
import dev.parlance.store.ConversationSettings;
import dev.parlance.store.MessageRecord;
import dev.parlance.store.SqliteConversationStore;
import dev.parlance.store.StoreFaults;
import java.io.BufferedReader;
import java.io.PrintWriter;
import java.io.StringReader;
import java.io.StringWriter;
import java.io.Writer;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code parlance chat --save} on a disk that fills while it runs. */
class ChatDiskFullTest {
    @TempDir
    Path dir;

    @Test
    void aDiskThatFillsIsSaidWhileItHappensAndTheEndIsSavedOnceThereIsSpace() throws Exception {
        Path folder = SharedData.require("models/stories260K");
        StringWriter out = new StringWriter();
        StringBuffer err = new StringBuffer();
        PrintWriter errWriter = new PrintWriter(new Writer() {
            @Override
            public void write(char[] chars, int offset, int length) {
                err.append(chars, offset, length);
            }

            @Override
            public void flush() { }

            @Override
            public void close() { }
        });
        SqliteConversationStore store = SqliteConversationStore.open(dir);
        try (LanguageModel model = LanguageModel.load(folder, f -> { });
                ChatSession session = new ChatSession(model, ChatTemplate.fromModelFolder(folder), 0)) {
            SamplingOptions options = new SamplingOptions();
            options.temperature = 0.0;
            options.maxTokens = 40;
            SamplingConfig sampling = options.apply(model.defaults().sampling());
            ChatRepl repl = new ChatRepl(session, sampling, store, "stories260K", ConversationSettings.DEFAULTS,
                    new PrintWriter(out), errWriter, false);
            store.addErrorListener(repl::storeProblem);
            // a message that nearly fills the messages table's only page, then no more pages
            var filler = store.create("Filler", "stories260K", ConversationSettings.DEFAULTS);
            store.append(filler.id(), Role.USER, "x".repeat(3800));
            store.flush();
            StoreFaults.limitSize(store, StoreFaults.pageCount(store));

            // long enough to need a new page: the disk is full from the chat's first message
            repl.run(new BufferedReader(new StringReader("the dog ran to the park and ".repeat(40) + "\n")));

            assertThat(err).contains("parlance: Could not save your conversations because the disk is full")
                    .contains("saving resumes when it can");
            Thread saver = Thread.ofPlatform().start(() -> ChatCommand.saveBeforeExit(store, errWriter, 20));
            awaitOutput(err, "waiting to save the end of the conversation");
            StoreFaults.limitSize(store, 1_000_000);
            saver.join(30_000);
            assertThat(saver.isAlive()).isFalse();
            assertThat(err).contains("parlance: saved the conversation.");
        } finally {
            store.close();
        }

        String printed = out.toString();
        try (SqliteConversationStore reopened = SqliteConversationStore.open(dir)) {
            List<MessageRecord> messages = reopened.messages(reopened.conversations().getFirst().id(), 0, 10);
            assertThat(messages).extracting(MessageRecord::role).containsExactly(Role.USER, Role.ASSISTANT);
            assertThat(messages.get(0).content()).startsWith("the dog ran to the park");
            assertThat(messages.get(1).content()).isNotBlank();
            assertThat(messages.get(1).content() + "\n").isEqualTo(printed);
            assertThat(messages.get(1).finish()).isEqualTo(FinishReason.LENGTH);
        }
    }

    private static void awaitOutput(StringBuffer output, String text) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (output.indexOf(text) < 0) {
            assertThat(System.nanoTime()).as("waited for \"%s\" in:%n%s", text, output).isLessThan(deadline);
            TimeUnit.MILLISECONDS.sleep(10);
        }
    }
}
