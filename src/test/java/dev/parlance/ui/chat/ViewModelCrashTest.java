package dev.parlance.ui.chat;

import static org.assertj.core.api.Assertions.assertThat;

import dev.parlance.chat.Role;
import dev.parlance.inference.FinishReason;
import dev.parlance.store.MessageRecord;
import dev.parlance.store.SqliteConversationStore;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The app's path: SIGKILL while the model reads a long prompt keeps the message the user sent. */
class ViewModelCrashTest {
    @TempDir
    Path dir;

    @Test
    void killingTheAppWhileTheModelReadsThePromptKeepsTheUsersMessage() throws Exception {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process process = new ProcessBuilder(java.toString(), "-cp", System.getProperty("java.class.path"),
                ViewModelCrashChild.class.getName(), dir.toString(), "A question worth keeping")
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        try (BufferedReader out = new BufferedReader(
                new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            assertThat(out.readLine()).isEqualTo("asked");
            process.destroyForcibly();
            assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
        } finally {
            process.destroyForcibly();
        }

        try (SqliteConversationStore store = SqliteConversationStore.open(dir)) {
            assertThat(store.conversations()).singleElement()
                    .satisfies(c -> assertThat(c.title()).isEqualTo("A question worth keeping"));
            List<MessageRecord> messages = store.messages(store.conversations().getFirst().id(), 0, 10);
            assertThat(messages.getFirst().role()).isEqualTo(Role.USER);
            assertThat(messages.getFirst().content()).isEqualTo("A question worth keeping");
            assertThat(messages.subList(1, messages.size())).allSatisfy(m -> {
                assertThat(m.content()).isEmpty();
                assertThat(m.finish()).isEqualTo(FinishReason.INTERRUPTED);
            });
        }
    }
}
