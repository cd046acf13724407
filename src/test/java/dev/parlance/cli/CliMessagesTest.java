package dev.parlance.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.parlance.inference.SharedData;
import dev.parlance.store.ConversationRecord;
import dev.parlance.store.SqliteConversationStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The messages of issue 14, item 6: each says what is wrong in plain words, and nothing else. */
class CliMessagesTest {
    /** A terminal escape that would set the window title, and a right-to-left override. */
    private static final String HOSTILE_TITLE = "\u001b]0;owned\u0007Trip\u202e";

    @TempDir
    Path dir;

    private static String stories() {
        return SharedData.require("models/stories260K").toString();
    }

    private CliRun.Result prompt(Path messages) {
        return CliRun.run("", "prompt", "--model", stories(), "--messages", messages.toString());
    }

    @Test
    void aMessagesFileThatIsNotUtf8SaysSo() throws IOException {
        Path file = Files.write(dir.resolve("latin1.json"),
                new byte[] {'[', '{', '"', 'r', 'o', 'l', 'e', '"', ':', '"', 'c', 'a', 'f', (byte) 0xE9, '"', '}', ']'});
        var result = prompt(file);
        assertThat(result.exit()).isEqualTo(1);
        assertThat(result.err()).contains("cannot read " + file + ": not UTF-8 text").doesNotContain("Input length");
    }

    @Test
    void aMissingMessagesFileIsNotFound() {
        Path file = dir.resolve("nope.json");
        var result = prompt(file);
        assertThat(result.err()).isEqualTo("parlance: cannot read " + file + ": not found" + System.lineSeparator());
    }

    @Test
    void aFolderGivenAsMessagesFileSaysItIsAFolder() throws IOException {
        Path folder = Files.createDirectory(dir.resolve("imp"));
        assertThat(prompt(folder).err()).contains("cannot read " + folder + ": is a folder, not a file");
    }

    @Test
    void messagesThatAreNotJsonSayWhereWithoutTheParsersNames() throws IOException {
        Path file = Files.writeString(dir.resolve("bad.json"), "{bad");
        assertThat(prompt(file).err()).contains("not valid JSON (the text breaks off or is malformed at line 1 column")
                .doesNotContainIgnoringCase("gson").doesNotContain("java.").doesNotContain("http")
                .doesNotContain("Exception");
    }

    @Test
    void aMissingTemplateFileIsNotFound() throws IOException {
        Path messages = Files.writeString(dir.resolve("chat.json"), "[{\"role\": \"user\", \"content\": \"hi\"}]");
        Path template = dir.resolve("nope.jinja");
        var result = CliRun.run("", "prompt", "--template", template.toString(), "--messages", messages.toString());
        assertThat(result.err()).contains("cannot read the template: " + template + ": not found");
    }

    @Test
    void importOfAFolderSaysItIsAFolderAndHowToImportItsFiles() throws IOException {
        Path folder = Files.createDirectory(dir.resolve("imp"));
        var result = CliRun.run("", "import", folder.toString(), "--data-dir", dir.resolve("data").toString());
        assertThat(result.exit()).isEqualTo(1);
        assertThat(result.err()).contains(folder + " is a folder; import takes conversation files")
                .doesNotContain("There is no file");
    }

    @Test
    void importOfAFileThatIsNotUtf8SaysSo() throws IOException {
        Path file = Files.write(dir.resolve("latin1.json"), new byte[] {'{', (byte) 0xE9, '}'});
        var result = CliRun.run("", "import", file.toString(), "--data-dir", dir.resolve("data").toString());
        assertThat(result.err()).contains("Could not read " + file + ": not UTF-8 text").doesNotContain("Input length");
    }

    @Test
    void importOfAFileThatIsNotJsonSaysWhereWithoutTheParsersNames() throws IOException {
        Path file = Files.writeString(dir.resolve("bad.json"), "{bad");
        var result = CliRun.run("", "import", file.toString(), "--data-dir", dir.resolve("data").toString());
        assertThat(result.exit()).isEqualTo(1);
        assertThat(result.err()).contains("it is not valid JSON (the text breaks off or is malformed at line 1 column")
                .doesNotContain("java.").doesNotContain("Exception").doesNotContainIgnoringCase("gson");
    }

    @Test
    void importOfAFileWithAFigureThatIsNotANumberIsOnePlainLine() throws IOException {
        Path file = Files.writeString(dir.resolve("words.json"), "{\"messages\": [{\"role\": \"assistant\", "
                + "\"content\": \"Hi\", \"metadata\": {\"tokens\": \"many\"}}]}");
        var result = CliRun.run("", "import", file.toString(), "--data-dir", dir.resolve("data").toString());
        assertThat(result.exit()).isEqualTo(1);
        assertThat(result.err()).contains("a figure or setting in it is not a number").doesNotContain("\tat ");
    }

    @Test
    void historyAndImportShowATitlesControlCharactersAsReplacementCharacters() throws IOException {
        Path data = dir.resolve("data");
        ConversationRecord conversation;
        try (var store = SqliteConversationStore.open(data)) {
            conversation = store.create(HOSTILE_TITLE, "stories", null);
        }
        var history = CliRun.run("", "history", "--data-dir", data.toString());
        assertThat(history.out()).contains("\uFFFD]0;owned\uFFFDTrip\uFFFD").doesNotContain("\u001b")
                .doesNotContain("\u0007").doesNotContain("\u202e");

        Path exported = dir.resolve("exported");
        assertThat(CliRun.run("", "export", "--id", conversation.id(), "--out", exported.toString(),
                "--data-dir", data.toString()).exit()).isZero();
        Path json;
        try (Stream<Path> files = Files.list(exported)) {
            json = files.filter(f -> f.toString().endsWith(".json")).findFirst().orElseThrow();
        }
        var imported = CliRun.run("", "import", json.toString(), "--data-dir", dir.resolve("other").toString());
        assertThat(imported.out()).contains("Imported \"\uFFFD]0;owned\uFFFDTrip\uFFFD\"").doesNotContain("\u001b");
    }
}
