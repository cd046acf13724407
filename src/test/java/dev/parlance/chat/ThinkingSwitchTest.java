package dev.parlance.chat;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.parlance.inference.SharedData;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The thinking switch: which templates have one, and that each setting renders exactly what
 * Python jinja2 renders from the published Qwen3 and SmolLM3 templates
 * ({@code thinking/thinking_renders.jsonl}, made by {@code thinking/make_thinking_renders.py}).
 */
class ThinkingSwitchTest {
    private static final String RENDERS = "thinking/thinking_renders.jsonl";
    /** The renders' frozen {@code strftime_now}: 2024-07-26, as in the shared suite. */
    private static final Clock FROZEN = Clock.fixed(
            LocalDateTime.of(2024, 7, 26, 0, 0).toInstant(ZoneOffset.UTC), ZoneOffset.UTC);

    static Stream<Arguments> renders() throws IOException {
        List<Arguments> cases = new ArrayList<>();
        try (InputStream in = ThinkingSwitchTest.class.getResourceAsStream(RENDERS)) {
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                JsonObject c = JsonParser.parseString(line).getAsJsonObject();
                JsonElement thinking = c.get("enable_thinking");
                cases.add(Arguments.of(c.get("template").getAsString(), c.get("context").getAsString(),
                        thinking.isJsonNull() ? null : thinking.getAsBoolean(), c.get("expected").getAsString()));
            }
        }
        return cases.stream();
    }

    private static ChatTemplate published(String name) throws IOException {
        Path file = SharedData.require("chat-templates/templates/" + name + ".jinja");
        return ChatTemplate.fromSource(Files.readString(file, StandardCharsets.UTF_8), Map.of("eos_token", "<|im_end|>"))
                .withClock(FROZEN);
    }

    private static List<Message> context(String name) throws IOException {
        Path file = SharedData.require("chat-templates/contexts/" + name + ".json");
        List<Message> messages = new ArrayList<>();
        for (JsonElement m : SharedData.json(file).getAsJsonArray("messages")) {
            JsonObject message = m.getAsJsonObject();
            Role role = switch (message.get("role").getAsString()) {
                case "system" -> Role.SYSTEM;
                case "assistant" -> Role.ASSISTANT;
                default -> Role.USER;
            };
            messages.add(new Message(role, message.get("content").getAsString()));
        }
        return messages;
    }

    @ParameterizedTest(name = "{0} {1} enable_thinking={2}")
    @MethodSource("renders")
    void eachSettingRendersWhatJinja2Renders(String template, String context, Boolean thinking, String expected)
            throws IOException {
        String rendered = published(template).withThinking(thinking).render(context(context), true);

        assertThat(rendered).isEqualTo(expected);
    }

    @Test
    void qwen3WithThinkingOffOpensTheAnswerWithAnEmptyThinkBlock() throws IOException {
        List<Message> conversation = List.of(Message.user("Hi"));
        ChatTemplate qwen3 = published("Qwen__Qwen3-0.6B");

        assertThat(qwen3.withThinking(false).render(conversation, true)).endsWith("<think>\n\n</think>\n\n");
        assertThat(qwen3.withThinking(true).render(conversation, true)).endsWith("<|im_start|>assistant\n");
    }

    @ParameterizedTest
    @ValueSource(strings = {"Qwen__Qwen3-0.6B", "HuggingFaceTB__SmolLM3-3B"})
    void templatesThatReadEnableThinkingHaveTheSwitch(String name) throws IOException {
        assertThat(published(name).supportsThinking()).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"Qwen__Qwen2.5-7B-Instruct", "Qwen__QwQ-32B", "google__gemma-3-270m-it",
        "microsoft__Phi-3.5-mini-instruct", "ibm-granite__granite-3.2-8b-instruct",
        "meta-llama__Llama-3.2-3B-Instruct", "deepseek-ai__DeepSeek-R1"})
    void templatesWithoutEnableThinkingHaveNoSwitch(String name) throws IOException {
        assertThat(published(name).supportsThinking()).isFalse();
    }

    @Test
    void aNameInTheTemplatesTextOrCommentsIsNoSwitch() {
        ChatTemplate template = ChatTemplate.fromSource(
                "{# enable_thinking is not supported #}enable_thinking: {{ messages[0]['content'] }}", Map.of());

        assertThat(template.supportsThinking()).isFalse();
    }

    @Test
    void hasNoSwitchForTheHandWrittenFormats() {
        for (ChatFormat format : ChatFormat.values()) {
            assertThat(ChatTemplate.forFormat(format, Map.of()).supportsThinking()).as(format.name()).isFalse();
        }
    }

    @Test
    void anExplicitVariableOverridesTheSwitch() {
        ChatTemplate template = ChatTemplate.fromSource("{{ enable_thinking }}", Map.of()).withThinking(true);

        assertThat(template.render(List.of(), false, Map.<String, Object>of("enable_thinking", false)))
                .isEqualTo("False");
        assertThat(template.render(List.of(Message.user("x")), false)).isEqualTo("True");
        assertThat(template.withThinking(null).render(List.of(Message.user("x")), false)).isEmpty();
    }
}
