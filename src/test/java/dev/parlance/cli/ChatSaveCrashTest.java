package dev.parlance.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.parlance.Launcher;
import dev.parlance.chat.Role;
import dev.parlance.inference.FinishReason;
import dev.parlance.inference.SharedData;
import dev.parlance.store.MessageRecord;
import dev.parlance.store.SqliteConversationStore;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code parlance chat --save} killed with SIGKILL while its prompt is being prepared, before any
 * answer text: the message typed must already be in the database.
 */
class ChatSaveCrashTest {
    /**
     * A chat template that spends a while (300,000 loop steps, inside the render budget) before it
     * writes the prompt: the time a long prompt takes before its first token, without a large
     * model. With it, the story model answers "Jack was a little girl…" after about a second.
     */
    private static final String SLOW_TEMPLATE = "{% for i in range(300) %}{% for j in range(1000) %}{% endfor %}"
            + "{% endfor %}"
            + "{% for m in messages %}{{ m['role'] + ': ' + m['content'] + '\\n' }}{% endfor %}"
            + "{% if add_generation_prompt %}{{ 'assistant: ' }}{% endif %}";

    @TempDir
    Path dir;

    @Test
    void killingChatSaveBeforeTheFirstAnswerTextKeepsTheUsersMessage() throws Exception {
        Path model = slowModel(SharedData.require("models/stories260K"));
        Path data = dir.resolve("data");
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process process = new ProcessBuilder(java.toString(), "-Xss4m", "--add-modules", "jdk.incubator.vector",
                "-cp", System.getProperty("java.class.path"), Launcher.class.getName(), "chat", "--model",
                model.toString(), "--temperature", "0", "--max-tokens", "50", "--save", "--data-dir", data.toString())
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        StringBuffer answer = new StringBuffer();
        Thread reader = Thread.ofPlatform().start(() -> {
            try (InputStreamReader in = new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8)) {
                char[] buffer = new char[256];
                for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                    answer.append(buffer, 0, n);
                }
            } catch (IOException e) {
                answer.append(e);
            }
        });
        try (Writer stdin = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8)) {
            stdin.write("Once upon a time there was a dragon who could not sleep\n");
            stdin.flush();
            awaitUserMessage(data.resolve(SqliteConversationStore.FILE_NAME));
            process.destroyForcibly();
            assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
        } catch (IOException e) {
            // the pipe closes when the process dies; what was written is what counts
        } finally {
            process.destroyForcibly();
        }
        reader.join(10_000);

        assertThat(answer).as("the process was killed before any answer text").isEmpty();
        try (SqliteConversationStore store = SqliteConversationStore.open(data)) {
            List<MessageRecord> messages = store.messages(store.conversations().getFirst().id(), 0, 10);
            assertThat(messages.getFirst().role()).isEqualTo(Role.USER);
            assertThat(messages.getFirst().content())
                    .isEqualTo("Once upon a time there was a dragon who could not sleep");
            assertThat(messages.subList(1, messages.size())).allSatisfy(m -> {
                assertThat(m.content()).isEmpty();
                assertThat(m.finish()).isEqualTo(FinishReason.INTERRUPTED);
            });
        }
    }

    /** A copy of the model whose chat template takes its time. */
    private Path slowModel(Path source) throws IOException {
        Path copy = Files.createDirectories(dir.resolve("slow-model"));
        try (var files = Files.list(source)) {
            for (Path file : files.toList()) {
                if (Files.isRegularFile(file)) {
                    Files.copy(file, copy.resolve(file.getFileName()));
                }
            }
        }
        Files.writeString(copy.resolve("chat_template.jinja"), SLOW_TEMPLATE, StandardCharsets.UTF_8);
        return copy;
    }

    /** Polls the database, as another process would read it, until a user message is in it. */
    private static void awaitUserMessage(Path file) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!hasUserMessage(file)) {
            assertThat(System.nanoTime()).as("waited for the user's message in %s", file).isLessThan(deadline);
            TimeUnit.MILLISECONDS.sleep(5);
        }
    }

    private static boolean hasUserMessage(Path file) {
        if (!Files.exists(file)) {
            return false;
        }
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:file:" + file + "?mode=ro");
                Statement s = c.createStatement();
                ResultSet rows = s.executeQuery("SELECT 1 FROM messages WHERE role = 'USER'")) {
            return rows.next();
        } catch (SQLException e) {
            // the schema is still being made
            return false;
        }
    }
}
