package dev.parlance.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.parlance.chat.ChatTemplate;
import dev.parlance.chat.Message;
import dev.parlance.inference.SharedData;
import dev.parlance.inference.tokenizer.TextTokenizer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.io.TempDir;

/** {@code parlance prompt}: the exact prompt for a messages file, from a model folder or a template file. */
class PromptCommandTest {
    private static final List<Message> MESSAGES =
            List.of(Message.system("Be brief."), Message.user("Hi there"), Message.assistant("Hello!"),
                    Message.user("How are you?"));
    private static final String MESSAGES_JSON = "{\"messages\": ["
            + "{\"role\": \"system\", \"content\": \"Be brief.\"},"
            + "{\"role\": \"user\", \"content\": \"Hi there\"},"
            + "{\"role\": \"assistant\", \"content\": \"Hello!\"},"
            + "{\"role\": \"user\", \"content\": \"How are you?\"}]}";
    private static final String LLAMA2_STYLE = "{{ bos_token }}{% for m in messages %}"
            + "{% if m['role'] == 'system' %}{{ raise_exception('Conversation roles must be user or assistant') }}"
            + "{% elif m['role'] == 'user' %}{{ '[INST] ' + m['content'] + ' [/INST]' }}"
            + "{% else %}{{ ' ' + m['content'] + eos_token }}{% endif %}{% endfor %}";

    @TempDir
    Path dir;

    private Path write(String name, String text) throws Exception {
        return Files.writeString(dir.resolve(name), text, StandardCharsets.UTF_8);
    }

    @Test
    void printsExactlyThePromptTheModelsTemplateRenders() throws Exception {
        Path model = SharedData.require("fixtures/tiny-qwen2");
        Path messages = write("messages.json", MESSAGES_JSON);

        CliRun.Result result = CliRun.run("", "prompt", "--model", model.toString(), "--messages", messages.toString());

        assertThat(result.exit()).isZero();
        assertThat(result.out()).isEqualTo(ChatTemplate.fromModelFolder(model).render(MESSAGES, true))
                .endsWith("<|im_start|>user\nHow are you?<|im_end|>\n<|im_start|>assistant\n");
    }

    @Test
    void acceptsABareArrayAndLeavesOutTheGenerationPromptWhenAsked() throws Exception {
        Path model = SharedData.require("fixtures/tiny-qwen2");
        String array = MESSAGES_JSON.substring(MESSAGES_JSON.indexOf('['), MESSAGES_JSON.length() - 1);
        Path messages = write("array.json", array);

        CliRun.Result result = CliRun.run("", "prompt", "--model", model.toString(), "--messages", messages.toString(),
                "--no-generation-prompt");

        assertThat(result.out()).isEqualTo(ChatTemplate.fromModelFolder(model).render(MESSAGES, false))
                .endsWith("How are you?<|im_end|>\n");
    }

    @Test
    void idsPrintsOneTokenPerLineWithSpecialTokensMarked() throws Exception {
        Path model = SharedData.require("fixtures/tiny-qwen2");
        Path messages = write("messages.json", MESSAGES_JSON);
        String prompt = ChatTemplate.fromModelFolder(model).render(MESSAGES, true);

        CliRun.Result result = CliRun.run("", "prompt", "--model", model.toString(), "--messages", messages.toString(),
                "--ids");

        List<String> lines = result.out().lines().toList();
        try (TextTokenizer tokenizer = TextTokenizer.load(model)) {
            int[] ids = tokenizer.encode(prompt);
            assertThat(lines).hasSize(ids.length);
            for (int i = 0; i < ids.length; i++) {
                assertThat(lines.get(i)).startsWith(ids[i] + "\t");
            }
        }
        assertThat(lines.get(0)).isEqualTo("446\t\"<|im_start|>\"\tspecial");
        assertThat(lines.get(1)).doesNotEndWith("special");
    }

    @Test
    void rendersATemplateFileWithTheGivenTokensAndNoModel() throws Exception {
        Path template = write("template.jinja", LLAMA2_STYLE);
        Path messages = write("messages.json", "[{\"role\": \"user\", \"content\": \"Hi\"},"
                + "{\"role\": \"assistant\", \"content\": \"Hello\"}, {\"role\": \"user\", \"content\": \"Bye\"}]");

        CliRun.Result result = CliRun.run("", "prompt", "--template", template.toString(), "--bos-token", "<s>",
                "--eos-token", "</s>", "--messages", messages.toString());

        assertThat(result.exit()).isZero();
        assertThat(result.out()).isEqualTo("<s>[INST] Hi [/INST] Hello</s>[INST] Bye [/INST]");
    }

