package dev.parlance.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.parlance.chat.Role;
import dev.parlance.inference.FinishReason;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Stops a process, with SIGKILL or SIGTERM, while it streams an answer into the store. */
class CrashTest {
    @TempDir
    Path dir;

    @Test
    void killingTheProcessMidAnswerKeepsEveryMessageAndThePartialAnswerMarkedInterrupted() throws Exception {
        Process process = startWriter();
        String conversationId;
        try (BufferedReader out = new BufferedReader(
                new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            conversationId = out.readLine().substring("conversation ".length());
            assertThat(out.readLine()).isEqualTo("streaming");
            assertThat(out.readLine()).isEqualTo("saved");
            process.destroyForcibly();
            assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
        } finally {
            process.destroyForcibly();
        }

        try (var store = SqliteConversationStore.open(dir)) {
            List<MessageRecord> messages = store.messages(conversationId, 0, 100);
            int earlier = 2 * StreamingWriter.EXCHANGES + 1;
            assertThat(messages).hasSize(earlier + 1);
            for (int i = 0; i < StreamingWriter.EXCHANGES; i++) {
                assertThat(messages.get(2 * i).content()).isEqualTo("question " + i);
                assertThat(messages.get(2 * i + 1).content()).isEqualTo("answer " + i);
                assertThat(messages.get(2 * i + 1).finish()).isEqualTo(FinishReason.STOP);
            }
            MessageRecord partial = messages.get(earlier);
            assertThat(partial.role()).isEqualTo(Role.ASSISTANT);
            assertThat(partial.finish()).isEqualTo(FinishReason.INTERRUPTED);
            assertThat(partial.content()).isNotEmpty();
            // the timer's save of at least 55 words survived
            assertThat(partial.stats().tokens()).isGreaterThanOrEqualTo(StreamingWriter.SAVED_AFTER);
            assertThat(partial.content()).isEqualTo(StreamingWriter.story(partial.stats().tokens()));
        }
    }

    private Process startWriter(String... extra) throws Exception {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        List<String> command = new ArrayList<>(List.of(java.toString(),
                "-cp", System.getProperty("java.class.path"), StreamingWriter.class.getName(), dir.toString()));
        command.addAll(List.of(extra));
        return new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    }

    @Test
    void stoppingTheProcessPolitelySavesTheLatestStreamedText() throws Exception {
        Process process = startWriter("pause");
        String conversationId;
        try (BufferedReader out = new BufferedReader(
                new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            conversationId = out.readLine().substring("conversation ".length());
            assertThat(out.readLine()).isEqualTo("streaming");
            assertThat(out.readLine()).isEqualTo("paused");
            // SIGTERM at once, before the next timed save: only the shutdown flush can save the last words
            process.destroy();
            assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
        } finally {
            process.destroyForcibly();
        }

        try (var store = SqliteConversationStore.open(dir)) {
            List<MessageRecord> messages = store.messages(conversationId, 0, 100);
            MessageRecord partial = messages.get(messages.size() - 1);
            assertThat(partial.content()).isEqualTo(StreamingWriter.story(StreamingWriter.PAUSE_AT));
            assertThat(partial.finish()).isEqualTo(FinishReason.INTERRUPTED);
        }
    }
}
