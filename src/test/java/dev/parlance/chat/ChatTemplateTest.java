package dev.parlance.chat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.parlance.chat.template.TemplateException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ChatTemplateTest {
    private static final Path SHARED = Path.of("..", "shared");
    private static final Path FIXTURES = SHARED.resolve("fixtures");

    @TempDir
    Path folder;

    private void write(String name, String text) throws IOException {
        Files.writeString(folder.resolve(name), text, StandardCharsets.UTF_8);
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny-qwen2", "tiny-llama"})
    void rendersTheFixtureGoldenPromptsFromTheModelFolder(String fixture) throws IOException {
        Path model = FIXTURES.resolve(fixture);
        Assumptions.assumeTrue(Files.isDirectory(model),
                "fixture not found at " + model.toAbsolutePath().normalize() + "; skipping");
        ChatTemplate template = ChatTemplate.fromModelFolder(model);
        JsonObject golden = JsonParser.parseString(
                Files.readString(model.resolve("golden.json"), StandardCharsets.UTF_8)).getAsJsonObject();

        int checked = 0;
        for (JsonElement e : golden.getAsJsonObject("tokenizer").getAsJsonArray("chat")) {
            JsonObject chat = e.getAsJsonObject();
            List<Message> messages = new ArrayList<>();
            for (JsonElement m : chat.getAsJsonArray("messages")) {
                JsonObject message = m.getAsJsonObject();
                messages.add(new Message(Role.fromWireName(message.get("role").getAsString()),
                        message.get("content").getAsString()));
            }
            assertThat(template.render(messages, chat.get("add_generation_prompt").getAsBoolean()))
                    .as(chat.get("name").getAsString())
                    .isEqualTo(chat.get("rendered").getAsString());
            checked++;
        }
        assertThat(checked).isPositive();
        assertThat(template.isPlainCompletion()).isFalse();
        assertThat(template.specialTokens()).containsEntry("eos_token", "<|im_end|>");
        assertThat(template.endOfTurnMarkers()).containsExactly("<|im_end|>");
    }

    @Test
    void readsTokensOfTheTinyQwen2FolderLeavingNullOnesUnbound() throws IOException {
        Path model = FIXTURES.resolve("tiny-qwen2");
        Assumptions.assumeTrue(Files.isDirectory(model),
                "fixture not found at " + model.toAbsolutePath().normalize() + "; skipping");

        assertThat(ChatTemplate.fromModelFolder(model).specialTokens())
                .containsEntry("pad_token", "<|endoftext|>").doesNotContainKeys("bos_token", "unk_token");
    }

    @ParameterizedTest
    @ValueSource(strings = {"fixtures/tiny-gpt2", "models/stories260K"})
    void treatsSharedBaseModelsAsPlainCompletion(String folder) throws IOException {
        Path model = SHARED.resolve(folder);
        Assumptions.assumeTrue(Files.isDirectory(model),
                "model not found at " + model.toAbsolutePath().normalize() + "; skipping");
        ChatTemplate template = ChatTemplate.fromModelFolder(model);

        assertThat(template.isPlainCompletion()).isTrue();
        assertThat(template.render(List.of(Message.user("Once upon a time")), true)).isEqualTo("Once upon a time");
    }

    @Test
    void leavesANullTokenUnboundRatherThanEmpty() throws IOException {
        write("tokenizer_config.json", """
                {"bos_token": null, "eos_token": {"content": "</s>", "lstrip": false},
                 "chat_template": "{{ bos_token is defined }}|{{ eos_token }}"}""");

        assertThat(ChatTemplate.fromModelFolder(folder).render(List.of(), false)).isEqualTo("False|</s>");
    }

    @Test
    void takesTheDefaultEntryOfATemplateList() throws IOException {
        write("tokenizer_config.json", """
                {"chat_template": [{"name": "tool_use", "template": "tools"},
                                   {"name": "default", "template": "default:{{ messages[0].content }}"}]}""");

        assertThat(ChatTemplate.fromModelFolder(folder).render(List.of(Message.user("hi")), false))
                .isEqualTo("default:hi");
    }

    @Test
    void prefersASeparateChatTemplateFile() throws IOException {
        write("tokenizer_config.json", "{\"chat_template\": \"old\", \"eos_token\": \"<|im_end|>\"}");
        write("chat_template.jinja", "new {{ eos_token }}\n");

        assertThat(ChatTemplate.fromModelFolder(folder).render(List.of(), false)).isEqualTo("new <|im_end|>");
    }

    @Test
    void fallsBackToChatMlWhenTheTokenizerHasChatMlTokens() throws IOException {
        write("tokenizer_config.json", """
                {"eos_token": "<|endoftext|>",
                 "added_tokens_decoder": {"1": {"content": "<|im_start|>"}, "2": {"content": "<|im_end|>"}}}""");

        ChatTemplate template = ChatTemplate.fromModelFolder(folder);

        assertThat(template.format()).isEqualTo(ChatFormat.CHATML);
        assertThat(template.isPlainCompletion()).isFalse();
        assertThat(template.render(List.of(Message.user("Hi")), true))
                .isEqualTo("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n");
        assertThat(template.endOfTurnMarkers()).containsExactly("<|im_end|>", "<|endoftext|>");
    }

    @Test
    void treatsABaseModelAsPlainCompletion() throws IOException {
        write("tokenizer_config.json", "{\"bos_token\": \"<|endoftext|>\", \"eos_token\": \"<|endoftext|>\"}");

        ChatTemplate template = ChatTemplate.fromModelFolder(folder);

        assertThat(template.isPlainCompletion()).isTrue();
        assertThat(template.render(List.of(Message.user("Once upon a time")), true)).isEqualTo("Once upon a time");
        assertThat(template.render(List.of(Message.system("Be brief."), Message.user("Hi"),
                Message.assistant("Hello."), Message.user("Bye")), true))
                .isEqualTo("Be brief.\n\nUser: Hi\nAssistant: Hello.\nUser: Bye\nAssistant:");
        assertThat(template.endOfTurnMarkers()).containsExactly("\nUser:");
    }

    @Test
    void overridingTheTemplateKeepsTheModelsTokens() throws IOException {
        write("tokenizer_config.json", "{\"chat_template\": \"model\", \"eos_token\": \"</s>\"}");

        ChatTemplate overridden = ChatTemplate.fromModelFolder(folder).withSource("mine{{ eos_token }}");

        assertThat(overridden.render(List.of(), false)).isEqualTo("mine</s>");
    }

    @Test
    void treatsAFolderWithoutTokenizerConfigAsPlainCompletion() throws IOException {
        assertThat(ChatTemplate.fromModelFolder(folder).isPlainCompletion()).isTrue();
    }

    @Test
    void familyFormatsRenderTheirKnownPrompts() {
        List<Message> chat = List.of(Message.system("S"), Message.user("U"), Message.assistant("A"), Message.user("V"));

        assertThat(ChatTemplate.forFormat(ChatFormat.LLAMA2, Map.of()).render(chat, true))
                .isEqualTo("<s>[INST] <<SYS>>\nS\n<</SYS>>\n\nU [/INST] A </s><s>[INST] V [/INST]");
        assertThat(ChatTemplate.forFormat(ChatFormat.LLAMA3, Map.of()).render(chat, true)).isEqualTo(
                "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nS<|eot_id|>"
                + "<|start_header_id|>user<|end_header_id|>\n\nU<|eot_id|>"
                + "<|start_header_id|>assistant<|end_header_id|>\n\nA<|eot_id|>"
                + "<|start_header_id|>user<|end_header_id|>\n\nV<|eot_id|>"
                + "<|start_header_id|>assistant<|end_header_id|>\n\n");
        assertThat(ChatTemplate.forFormat(ChatFormat.MISTRAL, Map.of()).render(chat, true))
                .isEqualTo("<s> [INST] S\n\nU [/INST] A</s> [INST] V [/INST]");
        assertThat(ChatTemplate.forFormat(ChatFormat.ZEPHYR, Map.of()).render(chat, true))
                .isEqualTo("<|system|>\nS</s><|user|>\nU</s><|assistant|>\nA</s><|user|>\nV</s><|assistant|>");
        assertThat(ChatTemplate.forFormat(ChatFormat.CHATML, Map.of()).render(chat, false))
                .startsWith("<|im_start|>system\nS<|im_end|>\n").endsWith("<|im_start|>user\nV<|im_end|>\n");
    }

    @Test
    void reportsTheTemplatesOwnErrorMessage() {
        ChatTemplate gemmaLike = ChatTemplate.fromSource(
                "{% if messages[0]['role'] == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}",
                Map.of());

        assertThatThrownBy(() -> gemmaLike.render(List.of(Message.system("x")), true))
                .isInstanceOf(TemplateException.class).hasMessage("System role not supported");
    }

    @Test
    void reportsParseErrorsWithTheLine() {
        assertThatThrownBy(() -> ChatTemplate.fromSource("ok\n{% for m in messages %}\n{{ m[ }}", Map.of()))
                .isInstanceOf(TemplateException.class).hasMessageContaining("line 3");
    }

    @Test
    void strftimeNowReadsTheInjectedClock() {
        Clock clock = Clock.fixed(LocalDateTime.of(2024, 7, 26, 0, 0).toInstant(ZoneOffset.UTC), ZoneOffset.UTC);
        ChatTemplate template = ChatTemplate.fromSource(
                "{{ strftime_now('%d %b %Y') }}|{{ strftime_now('%B %d, %Y') }}|{{ strftime_now('%A %Y-%m-%d') }}",
                Map.of()).withClock(clock);

        assertThat(template.render(List.of(), false)).isEqualTo("26 Jul 2024|July 26, 2024|Friday 2024-07-26");
    }

    @Test
    void rendersMessageTextLiterallyEvenWhenItLooksLikeTemplateCode() {
        ChatTemplate chatMl = ChatTemplate.forFormat(ChatFormat.CHATML, Map.of());

        assertThat(chatMl.render(List.of(Message.user("{{ 7*7 }}{% if true %}x{% endif %}")), false))
                .isEqualTo("<|im_start|>user\n{{ 7*7 }}{% if true %}x{% endif %}<|im_end|>\n");
    }

    @Test
    void detectsEndOfTurnMarkersFromTheSourceAndEos() {
        ChatTemplate gemma = ChatTemplate.fromSource(
                "{{ '<start_of_turn>user\\n' + messages[0].content + '<end_of_turn>\\n' }}", Map.of("eos_token", "<eos>"));
        ChatTemplate deepSeek = ChatTemplate.fromSource("{{ '<｜Assistant｜>' + eos_token }}",
                Map.of("eos_token", "<｜end▁of▁sentence｜>"));

        assertThat(gemma.endOfTurnMarkers()).containsExactly("<end_of_turn>", "<eos>");
        assertThat(deepSeek.endOfTurnMarkers()).containsExactly("<｜end▁of▁sentence｜>");
    }

    @Test
    void stopsWhereATextFormatWouldStartTheNextUserTurn() {
        ChatTemplate falconLike = ChatTemplate.fromSource(
                "{% for m in messages %}{{ 'User: ' + m.content + '\\n' }}{% endfor %}Falcon:",
                Map.of("eos_token", "<|endoftext|>"));
        ChatTemplate solarLike = ChatTemplate.fromSource("{{ '### User:\\n' + messages[0].content }}", Map.of());

        assertThat(falconLike.endOfTurnMarkers()).containsExactly("<|endoftext|>", "\nUser:");
        assertThat(solarLike.endOfTurnMarkers()).containsExactly("### User:");
    }
}
