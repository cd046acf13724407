package dev.parlance.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.parlance.AppDirectories;
import dev.parlance.Launcher;
import dev.parlance.chat.ChatReply;
import dev.parlance.chat.ChatSession;
import dev.parlance.chat.ChatListener;
import dev.parlance.chat.ChatTemplate;
import dev.parlance.chat.Message;
import dev.parlance.chat.Role;
import dev.parlance.inference.FinishReason;
import dev.parlance.inference.LanguageModel;
import dev.parlance.inference.SamplingConfig;
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
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code parlance chat} driven through stdin, as a script would drive it. */
class ChatCommandTest {
    private static final int MAX_TOKENS = 24;
    private static final List<String> FIVE_MESSAGES =
            List.of("Once upon a time", "Lily saw a dog", "The dog was sad", "They went to the park", "The end");

    @TempDir
    Path dir;

    private static CliRun.Result chat(Path model, String stdin, String... extra) {
        List<String> args = new ArrayList<>(List.of("chat", "--model", model.toString(), "--temperature", "0",
                "--max-tokens", String.valueOf(MAX_TOKENS)));
        args.addAll(List.of(extra));
        return CliRun.run(stdin, args.toArray(new String[0]));
    }

    private static String lines(List<String> lines) {
        return String.join("\n", lines) + "\n";
    }

    /** The answers the engine gives, turn by turn, to these user messages (greedy, as the test's chats are). */
    private static List<Message> conversation(Path folder, List<String> userMessages) throws Exception {
        List<Message> conversation = new ArrayList<>();
        try (LanguageModel model = LanguageModel.load(folder, f -> { });
                ChatSession session = new ChatSession(model, ChatTemplate.fromModelFolder(folder), 0)) {
            SamplingOptions options = new SamplingOptions();
            options.temperature = 0.0;
            options.maxTokens = MAX_TOKENS;
            SamplingConfig sampling = options.apply(model.defaults().sampling());
            for (String text : userMessages) {
                conversation.add(Message.user(text));
                ChatReply reply = session.reply(conversation, sampling, new ChatListener() {
                    @Override
                    public void onText(String delta) { }

                    @Override
                    public void onReasoning(String delta) { }
                }, () -> false);
                conversation.add(Message.assistant(reply.answer()));
            }
        }
        return conversation;
    }

    /** The text between /inspect's prompt header and the line break it adds before the token table. */
    private static String inspectedPrompt(String out) {
        int start = out.lastIndexOf(ChatRepl.PROMPT_HEADER + "\n") + ChatRepl.PROMPT_HEADER.length() + 1;
        int end = out.lastIndexOf("\n" + ChatRepl.TOKENS_HEADER);
        return out.substring(start, end);
    }

    private static List<String> tokenTableRoles(String out) {
        List<String> roles = new ArrayList<>();
        Matcher m = Pattern.compile("(?m)^(system|user|assistant) +\\d+ ").matcher(
                out.substring(out.lastIndexOf(ChatRepl.TOKENS_HEADER)));
        while (m.find()) {
            roles.add(m.group(1));
        }
        return roles;
    }

    private Path modelWithTemplate(Path source, String jinja) throws IOException {
        Path copy = Files.createDirectories(dir.resolve("model-" + source.getFileName()));
        for (String name : List.of("config.json", "generation_config.json", "model.safetensors", "tokenizer.json",
                "tokenizer_config.json", "special_tokens_map.json")) {
            if (Files.exists(source.resolve(name))) {
                Files.copy(source.resolve(name), copy.resolve(name));
            }
        }
        Files.writeString(copy.resolve("chat_template.jinja"), jinja, StandardCharsets.UTF_8);
        return copy;
    }

    @Test
    void holdsAFiveTurnConversationWithTheStoryModelAndInspectShowsItsTemplatesExactPrompt() throws Exception {
        Path model = SharedData.require("models/stories260K");
        List<Message> expected = conversation(model, FIVE_MESSAGES);
        List<String> input = new ArrayList<>(FIVE_MESSAGES);
        input.add("/inspect");

        CliRun.Result result = chat(model, lines(input));

        assertThat(result.exit()).isZero();
        StringBuilder answers = new StringBuilder();
        for (int i = 1; i < expected.size(); i += 2) {
            answers.append(expected.get(i).content()).append('\n');
        }
        assertThat(result.out()).startsWith(answers.toString());
        String prompt = ChatTemplate.fromModelFolder(model).render(expected.subList(0, expected.size() - 1), true);
        assertThat(inspectedPrompt(result.out())).isEqualTo(prompt).startsWith("User: Once upon a time\nAssistant:");
        assertThat(tokenTableRoles(result.out()))
                .containsExactly("user", "assistant", "user", "assistant", "user", "assistant", "user", "assistant",
                        "user");
        assertThat(result.err()).doesNotContain("rejects", "too long", "failed");
    }

