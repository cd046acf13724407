package dev.parlance.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.parlance.AppDirectories;
import dev.parlance.Launcher;
import dev.parlance.chat.Role;
import dev.parlance.inference.FinishReason;
import dev.parlance.store.ConversationExport;
import dev.parlance.store.ConversationRecord;
import dev.parlance.store.MessageStats;
import dev.parlance.store.SqliteConversationStore;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code parlance history}, {@code export} and {@code import}, run as a user would. */
class StoreCommandsTest {
    @TempDir
    Path dir;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();
    private PrintStream savedOut;
    private PrintStream savedErr;
    private Path data;
    private ConversationRecord trip;

    @BeforeEach
    void capture() {
        savedOut = System.out;
        savedErr = System.err;
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        data = dir.resolve("data");
        try (var store = SqliteConversationStore.open(data)) {
            trip = store.create("Trip to Lisbon", "qwen", null);
            store.append(trip.id(), Role.USER, "Where to eat?");
            var answer = store.append(trip.id(), Role.ASSISTANT, "");
            store.updateMessage(answer.id(), "The bakery.", "", new MessageStats(3, 20, 30), FinishReason.STOP);
            store.append(trip.id(), Role.USER, "And after?");
            var cut = store.append(trip.id(), Role.ASSISTANT, "");
            store.updateMessage(cut.id(), "A walk by", "", MessageStats.NONE, null);
            store.create("Empty one", null, null);
        }
    }

    @AfterEach
    void restore() {
        System.setOut(savedOut);
        System.setErr(savedErr);
    }

    private String out() {
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    void historyListsConversationsWithMessageCountsAndHowAnswersEnded() {
        int exit = ParlanceCommand.run("history", "--data-dir", data.toString());

        assertThat(exit).isEqualTo(0);
        assertThat(out()).contains("2 conversations in " + data.resolve(SqliteConversationStore.FILE_NAME))
                .containsPattern("Trip to Lisbon\\s+4 messages; answers: 1 stop, 1 interrupted  " + trip.id())
                .containsPattern("Empty one\\s+0 messages  ");
    }

    @Test
    void historyFindsTheDataFolderNamedByTheEnvironment() throws Exception {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        ProcessBuilder builder = new ProcessBuilder(java.toString(), "-cp", System.getProperty("java.class.path"),
                Launcher.class.getName(), "history").redirectErrorStream(true);
        builder.environment().put(AppDirectories.DATA_DIR_ENV, data.toString());
        Process process = builder.start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);

        assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).isEqualTo(0);
        assertThat(output).contains("2 conversations in " + data.resolve(SqliteConversationStore.FILE_NAME))
                .contains("Trip to Lisbon");
    }

    @Test
    void exportAllWritesMarkdownAndJsonForEveryConversation() throws Exception {
        Path folder = dir.resolve("backup");

        int exit = ParlanceCommand.run(
                "export", "--all", "--out", folder.toString(), "--data-dir", data.toString());

        assertThat(exit).isEqualTo(0);
        assertThat(out()).contains("Wrote 4 files to " + folder);
        try (Stream<Path> files = Files.list(folder)) {
            assertThat(files.map(f -> f.getFileName().toString()))
                    .hasSize(4).anyMatch(n -> n.endsWith("trip-to-lisbon-" + trip.id().substring(0, 8) + ".md"));
        }
    }

    @Test
    void exportOfOneConversationThenImportElsewhereRestoresIt() throws Exception {
        Path folder = dir.resolve("one");
        assertThat(ParlanceCommand.run("export", "--id", trip.id(), "--out", folder.toString(),
                "--data-dir", data.toString())).isEqualTo(0);
        Path json;
        try (Stream<Path> files = Files.list(folder)) {
            json = files.filter(f -> f.toString().endsWith(".json")).findFirst().orElseThrow();
        }
        Path other = dir.resolve("other");

        assertThat(ParlanceCommand.run("import", json.toString(), "--data-dir", other.toString())).isEqualTo(0);

        assertThat(out()).contains("Imported \"Trip to Lisbon\" as " + trip.id());
        try (var original = SqliteConversationStore.open(data); var copy = SqliteConversationStore.open(other)) {
            assertThat(ConversationExport.read(copy, trip.id()))
                    .isEqualTo(ConversationExport.read(original, trip.id()));
        }
    }

    @Test
    void exportOfAnUnknownIdSaysSoInPlainWords() {
        int exit = ParlanceCommand.run(
                "export", "--id", "nope", "--out", dir.toString(), "--data-dir", data.toString());

        assertThat(exit).isEqualTo(1);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("There is no conversation with the id nope");
    }

    @Test
    void importOfAMissingFileSaysSo() {
        int exit = ParlanceCommand.run(
                "import", dir.resolve("missing.json").toString(), "--data-dir", data.toString());

        assertThat(exit).isEqualTo(1);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("There is no file");
    }
}