    @Test
    void aTemplateThatRejectsTheConversationPrintsItsOwnMessageAndExitsNonZero() throws Exception {
        Path template = write("template.jinja", LLAMA2_STYLE);
        Path messages = write("messages.json", MESSAGES_JSON);

        CliRun.Result result = CliRun.run("", "prompt", "--template", template.toString(), "--bos-token", "<s>",
                "--eos-token", "</s>", "--messages", messages.toString());

        assertThat(result.exit()).isEqualTo(CliSupport.EXIT_FAILED);
        assertThat(result.out()).isEmpty();
        assertThat(result.err()).isEqualTo("parlance: Conversation roles must be user or assistant\n");
    }

    @Test
    void aTemplateThatDoesNotParseIsReportedAndExitsNonZero() throws Exception {
        Path template = write("broken.jinja", "{% for m in messages %}{{ m['content'] }}");
        Path messages = write("messages.json", MESSAGES_JSON);

        CliRun.Result result = CliRun.run("", "prompt", "--template", template.toString(), "--messages",
                messages.toString());

        assertThat(result.exit()).isEqualTo(CliSupport.EXIT_FAILED);
        assertThat(result.err()).startsWith("parlance: the template does not parse: ");
    }

    @Test
    void aMessagesFileThatIsNotAMessagesListIsReported() throws Exception {
        Path model = SharedData.require("fixtures/tiny-qwen2");
        Path messages = write("messages.json", "{\"model\": \"x\"}");

        CliRun.Result result = CliRun.run("", "prompt", "--model", model.toString(), "--messages", messages.toString());

        assertThat(result.exit()).isEqualTo(CliSupport.EXIT_FAILED);
        assertThat(result.err()).contains("expected {\"messages\": [...]} or an array of messages");
    }

    @Test
    void idsWithoutAModelIsRefused() throws Exception {
        Path template = write("template.jinja", LLAMA2_STYLE);
        Path messages = write("messages.json", "[{\"role\": \"user\", \"content\": \"Hi\"}]");

        CliRun.Result result = CliRun.run("", "prompt", "--template", template.toString(), "--messages",
                messages.toString(), "--ids");

        assertThat(result.exit()).isEqualTo(CliSupport.EXIT_FAILED);
        assertThat(result.err()).contains("--ids needs --model");
    }
    /** Python jinja2's render of a published template ({@code chat/thinking/thinking_renders.jsonl}). */
    private static String jinja2Render(String template, String context, String thinking) throws IOException {
        try (InputStream in = ChatTemplate.class.getResourceAsStream("thinking/thinking_renders.jsonl")) {
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                JsonObject c = JsonParser.parseString(line).getAsJsonObject();
                if (c.get("template").getAsString().equals(template) && c.get("context").getAsString().equals(context)
                        && String.valueOf(c.get("enable_thinking")).equals(thinking)) {
                    return c.get("expected").getAsString();
                }
            }
        }
        throw new IllegalArgumentException("no render of " + template + " " + context + " " + thinking);
    }

    @ParameterizedTest
    @CsvSource({"--thinking, true", "--no-thinking, false"})
    void theThinkingOptionsRenderWhatJinja2RendersFromQwen3sTemplate(String option, String value) throws Exception {
        Path file = SharedData.require("chat-templates/templates/Qwen__Qwen3-0.6B.jinja");
        Path messages = SharedData.require("chat-templates/contexts/three_turns.json");

        CliRun.Result result = CliRun.run("", "prompt", "--template", file.toString(), "--eos-token", "<|im_end|>",
                "--messages", messages.toString(), option);

        assertThat(result.exit()).isZero();
        assertThat(result.out()).isEqualTo(jinja2Render("Qwen__Qwen3-0.6B", "three_turns", value));
        assertThat(result.err()).isEmpty();
    }

    @Test
    void withoutAThinkingOptionTheTemplatesDefaultApplies() throws Exception {
        Path file = SharedData.require("chat-templates/templates/Qwen__Qwen3-0.6B.jinja");
        Path messages = SharedData.require("chat-templates/contexts/three_turns.json");

        CliRun.Result result = CliRun.run("", "prompt", "--template", file.toString(), "--messages",
                messages.toString());

        assertThat(result.out()).isEqualTo(jinja2Render("Qwen__Qwen3-0.6B", "three_turns", "null"));
    }

    @Test
    void aThinkingOptionForATemplateWithoutTheSwitchIsRenderedAnywayAndSaidToChangeNothing() throws Exception {
        Path model = SharedData.require("fixtures/tiny-qwen2");
        Path messages = write("messages.json", MESSAGES_JSON);

        CliRun.Result result = CliRun.run("", "prompt", "--model", model.toString(), "--messages", messages.toString(),
                "--no-thinking");

        assertThat(result.exit()).isZero();
        assertThat(result.out()).isEqualTo(ChatTemplate.fromModelFolder(model).render(MESSAGES, true));
        assertThat(result.err()).contains("no thinking switch", "--no-thinking changes nothing");
    }
}