    @Test
    void holdsAFiveTurnConversationWithAChatMlModelAndInspectShowsItsTemplatesExactPrompt() throws Exception {
        Path model = SharedData.require("fixtures/tiny-qwen2");
        List<Message> expected = conversation(model, FIVE_MESSAGES);
        List<String> input = new ArrayList<>(FIVE_MESSAGES);
        input.add("/inspect");

        CliRun.Result result = chat(model, lines(input));

        assertThat(result.exit()).isZero();
        String prompt = ChatTemplate.fromModelFolder(model).render(expected.subList(0, expected.size() - 1), true);
        assertThat(inspectedPrompt(result.out())).isEqualTo(prompt)
                .contains("<|im_start|>user\nThe end<|im_end|>\n<|im_start|>assistant\n");
        assertThat(tokenTableRoles(result.out())).hasSize(9);
        assertThat(result.out()).contains("total").contains("of 512 in the context");
    }

    @Test
    void regenerateWritesTheLastAnswerAgainInsteadOfAddingOne() throws Exception {
        Path model = SharedData.require("models/stories260K");
        String answer = conversation(model, List.of("Once upon a time")).get(1).content();

        CliRun.Result result = chat(model, lines(List.of("Once upon a time", "/regenerate", "/inspect")));

        assertThat(result.out()).startsWith(answer + "\n" + answer + "\n");
        assertThat(inspectedPrompt(result.out())).isEqualTo("Once upon a time");
        assertThat(tokenTableRoles(result.out())).containsExactly("user");
    }

    @Test
    void regenerateBeforeAnyAnswerSaysThereIsNothingToRegenerate() {
        Path model = SharedData.require("models/stories260K");

        CliRun.Result result = chat(model, lines(List.of("/regenerate")));

        assertThat(result.exit()).isZero();
        assertThat(result.err()).contains("There is no answer to regenerate yet.");
    }

    @Test
    void resetStartsANewConversation() {
        Path model = SharedData.require("fixtures/tiny-qwen2");

        CliRun.Result result = chat(model, lines(List.of("First question", "/reset", "Second question", "/inspect")));

        assertThat(result.err()).contains("Started a new conversation.");
        assertThat(inspectedPrompt(result.out())).doesNotContain("First question").contains("Second question");
        assertThat(tokenTableRoles(result.out())).containsExactly("user");
    }

    @Test
    void systemSetsTheSystemPromptTheTemplateRenders() {
        Path model = SharedData.require("fixtures/tiny-qwen2");

        CliRun.Result result = chat(model, lines(List.of("/system Be brief.", "Hello", "/inspect")));

        assertThat(result.err()).contains("Set the system prompt.");
        assertThat(inspectedPrompt(result.out()))
                .startsWith("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHello<|im_end|>\n")
                .doesNotContain("You are a helpful AI assistant.");
        assertThat(tokenTableRoles(result.out())).containsExactly("system", "user");
    }

    @Test
    void theSystemOptionAndASystemCommandWithoutTextSetAndRemoveTheSystemPrompt() {
        Path model = SharedData.require("fixtures/tiny-qwen2");

        CliRun.Result result = chat(model, lines(List.of("/inspect", "/system", "/inspect")), "--system", "Be kind.");

        assertThat(result.out()).contains(ChatRepl.PROMPT_HEADER + "\n<|im_start|>system\nBe kind.<|im_end|>\n");
        assertThat(result.err()).contains("Removed the system prompt.");
        assertThat(inspectedPrompt(result.out())).isEqualTo("<|im_start|>assistant\n");
    }

