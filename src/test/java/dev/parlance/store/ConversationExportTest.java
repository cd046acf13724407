package dev.parlance.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import com.google.gson.JsonParser;
import dev.parlance.chat.Role;
import dev.parlance.inference.FinishReason;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConversationExportTest {
    @TempDir
    Path dir;

    private SqliteConversationStore store;
    private ConversationRecord conversation;

    @BeforeEach
    void fill() {
        store = SqliteConversationStore.open(dir.resolve("a"));
        var settings = new ConversationSettings("You are terse.", 0.6, 0.95, 50, 0.05, 1.1, 512, 8192, 1234L);
        conversation = store.create("Rust vs \"Java\" / ünïcode", "qwen2.5-1.5b-instruct", settings);
        store.append(conversation.id(), Role.SYSTEM, "You are terse.");
        store.append(conversation.id(), Role.USER, "Which is faster?\n\nBe honest.");
        var answer = store.append(conversation.id(), Role.ASSISTANT, "");
        store.updateMessage(answer.id(), "It depends on the *workload*.", "The user wants a comparison.",
                new MessageStats(7, 123.25, 18.5), FinishReason.LENGTH);
        store.append(conversation.id(), Role.USER, "Go on");
        var cut = store.append(conversation.id(), Role.ASSISTANT, "");
        store.updateMessage(cut.id(), "Well", "", new MessageStats(1, 99, 3), FinishReason.CANCELLED);
    }

    @AfterEach
    void close() {
        store.close();
    }

    @Test
    void exportingToJsonAndImportingGivesTheSameConversation() {
        ConversationArchive original = ConversationExport.read(store, conversation.id());

        try (var other = SqliteConversationStore.open(dir.resolve("b"))) {
            ConversationArchive parsed = ConversationExport.fromJson(ConversationExport.toJson(original));
            var imported = other.importConversation(parsed);

            assertThat(imported).isEqualTo(original.conversation());
            assertThat(ConversationExport.read(other, imported.id())).isEqualTo(original);
        }
    }

    @Test
    void versionsAndBranchesSurviveExportAndImport() {
        List<MessageRecord> path = store.messages(conversation.id(), 0, 10);
        MessageRecord question = path.get(1);
        store.append(conversation.id(), path.get(2).parentId(), Role.ASSISTANT, "A second version");
        store.append(conversation.id(), question.parentId(), Role.USER, "Which is slower?");
        store.select(path.get(4).id());
        ConversationArchive original = ConversationExport.read(store, conversation.id());
        String json = ConversationExport.toJson(original);

        try (var other = SqliteConversationStore.open(dir.resolve("b"))) {
            var imported = other.importConversation(ConversationExport.fromJson(json));

            assertThat(other.messages(imported.id(), 0, 10)).extracting(MessageRecord::content)
                    .containsExactly("You are terse.", "Which is faster?\n\nBe honest.", "It depends on the *workload*.",
                            "Go on", "Well");
            assertThat(other.versions(path.get(2).id())).extracting(MessageRecord::content)
                    .containsExactly("It depends on the *workload*.", "A second version");
            assertThat(other.versions(question.id())).extracting(MessageRecord::content)
                    .containsExactly("Which is faster?\n\nBe honest.", "Which is slower?");
            assertThat(ConversationExport.read(other, imported.id())).isEqualTo(original);
        }
        // a reader that knows only Chat Completion (or an older Parlance) sees the selected path
        var messages = JsonParser.parseString(json).getAsJsonObject().getAsJsonArray("messages");
        assertThat(messages.asList()).extracting(m -> m.getAsJsonObject().get("content").getAsString())
                .containsExactly("You are terse.", "Which is faster?\n\nBe honest.", "It depends on the *workload*.",
                        "Go on", "Well");
    }

    @Test
    void anExportWithoutParentsImportsAsOneChain() {
        String json = """
                {"format": "parlance-conversation", "version": 1, "title": "Old", "messages": [
                  {"role": "user", "content": "one", "metadata": {"id": "u1"}},
                  {"role": "assistant", "content": "two", "metadata": {"id": "a1", "finish_reason": "stop"}},
                  {"role": "user", "content": "three", "metadata": {"id": "u2"}}
                ]}""";

        var imported = store.importConversation(ConversationExport.fromJson(json));

        assertThat(store.messages(imported.id(), 0, 10))
                .extracting(MessageRecord::id, MessageRecord::position, MessageRecord::parentId)
                .containsExactly(tuple("u1", 0, null), tuple("a1", 1, "u1"), tuple("u2", 2, "a1"));
    }

    @Test
    void importingIntoAStoreThatHasTheConversationAddsACopy() {
        ConversationArchive original = ConversationExport.read(store, conversation.id());

        var copy = store.importConversation(ConversationExport.fromJson(ConversationExport.toJson(original)));

        assertThat(copy.id()).isNotEqualTo(conversation.id());
        assertThat(store.conversations()).hasSize(2);
        assertThat(store.messages(copy.id(), 0, 10)).extracting(MessageRecord::content)
                .isEqualTo(original.messages().stream().map(MessageRecord::content).toList());
    }

    @Test
    void jsonIsAChatCompletionMessagesListWithMetadata() {
        String json = ConversationExport.toJson(ConversationExport.read(store, conversation.id()));

        assertThat(json).contains("\"format\": \"parlance-conversation\"")
                .contains("\"role\": \"user\"")
                .contains("\"content\": \"Which is faster?\\n\\nBe honest.\"")
                .contains("\"reasoning_content\": \"The user wants a comparison.\"")
                .contains("\"finish_reason\": \"length\"")
                .contains("\"top_p\": 0.95")
                .contains("\"tokens_per_second\": 18.5");
    }

    @Test
    void markdownReadsAsADocument() {
        String markdown = ConversationExport.toMarkdown(ConversationExport.read(store, conversation.id()));

        assertThat(markdown).startsWith("# Rust vs \"Java\" / ünïcode\n")
                .contains("- Model: qwen2.5-1.5b-instruct")
                .contains("## You\n\nWhich is faster?\n\nBe honest.\n")
                .contains("<details><summary>Reasoning</summary>\n\nThe user wants a comparison.")
                .contains("*7 tokens · 18.5 tokens/s · first token after 123 ms · length*")
                .contains("cancelled");
    }

    @Test
    void aPlainChatCompletionFileCanBeImported() {
        String json = "{\"messages\": [{\"role\": \"user\", \"content\": \"Plan a picnic for Sunday\"},"
                + " {\"role\": \"assistant\", \"content\": \"Bring bread.\"}]}";

        var imported = store.importConversation(ConversationExport.fromJson(json));

        assertThat(imported.title()).isEqualTo("Plan a picnic for Sunday");
        assertThat(store.messages(imported.id(), 0, 10)).extracting(MessageRecord::role, MessageRecord::finish)
                .containsExactly(tuple(Role.USER, null), tuple(Role.ASSISTANT, FinishReason.STOP));
    }

    @Test
    void theCompleteAnswersOfAPlainChatCompletionFileStayCompleteAfterReopening() {
        String json = "{\"messages\": [{\"role\": \"user\", \"content\": \"Hi\"},"
                + " {\"role\": \"assistant\", \"content\": \"Hello.\"}]}";
        var imported = store.importConversation(ConversationExport.fromJson(json));

        store.close();
        store = SqliteConversationStore.open(dir.resolve("a"));

        assertThat(store.messages(imported.id(), 0, 10).get(1).finish()).isEqualTo(FinishReason.STOP);
    }

    @Test
    void anAnswerExportedWhileBeingWrittenIsImportedAsUnfinished() {
        String json = "{\"format\": \"parlance-conversation\", \"version\": 1, \"messages\": ["
                + "{\"role\": \"user\", \"content\": \"Hi\"}, {\"role\": \"assistant\", \"content\": \"Hel\"}]}";

        assertThat(ConversationExport.fromJson(json).messages().get(1).finish()).isNull();
    }

    @Test
    void aFileOfAnotherFormatOrAnUnknownVersionIsRefused() {
        assertThatThrownBy(() -> ConversationExport.fromJson("{\"format\": \"chatgpt-export\", \"messages\": []}"))
                .isInstanceOf(StoreException.class)
                .hasMessageContaining("its format is \"chatgpt-export\", not \"parlance-conversation\"");
        assertThatThrownBy(() -> ConversationExport.fromJson(
                "{\"format\": \"parlance-conversation\", \"version\": 2, \"messages\": []}"))
                .isInstanceOf(StoreException.class)
                .hasMessageContaining("version 2 of the format, and this Parlance reads version 1");
        assertThatThrownBy(() -> ConversationExport.fromJson("{\"version\": \"x\", \"messages\": []}"))
                .isInstanceOf(StoreException.class).hasMessageContaining("version \"x\"");
    }

    @Test
    void anExportThatCannotBeWrittenLeavesNoPartialFileBehind() throws Exception {
        Path out = dir.resolve("out");
        ConversationArchive archive = ConversationExport.read(store, conversation.id());
        String base = ConversationExport.fileName(archive.conversation());
        // a folder where the Markdown file should go: the move into place fails after the text is written
        Files.createDirectories(out.resolve(base + ".md").resolve("taken"));

        assertThatThrownBy(() -> ConversationExport.write(archive, out)).isInstanceOf(StoreException.class)
                .hasMessageContaining("Could not write the export");
        try (var left = Files.list(out)) {
            assertThat(left).extracting(file -> file.getFileName().toString()).containsExactly(base + ".md");
        }
    }

    @Test
    void contentGivenAsTextPartsIsJoined() {
        String json = "{\"messages\": [{\"role\": \"user\", \"content\": ["
                + "{\"type\": \"text\", \"text\": \"Hello \"}, {\"type\": \"text\", \"text\": \"there\"}]}]}";

        assertThat(ConversationExport.fromJson(json).messages()).singleElement()
                .extracting(MessageRecord::content).isEqualTo("Hello there");
    }

    @Test
    void aFileThatIsNotAConversationIsRefusedInPlainWords() {
        assertThatThrownBy(() -> ConversationExport.fromJson("{\"hello\": 1}"))
                .isInstanceOf(StoreException.class).hasMessageContaining("has no \"messages\" list");
        assertThatThrownBy(() -> ConversationExport.fromJson("not json {"))
                .isInstanceOf(StoreException.class).hasMessageContaining("not valid JSON");
        String toolMessage = "{\"messages\": [{\"role\": \"tool\", \"content\": \"\"}]}";
        assertThatThrownBy(() -> ConversationExport.fromJson(toolMessage))
                .isInstanceOf(StoreException.class).hasMessageContaining("only system, user and assistant");
    }

    @Test
    void exportingEverythingWritesMarkdownAndJsonPerConversation() throws Exception {
        store.create("Second one", null, null);

        List<Path> files = ConversationExport.exportAll(store, dir.resolve("out"));

        assertThat(files).hasSize(4);
        assertThat(files).allSatisfy(file -> assertThat(file).exists());
        assertThat(files).extracting(file -> file.getFileName().toString())
                .anySatisfy(name -> assertThat(name)
                        .matches("\\d{4}-\\d\\d-\\d\\d-rust-vs-java-ünïcode-[0-9a-f]{8}\\.md"));
        Path json = files.stream().filter(f -> f.toString().endsWith(".json")
                && f.getFileName().toString().contains("rust")).findFirst().orElseThrow();
        assertThat(ConversationExport.fromJson(Files.readString(json)))
                .isEqualTo(ConversationExport.read(store, conversation.id()));
    }
}