    @Test
    void aTemplateThatRejectsTheConversationIsReportedAndTheChatGoesOn() throws IOException {
        Path model = modelWithTemplate(SharedData.require("fixtures/tiny-qwen2"),
                "{% for m in messages %}{% if m['role'] == 'system' %}"
                        + "{{ raise_exception('System role not supported') }}{% endif %}"
                        + "{{ '<|im_start|>' + m['role'] + '\\n' + m['content'] + '<|im_end|>\\n' }}{% endfor %}"
                        + "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}");

        CliRun.Result result = chat(model, lines(List.of("/system Be brief.", "Hello", "/system", "Hello again",
                "/inspect")));

        assertThat(result.exit()).isZero();
        assertThat(result.err()).contains("The chat template rejects this conversation: System role not supported");
        assertThat(inspectedPrompt(result.out()))
                .isEqualTo("<|im_start|>user\nHello again<|im_end|>\n<|im_start|>assistant\n");
    }

    @Test
    void aMessageTooLongForTheContextIsReportedAndTheChatGoesOn() {
        Path model = SharedData.require("models/stories260K");
        String tooLong = "the dog ran to the park and ".repeat(40);

        CliRun.Result result = chat(model, lines(List.of(tooLong, "Once upon a time", "/inspect")), "--context", "64");

        assertThat(result.exit()).isZero();
        assertThat(result.err()).contains("That message is too long for the context");
        assertThat(inspectedPrompt(result.out())).isEqualTo("Once upon a time");
    }

    @Test
    void olderMessagesDroppedToFitTheContextAreReported() {
        Path model = SharedData.require("models/stories260K");

        CliRun.Result result = chat(model, lines(FIVE_MESSAGES), "--context", "80");

        assertThat(result.exit()).isZero();
        assertThat(result.err())
                .containsPattern("\\(\\d+ older messages? (was|were) left out to fit the context of 80 tokens\\)");
    }

    @Test
    void reasoningIsShownApartFromTheAnswer() throws IOException {
        // a generation prompt that opens <think>, as DeepSeek-R1's does: what the model writes is reasoning
        Path model = modelWithTemplate(SharedData.require("models/stories260K"),
                "{% for m in messages %}{{ m['content'] }}{% endfor %}"
                        + "{% if add_generation_prompt %}<think>\n{% endif %}");

        CliRun.Result result = chat(model, lines(List.of("Once upon a time")));

        assertThat(result.out()).startsWith(ChatRepl.REASONING_START + "\n")
                .contains("\n" + ChatRepl.REASONING_END + "\n");
    }

    @Test
    void aModelThatCannotBeLoadedExitsWithCode2() {
        CliRun.Result result = CliRun.run("Hello\n", "chat", "--model", dir.resolve("missing").toString());

        assertThat(result.exit()).isEqualTo(CliSupport.EXIT_MODEL);
        assertThat(result.err()).contains("cannot load the model");
    }

    @Test
    void ctrlCStopsTheAnswerBeingWrittenAndTheChatGoesOnThenAtThePromptItQuits() throws Exception {
        Path model = SharedData.require("models/stories260K");
        assumeTrue(Files.isExecutable(Path.of("/bin/kill")), "skipped: no /bin/kill to send SIGINT with");
        // a process of its own: Ctrl+C at the prompt ends the JVM, which must not be the test's
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        ProcessBuilder builder = new ProcessBuilder(java.toString(), "-Xss4m", "--add-modules", "jdk.incubator.vector", "-cp",
                System.getProperty("java.class.path"), Launcher.class.getName(), "chat", "--model", model.toString(),
                "--temperature", "0", "--max-tokens", "400").redirectErrorStream(true);
        builder.environment().put(AppDirectories.DATA_DIR_ENV, dir.toString());
        Process process = builder.start();
        StringBuffer output = new StringBuffer();
        Thread reader = new Thread(() -> {
            try (InputStreamReader in = new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8)) {
                char[] buffer = new char[256];
                for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                    output.append(buffer, 0, n);
                }
            } catch (IOException e) {
                output.append(e);
            }
        });
        reader.start();
        try (Writer stdin = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8)) {
            stdin.write("Once upon a time\n");
            stdin.flush();
            awaitOutput(output, ", there was");
            interrupt(process);
            awaitOutput(output, "(stopped)");
            stdin.write("Lily saw a dog\n/inspect\n");
            stdin.flush();
            awaitOutput(output, "of 512 in the context");
            interrupt(process);

            assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
        } finally {
            process.destroyForcibly();
        }
        reader.join(5000);
        assertThat(process.exitValue()).isEqualTo(130);
        assertThat(output.toString()).containsOnlyOnce("(stopped)").contains("User: Lily saw a dog");
    }

    private static void awaitOutput(StringBuffer output, String text) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (output.indexOf(text) < 0) {
            assertThat(System.nanoTime()).as("waited for \"%s\" in:%n%s", text, output).isLessThan(deadline);
            TimeUnit.MILLISECONDS.sleep(10);
        }
    }

    private static void interrupt(Process process) throws Exception {
        Process kill = new ProcessBuilder("/bin/kill", "-INT", String.valueOf(process.pid())).start();
        assertThat(kill.waitFor(10, TimeUnit.SECONDS)).isTrue();
    }

    @Test
    void saveStoresTheConversationWithItsAnswersSoHistoryListsIt() {
        Path model = SharedData.require("models/stories260K");
        Path data = dir.resolve("data");

        CliRun.Result chat = chat(model, lines(List.of("Once upon a time", "Lily saw a dog", "/regenerate")),
                "--save", "--data-dir", data.toString());
        CliRun.Result history = CliRun.run("", "history", "--data-dir", data.toString());

        assertThat(chat.exit()).isZero();
        assertThat(history.exit()).isZero();
        assertThat(history.out()).contains("1 conversation in ")
                .containsPattern("Once upon a time\\s+4 messages; answers: 2 length");
        try (SqliteConversationStore store = SqliteConversationStore.open(data)) {
            String id = store.conversations().get(0).id();
            List<MessageRecord> messages = store.messages(id, 0, 10);
            assertThat(messages).extracting(MessageRecord::role)
                    .containsExactly(Role.USER, Role.ASSISTANT, Role.USER, Role.ASSISTANT);
            MessageRecord regenerated = messages.get(3);
            assertThat(regenerated.content()).isNotEmpty();
            assertThat(regenerated.finish()).isEqualTo(FinishReason.LENGTH);
            assertThat(regenerated.stats().tokens()).isEqualTo(MAX_TOKENS);
            assertThat(regenerated.stats().timeToFirstTokenMillis()).isPositive();
        }
    }

    @Test
    void systemWithSaveUpdatesTheSavedSystemPrompt() {
        Path model = SharedData.require("fixtures/tiny-qwen2");
        Path data = dir.resolve("data");

        chat(model, lines(List.of("Hello", "/system Be brief.")), "--system", "Be kind.", "--save",
                "--data-dir", data.toString());

        try (SqliteConversationStore store = SqliteConversationStore.open(data)) {
            assertThat(store.conversations().get(0).settings().systemPrompt()).isEqualTo("Be brief.");
        }
    }

    @Test
    void aMessageTheTemplateRejectsIsKeptWithItsAnswerMarkedFailedAsTheAppKeepsIt() throws IOException {
        Path model = modelWithTemplate(SharedData.require("fixtures/tiny-qwen2"),
                "{% for m in messages %}{% if m['role'] == 'system' %}"
                        + "{{ raise_exception('System role not supported') }}{% endif %}"
                        + "{{ '<|im_start|>' + m['role'] + '\\n' + m['content'] + '<|im_end|>\\n' }}{% endfor %}"
                        + "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}");
        Path data = dir.resolve("data");

        chat(model, lines(List.of("/system Be brief.", "Rejected", "/system", "Accepted")), "--save",
                "--data-dir", data.toString());

        try (SqliteConversationStore store = SqliteConversationStore.open(data)) {
            assertThat(store.conversations()).hasSize(1);
            List<MessageRecord> messages = store.messages(store.conversations().get(0).id(), 0, 10);
            assertThat(messages).extracting(MessageRecord::role, MessageRecord::content)
                    .startsWith(tuple(Role.USER, "Rejected"), tuple(Role.ASSISTANT, ""), tuple(Role.USER, "Accepted"));
            assertThat(messages).extracting(MessageRecord::finish).element(1).isEqualTo(FinishReason.ERROR);
            assertThat(messages).hasSize(4);
        }
    }

    @Test
    void resetWithSaveStartsASecondSavedConversation() {
        Path model = SharedData.require("models/stories260K");
        Path data = dir.resolve("data");

        chat(model, lines(List.of("Once upon a time", "/reset", "Lily saw a dog")),
                "--save", "--data-dir", data.toString());
        CliRun.Result history = CliRun.run("", "history", "--data-dir", data.toString());

        assertThat(history.out()).contains("2 conversations in ")
                .containsPattern("Once upon a time\\s+2 messages")
                .containsPattern("Lily saw a dog\\s+2 messages");
    }
}
